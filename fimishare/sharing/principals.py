"""Who reads on this node, who data is released to, and what the store holds."""
from __future__ import annotations

from dataclasses import dataclass

ROLES = frozenset({"admin", "analyst", "viewer", "sync"})
# Roles allowed to submit (create or update) objects. ``viewer`` only reads.
SUBMITTING_ROLES = frozenset({"admin", "analyst", "sync"})
CHANNELS = frozenset({"sync", "export", "taxii"})


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
    role: str
    clearance: str | None = None
    exercise: bool = False

    def __post_init__(self) -> None:
        _check_identity(self.user_id, "Principal.user_id")
        _check_identity(self.org_id, "Principal.org_id")
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}; expected one of {sorted(ROLES)}")


@dataclass(frozen=True, slots=True)
class Recipient:
    """An organisation data is pushed (sync), exported or served (TAXII) to."""

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
    """

    obj: dict
    source_org: str
    submitted_by: str | None = None
