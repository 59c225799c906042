"""Authority over objects: who may put a version of an object into the store.

STIX 2.1 section 3.6: only an object's creator makes new versions; anyone else makes a new
object (with a ``derived-from`` relationship), a note or an opinion. Here the creator is the
organisation that holds the object: the source organisation of its first stored version.
Section 7.2.1: a marking-definition is never versioned, so its first stored definition is
the only one, and the TLP definitions are taken only as OASIS publishes them. Without these
rules a partner could post a "newer version" of another organisation's object, or of the
marking-definition that decides who reads it, and the node would serve it to everyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fimishare.stix import TLP_LEVEL_BY_ID, tlp_1_0_marking_definitions, tlp_marking_definitions

_PUBLISHED = {definition["id"]: definition for definition in tlp_marking_definitions() + tlp_1_0_marking_definitions()}


@dataclass(frozen=True)
class Holder:
    """What the store holds of one id: the organisation of its first version, and the content
    hashes of the versions the submitter may read."""

    org: str
    content_hashes: frozenset[str]


def version_refusal(source_org: str, obj: dict[str, Any], content_hash: str, held: Holder | None) -> str | None:
    """Why ``source_org`` may not put this version of ``obj`` into the store, or None.

    A version the store holds already, with this content, that the submitter may read is
    always taken (it changes nothing: the store answers "unchanged"); a copy of one it may
    not read is judged as any other content, so that a right guess answers as a wrong one."""
    object_id = obj["id"]
    published = _PUBLISHED.get(object_id)
    if published is not None and obj != published:
        return f"{object_id} is the {TLP_LEVEL_BY_ID[object_id].label} marking-definition: it is taken only as OASIS publishes it"
    if held is None or content_hash in held.content_hashes:
        return None
    if obj.get("type") == "marking-definition":
        return (
            f"{object_id} is defined already, with other content: a marking-definition is never versioned "
            "(STIX 2.1 section 7.2.1); define a new marking-definition with a new id"
        )
    if held.org != source_org:
        return (
            f"{object_id} belongs to another organisation: only the organisation that created an object makes new "
            "versions of it (STIX 2.1 section 3.6); share yours as a new object with a derived-from relationship, "
            "or as a note or an opinion"
        )
    return None
