"""Marking-definition identifiers the sharing policy understands."""
from __future__ import annotations

import json as _json
import uuid as _uuid
from collections.abc import Iterable as _Iterable
from collections.abc import Mapping as _Mapping

TLP_2_0_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

TLP_CLEAR = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
TLP_GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
TLP_AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
TLP_AMBER_STRICT = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
TLP_RED = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"

# TLP 1.0 (STIX 2.1 specification) ids are accepted and read as their TLP 2.0 equivalent.
TLP_1_0_TO_2_0 = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": TLP_CLEAR,  # WHITE
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": TLP_GREEN,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": TLP_AMBER,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": TLP_RED,
}

# fimishare's own property-extension on marking-definitions: releasability to named
# organisations or people, a classification level, and the exercise flag.
FIMISHARE_MARKING_EXTENSION = "extension-definition--0c259417-e3ea-49d3-bb33-f14823a1d4dc"

# --------------------------------------------------------------------------------------
# TLP levels, in increasing order of restriction. The policy compares these integers:
# when an object carries several TLP markings the highest (most restrictive) one applies.
# --------------------------------------------------------------------------------------

CLEAR, GREEN, AMBER, AMBER_STRICT, RED = 0, 1, 2, 3, 4
TLP_LEVEL_NAMES = {CLEAR: "TLP:CLEAR", GREEN: "TLP:GREEN", AMBER: "TLP:AMBER", AMBER_STRICT: "TLP:AMBER+STRICT", RED: "TLP:RED"}

# The value of the ``tlp_2_0`` property of the OASIS TLP 2.0 property-extension.
TLP_2_0_VALUES = {"clear": CLEAR, "green": GREEN, "amber": AMBER, "amber+strict": AMBER_STRICT, "red": RED}

TLP_2_0_IDS = {
    CLEAR: TLP_CLEAR,
    GREEN: TLP_GREEN,
    AMBER: TLP_AMBER,
    AMBER_STRICT: TLP_AMBER_STRICT,
    RED: TLP_RED,
}

# Every well-known TLP marking id (2.0 and 1.0) -> TLP level.
TLP_LEVEL_BY_ID: dict[str, int] = {mid: level for level, mid in TLP_2_0_IDS.items()}
TLP_LEVEL_BY_ID.update({old: TLP_LEVEL_BY_ID[new] for old, new in TLP_1_0_TO_2_0.items()})

TLP_2_0_CREATED = "2022-10-01T00:00:00.000Z"
TLP_1_0_CREATED = "2017-01-20T00:00:00.000Z"

# Keys fimishare understands inside FIMISHARE_MARKING_EXTENSION. Any other key makes the
# marking "not understood", and the policy then fails closed on it.
FIMISHARE_MARKING_KEYS = frozenset({"extension_type", "releasable_to", "classification", "exercise"})

_FIMISHARE_NAMESPACE = _uuid.UUID("5e3a2d1c-6f0b-4b8e-9a57-0c4f2e9d7b11")
DEFAULT_MARKING_CREATED = "2024-11-01T00:00:00.000Z"


def tlp_marking_definition(level: str) -> dict:
    """One TLP 2.0 marking-definition exactly as OASIS publishes it.

    ``level`` is the ``tlp_2_0`` value: "clear", "green", "amber", "amber+strict" or "red".
    """
    key = level.lower()
    if key not in TLP_2_0_VALUES:
        raise ValueError(f"not a TLP 2.0 level: {level!r}")
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP_2_0_IDS[TLP_2_0_VALUES[key]],
        "created": TLP_2_0_CREATED,
        "name": f"TLP:{key.upper()}",
        "extensions": {
            TLP_2_0_EXTENSION: {
                "extension_type": "property-extension",
                "tlp_2_0": key,
            }
        },
    }


def tlp_marking_definitions() -> list[dict]:
    """The five TLP 2.0 marking-definitions (CLEAR, GREEN, AMBER, AMBER+STRICT, RED)."""
    return [tlp_marking_definition(v) for v in TLP_2_0_VALUES]


def tlp_1_0_marking_definitions() -> list[dict]:
    """The four TLP 1.0 marking-definitions predefined by STIX 2.1 §7.2.1.4."""
    names = {
        "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "white",
        "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "green",
        "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "amber",
        "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "red",
    }
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
        for mid, name in names.items()
    ]


def default_marking_definitions() -> dict[str, dict]:
    """id -> marking-definition for every TLP 2.0 and TLP 1.0 marking."""
    return {m["id"]: m for m in tlp_marking_definitions() + tlp_1_0_marking_definitions()}


def fimishare_marking_definition(
    name: str,
    *,
    releasable_to: _Iterable[str] | None = None,
    classification: str | None = None,
    exercise: str | None = None,
    created: str = DEFAULT_MARKING_CREATED,
    id: str | None = None,
    created_by_ref: str | None = None,
) -> dict:
    """A fimishare marking-definition (valid STIX 2.1, property-extension, no definition_type).

    ``releasable_to`` lists organisation or individual identity ids; ``classification`` is a
    level name of the node's configured scale; ``exercise`` names the exercise. Without an
    explicit ``id`` a deterministic UUIDv5 id is derived from the content, so that the same
    marking built on two nodes has the same id.
    """
    ext: dict = {"extension_type": "property-extension"}
    if releasable_to is not None:
        ids = list(dict.fromkeys(releasable_to))
        if not ids:
            raise ValueError("releasable_to must name at least one identity (STIX lists must not be empty)")
        for i in ids:
            if not isinstance(i, str) or not i.startswith("identity--"):
                raise ValueError(f"releasable_to entries must be identity ids, got {i!r}")
        ext["releasable_to"] = ids
    if classification is not None:
        if not isinstance(classification, str) or not classification:
            raise ValueError("classification must be a non-empty string")
        ext["classification"] = classification
    if exercise is not None:
        if not isinstance(exercise, str) or not exercise:
            raise ValueError("exercise must be a non-empty string")
        ext["exercise"] = exercise
    if len(ext) == 1:
        raise ValueError("a fimishare marking needs releasable_to, classification or exercise")
    if id is None:
        canonical = _json.dumps({"name": name, **ext}, sort_keys=True, separators=(",", ":"))
        id = f"marking-definition--{_uuid.uuid5(_FIMISHARE_NAMESPACE, canonical)}"
    md = {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": id,
        "created": created,
        "name": name,
        "extensions": {FIMISHARE_MARKING_EXTENSION: ext},
    }
    if created_by_ref is not None:
        md["created_by_ref"] = created_by_ref
    return md


def marking_definitions_by_id(definitions: _Iterable[dict] | _Mapping[str, dict]) -> dict[str, dict]:
    """Turn a list of marking-definitions into the id -> object mapping the policy takes."""
    if isinstance(definitions, _Mapping):
        return dict(definitions)
    return {d["id"]: d for d in definitions}


def tlp_of(marking_refs) -> str | None:
    """The most restrictive TLP level among marking refs, as its TLP 2.0 name ("amber+strict"), or None."""
    levels = [TLP_LEVEL_BY_ID[ref] for ref in marking_refs if ref in TLP_LEVEL_BY_ID]
    return TLP_LEVEL_NAMES[max(levels)].removeprefix("TLP:").lower() if levels else None


def is_exercise_marking(definition: dict) -> bool:
    """A marking-definition that marks exercise data (fimishare extension with ``exercise``)."""
    ext = (definition.get("extensions") or {}).get(FIMISHARE_MARKING_EXTENSION)
    return isinstance(ext, dict) and "exercise" in ext
