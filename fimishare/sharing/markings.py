"""fimishare's own marking-definitions (releasability, classification, exercise) and the ones the policy knows by id."""

from __future__ import annotations

import json as _json
import uuid as _uuid
from collections.abc import Iterable as _Iterable
from typing import Any as _Any

from fimishare.stix import tlp_1_0_marking_definitions, tlp_marking_definitions

# fimishare's own property-extension on marking-definitions: releasability to named
# organisations or people, a classification level, and the exercise flag.
FIMISHARE_MARKING_EXTENSION = "extension-definition--0c259417-e3ea-49d3-bb33-f14823a1d4dc"

# Keys fimishare understands inside FIMISHARE_MARKING_EXTENSION. Any other key makes the
# marking "not understood", and the policy then fails closed on it.
FIMISHARE_MARKING_KEYS = frozenset({"extension_type", "releasable_to", "classification", "exercise"})

_FIMISHARE_NAMESPACE = _uuid.UUID("5e3a2d1c-6f0b-4b8e-9a57-0c4f2e9d7b11")
DEFAULT_MARKING_CREATED = "2024-11-01T00:00:00.000Z"


def default_marking_definitions() -> dict[str, dict[str, _Any]]:
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
) -> dict[str, _Any]:
    """A fimishare marking-definition (valid STIX 2.1, property-extension, no definition_type).

    ``releasable_to`` lists organisation or individual identity ids; ``classification`` is a
    level name of the node's configured scale; ``exercise`` names the exercise. Without an
    explicit ``id`` a deterministic UUIDv5 id is derived from the content, so that the same
    marking built on two nodes has the same id.
    """
    ext: dict[str, _Any] = {"extension_type": "property-extension"}
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


def is_exercise_marking(definition: dict[str, _Any]) -> bool:
    """A marking-definition that marks exercise data (fimishare extension with ``exercise``)."""
    ext = (definition.get("extensions") or {}).get(FIMISHARE_MARKING_EXTENSION)
    return isinstance(ext, dict) and "exercise" in ext
