"""What every layer of fimishare says the same way: STIX versions, TLP, and the node's vocabulary.

A leaf: it imports nothing of fimishare, and every other package may import it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

# ------------------------------------------------------------------------------ STIX versions

SPEC_VERSIONS = ("2.0", "2.1")


def spec_version_of(obj: dict[str, Any]) -> str:
    """The STIX version an object is written in. STIX 2.0 objects carry no spec_version (only
    their bundle did); neither do 2.1 cyber observables, which alone have neither created nor
    modified. medallion and the OASIS validator tell them apart the same way."""
    given = obj.get("spec_version")
    if given is not None:
        return str(given)
    return "2.0" if "created" in obj or "modified" in obj else "2.1"


# ------------------------------------------------------------------------------ vocabulary


class Role(StrEnum):
    """What an account may do on this node (the sharing gate decides what each role allows)."""

    ADMIN = "admin"
    ANALYST = "analyst"
    VIEWER = "viewer"
    SYNC = "sync"


class EntryPath(StrEnum):
    """How a version reached the store: kept with it as provenance."""

    PORTAL = "portal"
    API = "api"
    TAXII = "taxii"
    SYNC = "sync"
    IMPORT = "import"
    ADMIN = "admin"


class Outcome(StrEnum):
    """What became of one submitted object."""

    STORED = "stored"
    UNCHANGED = "unchanged"  # this version, with this content, was held already
    REJECTED = "rejected"
    # The store holds this version with other content. Only the store says it; ingest reports it as rejected.
    CONFLICT = "conflict"
    # Authority refuses it (another organisation holds the object). Only the store says it, as for CONFLICT.
    REFUSED = "refused"


class Severity(StrEnum):
    """An error rejects an object; a warning does not."""

    ERROR = "error"
    WARNING = "warning"


# Classification levels a node knows unless configured otherwise, lowest first.
DEFAULT_CLASSIFICATION_LEVELS = ("UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL", "SECRET")


@dataclass(frozen=True)
class Problem:
    """What ingest says about one object: an error rejects it, a warning does not."""

    object_id: str | None
    path: str  # JSON path inside the object, e.g. "$.created" or "$.external_references[0].url"
    message: str
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        where = self.object_id or "(no id)"
        return f"{self.severity}: {where} at {self.path}: {self.message}"


def json_path(*parts: str | int) -> str:
    path = "$"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def one_of(column: str, vocabulary: type[StrEnum]) -> str:
    """SQL for "column holds a value of this vocabulary", for check constraints."""
    return f"{column} IN ({', '.join(repr(member.value) for member in vocabulary)})"


# ------------------------------------------------------------------------------ TLP 2.0


class Tlp(StrEnum):
    """TLP 2.0 levels by their ``tlp_2_0`` value, least restrictive first."""

    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    AMBER_STRICT = "amber+strict"
    RED = "red"

    @property
    def rank(self) -> int:
        """Higher is more restrictive: of several TLP markings the highest rank applies."""
        return _TLP_ORDER.index(self)

    @property
    def label(self) -> str:
        return f"TLP:{self.value.upper()}"


_TLP_ORDER = tuple(Tlp)

TLP_2_0_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

TLP_CLEAR = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
TLP_GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
TLP_AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
TLP_AMBER_STRICT = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
TLP_RED = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"

TLP_2_0_IDS = {Tlp.CLEAR: TLP_CLEAR, Tlp.GREEN: TLP_GREEN, Tlp.AMBER: TLP_AMBER, Tlp.AMBER_STRICT: TLP_AMBER_STRICT, Tlp.RED: TLP_RED}

# The four TLP 1.0 marking-definitions predefined by STIX 2.1 section 7.2.1.4, by their
# ``definition.tlp`` value. Their ids are accepted and read as their TLP 2.0 equivalent.
TLP_1_0_IDS = {
    "white": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
    "green": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
    "amber": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
    "red": "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
}
# A TLP 1.0 ``definition.tlp`` value read as TLP 2.0 (WHITE became CLEAR).
TLP_1_0_LEVELS = {"white": Tlp.CLEAR, "clear": Tlp.CLEAR, "green": Tlp.GREEN, "amber": Tlp.AMBER, "red": Tlp.RED}
TLP_1_0_TO_2_0 = {mid: TLP_2_0_IDS[TLP_1_0_LEVELS[name]] for name, mid in TLP_1_0_IDS.items()}

# Every well-known TLP marking id (2.0 and 1.0) -> its level.
TLP_LEVEL_BY_ID: dict[str, Tlp] = {mid: level for level, mid in TLP_2_0_IDS.items()}
TLP_LEVEL_BY_ID.update({old: TLP_LEVEL_BY_ID[new] for old, new in TLP_1_0_TO_2_0.items()})

TLP_2_0_CREATED = "2022-10-01T00:00:00.000Z"
TLP_1_0_CREATED = "2017-01-20T00:00:00.000Z"


def tlp_marking_definition(level: str) -> dict[str, Any]:
    """One TLP 2.0 marking-definition exactly as OASIS publishes it; ``level`` is its ``tlp_2_0`` value."""
    try:
        tlp = Tlp(level.lower())
    except ValueError:
        raise ValueError(f"not a TLP 2.0 level: {level!r}") from None
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP_2_0_IDS[tlp],
        "created": TLP_2_0_CREATED,
        "name": tlp.label,
        "extensions": {TLP_2_0_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": tlp.value}},
    }


def tlp_marking_definitions() -> list[dict[str, Any]]:
    """The five TLP 2.0 marking-definitions (CLEAR, GREEN, AMBER, AMBER+STRICT, RED)."""
    return [tlp_marking_definition(level) for level in Tlp]


def tlp_1_0_marking_definitions() -> list[dict[str, Any]]:
    """The four TLP 1.0 marking-definitions predefined by STIX 2.1 section 7.2.1.4."""
    return [
        {
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": mid,
            "created": TLP_1_0_CREATED,
            "definition_type": "tlp",
            "name": f"TLP:{name.upper()}",
            "definition": {"tlp": name},
        }
        for name, mid in TLP_1_0_IDS.items()
    ]


def tlp_of(marking_refs: Iterable[str]) -> str | None:
    """The most restrictive TLP level among marking refs, as its ``tlp_2_0`` value, or None."""
    levels = [TLP_LEVEL_BY_ID[ref] for ref in marking_refs if ref in TLP_LEVEL_BY_ID]
    return max(levels, key=lambda level: level.rank).value if levels else None
