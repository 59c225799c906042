"""Access classes: what the sharing policy looks at when it decides about an object.

The policy's object-level decision depends on the object's markings, its origin and its
type, never on the rest of its content. Objects that agree on those fall in one access
class, and every principal may read either all of a class or none of it. The store keeps
each version's class, so a reader's view of the store is a filter on class ids, applied
inside the query (TAXII, the API, search) rather than object by object afterwards.

Granular markings only narrow what a reader sees of an object it may read: classes of
objects that carry them are marked ``granular`` and those objects still go through
``SharingPolicy.view`` one by one, for redaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from fimishare.stix import TLP_LEVEL_BY_ID, Tlp

# Objects an exercise context needs from real data (see docs/sharing-policy.md, "Exercise").
REFERENCE_TYPES = frozenset({"marking-definition", "identity", "extension-definition"})
CLEAR_IDS = frozenset(mid for mid, level in TLP_LEVEL_BY_ID.items() if level is Tlp.CLEAR)


def is_reference(otype: object, refs: Iterable[object]) -> bool:
    """Reference objects (marking-definitions, identities, extension-definitions, and framework
    techniques marked no more than TLP:CLEAR) are readable in exercise contexts too."""
    if otype in REFERENCE_TYPES:
        return True
    framework = isinstance(otype, str) and (otype == "attack-pattern" or otype.startswith("x-mitre-"))
    return framework and all(ref in CLEAR_IDS for ref in refs)


@dataclass(frozen=True, slots=True)
class AccessClass:
    object_marking_refs: tuple[str, ...]  # sorted, without repeats
    source_org: str
    submitted_by: str | None
    created_by_ref: str | None
    reference: bool  # see is_reference
    granular: bool

    @property
    def key(self) -> str:
        """Stable digest of the class, for finding it again in the store."""
        return hashlib.sha256(
            orjson.dumps(
                [*self.object_marking_refs, "|", self.source_org, self.submitted_by, self.created_by_ref, self.reference, self.granular]
            )
        ).hexdigest()


def access_class_of(obj: dict[str, Any], source_org: str, submitted_by: str | None) -> AccessClass:
    """The class of a valid STIX object held with this provenance."""
    refs = tuple(sorted(set(obj.get("object_marking_refs") or ())))
    creator = obj.get("created_by_ref")
    return AccessClass(
        object_marking_refs=refs,
        source_org=source_org,
        submitted_by=submitted_by,
        created_by_ref=creator if isinstance(creator, str) else None,
        reference=is_reference(obj.get("type"), refs),
        granular=bool(obj.get("granular_markings")),
    )


@dataclass(frozen=True, slots=True)
class Readable:
    """The access classes a reader may read: of the classes with id up to ``up_to`` (those
    the decision was made on), the ids in ``only``, or all of them when ``only`` is None."""

    up_to: int
    only: frozenset[int] | None = None
    granular: frozenset[int] = frozenset()  # readable classes whose objects carry granular markings

    def includes(self, access_class: int) -> bool:
        return access_class <= self.up_to and (self.only is None or access_class in self.only)
