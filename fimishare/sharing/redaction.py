"""Granular-marking selectors and the redaction of selected content.

A selector (STIX 2.1 §7.2.3.1) is parsed into a *path*: a tuple of property names (str)
and list indices (int), e.g. ``"external_references.[0].url"`` ->
``("external_references", 0, "url")``.

:func:`redact` returns a copy of an object without the content at given paths, keeping the
copy valid STIX 2.1: containers left empty are removed, external references and
kill-chain phases that lose a required part are removed whole, list indices in the
remaining granular-marking selectors are renumbered, selectors that point at removed content
are dropped, required free-text properties are replaced by ``"[REDACTED]"``, and when a
required property can be neither removed nor replaced the whole object is withheld (None).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

Path = tuple[str | int, ...]

REDACTED = "[REDACTED]"

# Top-level properties that can never be removed or replaced: withholding the object is
# the only way to deny them.
STRUCTURAL = frozenset({"type", "id", "spec_version", "created", "modified", "object_marking_refs", "granular_markings"})

_NAME_REQUIRED = (
    "attack-pattern",
    "campaign",
    "course-of-action",
    "identity",
    "incident",
    "infrastructure",
    "intrusion-set",
    "threat-actor",
    "tool",
    "vulnerability",
)
# Required top-level properties per STIX 2.1 type (beyond the common ones in STRUCTURAL).
REQUIRED: dict[str, frozenset[str]] = {t: frozenset({"name"}) for t in _NAME_REQUIRED}
REQUIRED.update(
    {
        "indicator": frozenset({"pattern", "pattern_type", "valid_from"}),
        "grouping": frozenset({"context", "object_refs"}),
        "malware": frozenset({"is_family"}),
        "malware-analysis": frozenset({"product"}),
        "note": frozenset({"content", "object_refs"}),
        "observed-data": frozenset({"first_observed", "last_observed", "number_observed"}),
        "opinion": frozenset({"opinion", "object_refs"}),
        "report": frozenset({"name", "published", "object_refs"}),
        "relationship": frozenset({"relationship_type", "source_ref", "target_ref"}),
        "sighting": frozenset({"sighting_of_ref"}),
        "extension-definition": frozenset({"name", "schema", "version", "extension_types", "created_by_ref"}),
        "language-content": frozenset({"object_ref", "contents"}),
        "autonomous-system": frozenset({"number"}),
        "directory": frozenset({"path"}),
        "domain-name": frozenset({"value"}),
        "email-addr": frozenset({"value"}),
        "email-message": frozenset({"is_multipart"}),
        "ipv4-addr": frozenset({"value"}),
        "ipv6-addr": frozenset({"value"}),
        "mac-addr": frozenset({"value"}),
        "url": frozenset({"value"}),
        "mutex": frozenset({"name"}),
        "network-traffic": frozenset({"protocols"}),
        "software": frozenset({"name"}),
    }
)
# SCO types whose ``value`` has a format "[REDACTED]" would violate.
_FORMATTED_VALUE = frozenset({"domain-name", "email-addr", "ipv4-addr", "ipv6-addr", "mac-addr", "url"})
# Free-text properties that are (conditionally) required and may be replaced by "[REDACTED]".
_REPLACEABLE = frozenset({"name", "content", "context", "product"})


def _replaceable(obj: dict[str, Any], key: str) -> bool:
    if not isinstance(obj.get(key), str):
        return False
    otype = obj.get("type")
    if key in _REPLACEABLE:
        return True
    if key == "pattern":
        # A STIX pattern is parsed by validators; "[REDACTED]" is not one. Other pattern
        # languages (sigma, snort, yara, ...) are opaque strings.
        return obj.get("pattern_type") not in (None, "stix")
    if key == "value":
        return otype not in _FORMATTED_VALUE
    return False


def parse_selector(selector: Any) -> Path | None:
    """``"a.[0].b"`` -> ``("a", 0, "b")``; None when the selector is malformed."""
    if not isinstance(selector, str) or not selector:
        return None
    out: list[str | int] = []
    for part in selector.split("."):
        if not part:
            return None
        if part[0] == "[":
            if part[-1] != "]" or not part[1:-1].isdigit():
                return None
            out.append(int(part[1:-1]))
        else:
            out.append(part)
    if isinstance(out[0], int):
        return None
    return tuple(out)


def format_path(path: Path) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else p for p in path)


def _get(obj: Any, path: Path) -> tuple[bool, Any]:
    cur = obj
    for p in path:
        if isinstance(p, int):
            if not isinstance(cur, list) or p >= len(cur):
                return False, None
            cur = cur[p]
        else:
            if not isinstance(cur, dict) or p not in cur:
                return False, None
            cur = cur[p]
    return True, cur


def _covered(path: Path, deleted: set[Path]) -> bool:
    for i in range(1, len(path) + 1):
        if path[:i] in deleted:
            return True
    return False


def _children(value: Any) -> list[str | int]:
    if isinstance(value, dict):
        return list(value)
    if isinstance(value, list):
        return list(range(len(value)))
    return []


def _closure(obj: dict[str, Any], deleted: set[Path]) -> set[Path]:
    """Add the removals that keep the copy valid: emptied containers, broken entries."""
    changed = True
    while changed:
        changed = False
        # External references need source_name and one of description/url/external_id;
        # cve/capec references need their external_id. Kill-chain phases need both names.
        for key, check in (("external_references", _extref_ok), ("kill_chain_phases", _kcp_ok)):
            entries = obj.get(key)
            if not isinstance(entries, list):
                continue
            for i, entry in enumerate(entries):
                p: Path = (key, i)
                if _covered(p, deleted) or not isinstance(entry, dict):
                    continue
                remaining = {k: v for k, v in entry.items() if not _covered(p + (k,), deleted)}
                if len(remaining) != len(entry) and not check(remaining):
                    deleted.add(p)
                    changed = True
        # A list or dict whose every member was removed is removed (STIX forbids empty lists;
        # an empty dict is meaningless).
        for p in list(deleted):
            parent = p[:-1]
            if not parent or _covered(parent, deleted):
                continue
            found, value = _get(obj, parent)
            kids = _children(value)
            if found and kids and all(parent + (k,) in deleted for k in kids):
                deleted.add(parent)
                changed = True
    return deleted


def _extref_ok(entry: dict[str, Any]) -> bool:
    if "source_name" not in entry:
        return False
    if entry.get("source_name") in ("cve", "capec") and "external_id" not in entry:
        return False
    return any(k in entry for k in ("description", "url", "external_id"))


def _kcp_ok(entry: dict[str, Any]) -> bool:
    return "kill_chain_name" in entry and "phase_name" in entry


def _copy_without(value: Any, path: Path, deleted: set[Path]) -> Any:
    if isinstance(value, dict):
        return {k: _copy_without(v, path + (k,), deleted) for k, v in value.items() if path + (k,) not in deleted}
    if isinstance(value, list):
        return [_copy_without(v, path + (i,), deleted) for i, v in enumerate(value) if path + (i,) not in deleted]
    return value


def _remap(path: Path, deleted: set[Path]) -> Path:
    """Renumber list indices in ``path`` (original coordinates) after the deletions."""
    out = list(path)
    for i, comp in enumerate(path):
        if isinstance(comp, int):
            prefix = path[:i]
            shift = sum(1 for d in deleted if len(d) == i + 1 and isinstance(di := d[i], int) and di < comp and d[:i] == prefix)
            out[i] = comp - shift
    return tuple(out)


def _still_valid(obj: dict[str, Any], copy: dict[str, Any]) -> bool:
    otype: Any = obj.get("type")
    for key in REQUIRED.get(otype, ()):
        if key in obj and key not in copy:
            return False
    if otype == "malware" and obj.get("is_family") is True and "name" in obj and "name" not in copy:
        return False
    if otype == "location" and not ("region" in copy or "country" in copy or ("latitude" in copy and "longitude" in copy)):
        return False
    if otype == "file" and ("hashes" in obj or "name" in obj) and not ("hashes" in copy or "name" in copy):
        return False
    return True


def redact(obj: dict[str, Any], paths: Iterable[Path]) -> dict[str, Any] | None:
    """A copy of ``obj`` without the content at ``paths``, or None when it cannot stay valid.

    ``obj`` is never modified; the copy shares no containers with it.
    """
    deleted: set[Path] = set()
    for p in paths:
        found, _ = _get(obj, p)
        if found:
            deleted.add(p)
    replace: set[str] = set()
    if deleted:
        # Top-level keys: structural ones cannot go; required free text is replaced.
        for p in [p for p in deleted if len(p) == 1]:
            key = cast(str, p[0])  # a path starts with a property name (parse_selector)
            if key in STRUCTURAL:
                return None
            if _replaceable(obj, key):
                deleted.discard(p)
                replace.add(key)
        # Nested content under a replaced key is moot: the key's value is a string.
        deleted = {p for p in deleted if not (len(p) > 1 and p[0] in replace)}
        _closure(obj, deleted)
        for p in deleted:
            if len(p) == 1 and p[0] in STRUCTURAL:
                return None
        # keep only minimal paths
        deleted = {p for p in deleted if not any(p[:i] in deleted for i in range(1, len(p)))}
    copy: dict[str, Any] = _copy_without(obj, (), deleted)
    for key in replace:
        copy[key] = REDACTED
    if not _still_valid(obj, copy):
        return None
    gms = copy.get("granular_markings")
    if isinstance(gms, list) and deleted:
        kept = []
        for gm in gms:
            sels = gm.get("selectors") if isinstance(gm, dict) else None
            if not isinstance(sels, list):
                kept.append(gm)
                continue
            new_sels = []
            for sel in sels:
                path = parse_selector(sel)
                if path is None:
                    new_sels.append(sel)
                elif _covered(path, deleted) or not _get(obj, path)[0]:
                    continue
                else:
                    new_sels.append(format_path(_remap(path, deleted)))
            if new_sels:
                kept.append({**gm, "selectors": new_sels})
        if kept:
            copy["granular_markings"] = kept
        else:
            del copy["granular_markings"]
    return copy
