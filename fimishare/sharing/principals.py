"""Who reads on this node, who data is released to, what the store holds, and who may use a collection."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from fimishare.stix import Role

ROLES = frozenset(Role)


class Channel(StrEnum):
    """How data leaves this node for an organisation that has no account here to read it with.

    TAXII is not one: a partner's TAXII client signs in with an account of this node and
    reads as a principal, like the API and the portal.
    """

    SYNC = "sync"  # pushed to a partner's node
    EXPORT = "export"  # written to a bundle file for an organisation


def _check_identity(value: str | None, what: str, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or not value.startswith("identity--"):
        raise ValueError(f"{what} must be an identity id (identity--...), got {value!r}")


@dataclass(frozen=True, slots=True)
class Principal:
    """Someone reading on this node: a portal user or a partner's API/TAXII/sync account.

    ``user_id`` is the individual identity of the user, ``org_id`` the organisation identity
    the user belongs to. ``clearance`` None means the lowest configured classification level.
    ``exercise`` True means the principal works in an exercise context.
    """

    user_id: str
    org_id: str
    role: Role
    clearance: str | None = None
    exercise: bool = False

    def __post_init__(self) -> None:
        _check_identity(self.user_id, "Principal.user_id")
        _check_identity(self.org_id, "Principal.org_id")
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}; expected one of {', '.join(Role)}")


@dataclass(frozen=True, slots=True)
class Recipient:
    """An organisation data is pushed (sync) or exported to."""

    org_id: str
    clearance: str | None = None
    exercise: bool = False

    def __post_init__(self) -> None:
        _check_identity(self.org_id, "Recipient.org_id")


@dataclass(frozen=True, slots=True)
class Holding:
    """What the store knows about one object version.

    ``source_org`` is the organisation the object came from: this node's organisation for
    local entries, the partner organisation for TAXII/sync/import from a partner.
    ``submitted_by`` is the individual identity of the submitting user or account.
    Anything with these three attributes (a stored version) serves where a Holding does.
    """

    obj: dict[str, Any]
    source_org: str
    submitted_by: str | None = None


class Held(Protocol):
    """An object as the store holds it: a Holding, or a stored version."""

    @property
    def obj(self) -> dict[str, Any]: ...

    @property
    def source_org(self) -> str: ...

    @property
    def submitted_by(self) -> str | None: ...


# A grant to every partner organisation at once.
EVERY_PARTNER = "*"


@dataclass(frozen=True)
class Grant:
    """What an organisation (or EVERY_PARTNER) may do with a TAXII collection."""

    org_id: str
    can_read: bool
    can_write: bool
