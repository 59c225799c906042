"""What the search index holds of an object: one document per object, its newest version.

A document carries the object's access class, so that every query can keep to what the
caller may read (see fimishare.search.query). What of the object the index holds is the
sharing gate's answer (``Gate.indexed_copy``: nothing under a granular marking).
Techniques and actors are taken from the object and the objects it points at (a
relationship's ends, a report's object_refs), but only from those every reader of the
object may read too: the same access class, or public reference data such as framework
techniques. Otherwise a filter on an actor would tell who may not know it that a link exists.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from fimishare.ingest import observables
from fimishare.sharing import Gate
from fimishare.stix import tlp_of
from fimishare.store.objects import StoredVersion

# Fields every engine indexes as exact values (filters, facets).
KEYWORD_FIELDS = ("type", "tlp", "markings", "creator", "partner", "techniques", "actors", "labels", "lang", "area", "observables")

TECHNIQUE_ID = re.compile(r"^T\d{4}(?:\.\d{3,4})?$")
ACTOR_TYPES = frozenset({"threat-actor", "intrusion-set"})
# Properties that point at other objects whose techniques and actors describe this one.
LINK_PROPERTIES = ("source_ref", "target_ref", "sighting_of_ref", "object_refs")

_NOT_TEXT = frozenset(
    {
        "id",
        "type",
        "spec_version",
        "created",
        "modified",
        "name",
        "description",
        "lang",
        "revoked",
        "confidence",
        "valid_from",
        "valid_until",
        "first_seen",
        "last_seen",
        "first_observed",
        "last_observed",
        "published",
        "start_time",
        "stop_time",
        "pattern_type",
        "pattern_version",
        "hashes",
        "url",
        "granular_markings",
        "object_marking_refs",
        "external_id",
        "source_name",
        "definition_type",
        "extension_type",
    }
)
MAX_TEXT = 32_000

_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z$")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")
_LATIN = re.compile(r"[A-Za-z]{2,}")

Linked = Callable[[Iterable[str]], Mapping[str, StoredVersion]]


def linked_ids(obj: dict[str, Any]) -> list[str]:
    ids = []
    for prop in LINK_PROPERTIES:
        value = obj.get(prop)
        if isinstance(value, str):
            ids.append(value)
        elif isinstance(value, list):
            ids += [v for v in value if isinstance(v, str)]
    return ids


def build(version: StoredVersion, linked: Mapping[str, StoredVersion], reference_classes: frozenset[int]) -> dict[str, Any]:
    """The search document of ``version``; ``linked`` holds the newest stored version of
    objects it points at (any of them may be missing), ``reference_classes`` the access
    classes of public reference data."""
    obj = Gate.indexed_copy(version.obj)
    # Techniques and actors come from what the index may hold of each object, linked ones
    # included: a value under a granular marking would otherwise show in a facet or match a filter.
    kin = [obj] + [
        Gate.indexed_copy(other.obj)
        for other in (linked.get(ref) for ref in linked_ids(obj))
        if other is not None and (other.access_class == version.access_class or other.access_class in reference_classes)
    ]
    name = _text(obj.get("name") if "name" in obj else obj.get("value"))
    description = _text(obj.get("description"))
    content = " ".join(_strings(obj))[:MAX_TEXT]
    found = observables.extract(obj)
    date_added = version.date_added
    created = obj.get("created") or obj.get("first_observed")
    return {
        "id": obj["id"],
        "type": obj["type"],
        "name": name,
        "description": description,
        "content": content,
        "observables": sorted({f"{kind}:{value}" for kind, value in found}),
        "observable_values": sorted({value for _kind, value in found}),
        "markings": sorted(set(obj.get("object_marking_refs") or ())),
        "tlp": tlp_of(obj.get("object_marking_refs") or ()),
        "creator": obj.get("created_by_ref"),
        "partner": version.source_org,
        "techniques": sorted({t for other in kin for t in _technique_ids(other)}),
        "actors": sorted({a for other in kin if other.get("type") in ACTOR_TYPES for a in _actor_names(other)}),
        "labels": sorted({label for label in obj.get("labels") or () if isinstance(label, str)}),
        "lang": _languages(obj, " ".join(filter(None, (name, description, content)))),
        "area": _cooperation_areas(obj),
        "date": _normalised(created) or date_added,
        "modified": obj.get("modified"),
        "date_added": date_added,
        "access_class": version.access_class,
    }


def _normalised(stamp: object) -> str | None:
    """One timestamp form (microseconds, Z) for ranges and histograms on every engine."""
    if not (isinstance(stamp, str) and _STAMP.match(stamp)):
        return None
    base, _dot, fraction = stamp[:-1].partition(".")
    return f"{base}.{(fraction + '000000')[:6]}Z"


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _strings(value: object, key: str = "") -> Iterable[str]:
    if isinstance(value, str):
        if not key.endswith(("_ref", "_refs")):
            yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            if k not in _NOT_TEXT and not k.endswith(("_ref", "_refs")):
                yield from _strings(v, k)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, key)


def _technique_ids(obj: dict[str, Any]) -> Iterable[str]:
    if obj.get("type") != "attack-pattern":
        return ()
    return (
        ref["external_id"]
        for ref in obj.get("external_references") or ()
        if isinstance(ref, dict) and TECHNIQUE_ID.match(str(ref.get("external_id", "")))
    )


def _actor_names(obj: dict[str, Any]) -> Iterable[str]:
    names = [obj.get("name"), *(obj.get("aliases") or ())]
    return (n for n in names if isinstance(n, str) and n)


def _cooperation_areas(obj: dict[str, Any]) -> list[str]:
    """Areas of the EU-Japan partnership the object concerns (fimishare's FIMI and cyber extensions)."""
    extensions: dict[str, Any] = obj["extensions"] if isinstance(obj.get("extensions"), dict) else {}
    return sorted(
        {
            area
            for ext in extensions.values()
            if isinstance(ext, dict)
            for area in ext.get("cooperation_areas") or ()
            if isinstance(area, str)
        }
    )


def _languages(obj: dict[str, Any], text: str) -> list[str]:
    if isinstance(obj.get("lang"), str):
        return [obj["lang"].split("-")[0].lower()]
    found = []
    if _LATIN.search(text):
        found.append("en")
    if _JAPANESE.search(text):
        found.append("ja")
    return found
