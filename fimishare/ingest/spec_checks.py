"""The STIX 2.1 and 2.0 MUST rules that JSON schemas cannot express.

A re-implementation of the checks ``stix2validator/v21/musts.py`` and
``stix2validator/v20/musts.py`` make (with the default
``ValidationOptions(version="2.1")`` / ``version="2.0"``), written for speed:
the common case (an SDO/SRO with well-formed timestamps) costs a few dict
look-ups and string comparisons.  The reference's vocabulary tables of each
version (language codes, observable types/properties/reference rules,
timestamp properties, IANA media types and character sets) are read from the
installed ``stix2validator`` package data without importing the package itself
(which takes seconds).  ``MustChecks(version)`` holds one version's rules; the
two versions share every rule function, the differences being the tables and
the few branches on ``self.version`` listed below.

Rules for 2.1 (each reported as an error with the JSON path of the value):

* timestamps (``created``, ``modified``, the type's other timestamp properties,
  SCO timestamp properties) that match the RFC 3339 shape must be real dates;
* ``modified >= created``; ``last_seen >= first_seen``, ``valid_until >
  valid_from``, ``stop_time > start_time``, ``last_observed >=
  first_observed``, network-traffic ``end >= start``;
* a marking-definition must not reference itself in ``object_marking_refs``
  or ``granular_markings``;
* granular marking selectors must point at existing properties/list items;
* observed-data (deprecated ``objects``): ``*_ref(s)`` must resolve to an
  object of an allowed type inside ``objects``;
* artifact ``mime_type`` must be an IANA media type; directory ``path_enc`` /
  file ``name_enc`` must be IANA character sets;
* ``lang`` must be an RFC 5646 code; software ``languages`` too (ISO 639-2
  accepted); language-content ``contents`` keys are language codes and its
  inner keys valid property names;
* indicator ``pattern`` with ``pattern_type`` ``stix`` must parse (stix2-patterns,
  with ``pattern_version`` / ``spec_version`` / 2.1) and name valid observable
  types/properties;
* ``cpe`` must be a CPE 2.3 string;
* process ids, and the ids of some SCOs without any ID-contributing property,
  must be UUIDv4.

Rules for 2.0, as ``v20/musts.py`` differs:

* timestamp properties and order rules come from the 2.0 tables: the second
  timestamp of a pair must be later than *or equal to* the first (so an
  indicator's ``valid_until`` may equal ``valid_from``); there is no
  network-traffic ``end``/``start`` rule;
* observables exist only inside observed-data ``objects``: their timestamps
  are checked there (2.1's check for them never runs, it tests for a type
  named ``observable-data``), as are ``mime_type``, ``path_enc``/``name_enc``
  (observables need no ``id``), software ``languages`` (ISO 639-2 codes
  only) and ``cpe`` (not checked on other objects);
* every indicator ``pattern`` is a STIX 2.0 pattern (there is no
  ``pattern_type``); custom observable types in it must be named
  ``x-<source>-<name>`` and custom properties of standard observable types
  ``x_<source>_<name>``;
* no ``lang``, language-content or UUID version rules.

The checks run on the object and, recursively, on every STIX object found in
one of its list-valued properties (e.g. a bundle's ``objects``), as the
reference does.  Any exception a rule raises on malformed input is reported
as an error (the reference raises, which rejects the input).

``MustChecks("2.1", after=MustChecks("2.0"))`` holds the 2.1 rules a STIX 2.0
object meets as a bundle member, less those the 2.0 rules apply alike.

``ShouldFaults(version)`` finds the inputs on which the reference's SHOULD
checks raise: it computes its warnings with every verdict, on the object, on
STIX-shaped dicts in list properties and on the observables of an SCO's custom
``objects`` (unchecked by any schema), so such a raise leaves the input without a
verdict.  Each is reported as an error at the JSON path of the value the
reference trips on ("the reference validator cannot judge this object: ...").
It follows each check's own order and early exits, and, for speed, looks at
only what can raise for the object's type.
"""

from __future__ import annotations

import csv
import functools
import importlib.util
import operator
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from fimishare.stix import Problem, Severity, json_path

from .patterns import read_pattern

TIMESTAMP_RE = re.compile(
    r"^([0-9]{4})-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)(\.[0-9]+)?Z$"
)
# a timestamp whose every field the pattern bounds (day at most 28, no leap second, no year 0):
# a real instant without a calendar (most are)
_SURELY_REAL = re.compile(r"^(?!0000)[0-9]{4}-(0[1-9]|1[012])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?Z$")
TYPE_NAME_RE = re.compile(r"^\-?[a-z0-9]+(-[a-z0-9]+)*\-?$")
PROPERTY_NAME_RE = re.compile(r"^[a-z0-9_]{3,250}$")
CUSTOM_TYPE_PREFIX_RE = re.compile(r"^x\-.+\-.+$")
CUSTOM_PROPERTY_PREFIX_RE = re.compile(r"^x_.+_.+$")
_SELECTOR_INDEX_RE = re.compile(r"\[(\d+)\]")
_CPE_VERSION_23 = "2.3"


@functools.cache
def enums(version: str = "2.1") -> Any:
    """The reference's vocabulary tables of one STIX version (pure data module, stdlib imports only)."""
    spec = importlib.util.find_spec("stix2validator")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("stix2-validator is not installed")
    base = list(spec.submodule_search_locations)[0]
    package = "v" + version.replace(".", "")
    mspec = importlib.util.spec_from_file_location(f"_fimishare_oasis_{package}_enums", f"{base}/{package}/enums.py")
    assert mspec is not None and mspec.loader is not None
    module = importlib.util.module_from_spec(mspec)
    mspec.loader.exec_module(module)
    return module


@functools.cache
def _media_types(version: str) -> frozenset[str]:
    import glob
    import os

    base = os.path.dirname(enums(version).__file__)
    types: set[str] = set()
    for fpath in glob.glob(os.path.join(base, "assets", "mediatype_*.csv")):
        category = os.path.basename(fpath).split("_", 1)[1].rsplit(".", 1)[0]
        with open(fpath, encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row.get("Template"):
                    types.add(row["Template"])
                elif row.get("Name"):
                    types.add(category + "/" + row["Name"])
    return frozenset(types)


@functools.cache
def _char_sets(version: str) -> frozenset[str]:
    import os

    base = os.path.dirname(enums(version).__file__)
    names: set[str] = set()
    with open(os.path.join(base, "assets", "charsets.csv"), encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row.get("Preferred MIME Name"):
                names.add(row["Preferred MIME Name"])
            elif row.get("Name"):
                names.add(row["Name"])
    return frozenset(names)


def _timestamp_is_real(value: str, match: re.Match[str]) -> bool:
    """Whether a string of the timestamp shape denotes a real instant (as
    dateutil's parser decides)."""
    if match.group(3) <= "28" and match.group(6) != "60" and match.group(1) != "0000":
        return True  # the pattern has bounded every field: only long days and leap seconds need a calendar
    try:
        second = int(match.group(6))
        if second < 60:
            datetime(int(match.group(1)), int(match.group(2)), int(match.group(3)), int(match.group(4)), int(match.group(5)), second)
            return True
    except ValueError:
        pass
    from dateutil import parser  # rare path: let dateutil decide exactly

    try:
        parser.parse(value)
    except (ValueError, OverflowError):
        return False
    return True


@functools.lru_cache(maxsize=1024)
def _inspect_as_21(pattern: str) -> dict[str, list[Any]] | str:
    """The comparisons of a pattern as the STIX 2.1 grammar reads them, or why it cannot."""
    from stix2patterns.v21.pattern import Pattern

    try:
        return dict(Pattern(pattern).inspect().comparisons)
    except Exception as exc:  # ParseException, the parser's only complaint
        return str(exc)


def _kind(value: Any) -> str:
    """What a JSON value is, in words."""
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list", dict: "an object"}.get(
        type(value), type(value).__name__
    )


@functools.lru_cache(maxsize=1 << 16)
def _real_or_unshaped(value: str) -> bool:
    """False for a string of the timestamp shape that is no real instant (many objects share their timestamps)."""
    match = TIMESTAMP_RE.match(value)
    return match is None or _timestamp_is_real(value, match)


def _strptime_like(value: str) -> datetime | str:
    for fmt in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    return value


_OPS: dict[str, Callable[[Any, Any], bool]] = {"ge": operator.ge, "gt": operator.gt}
_OP_WORDS = {"ge": "later than or equal to", "gt": "later than"}


def _compare(first: Any, op: str, second: Any) -> bool:
    """``first op second`` the reference's way: as datetimes when both parse
    with a fixed format, else as plain values."""
    comp = _OPS[op]
    if type(first) is str and type(second) is str:
        if len(first) == len(second):
            # the same layout: chronological order is string order, and where either is
            # no timestamp (or fails to parse) the reference compares the strings
            return comp(first, second)
        if TIMESTAMP_RE.match(first) and TIMESTAMP_RE.match(second):
            d1, d2 = _strptime_like(first), _strptime_like(second)
            if isinstance(d1, datetime) and isinstance(d2, datetime):
                return comp(d1, d2)
        return comp(first, second)
    # non-strings: the reference's regex match raises -> malformed input
    if not isinstance(first, str) or not isinstance(second, str):
        raise TypeError("timestamps must be strings")
    return comp(first, second)


def stix_children(obj: dict[str, Any]) -> list[tuple[str, int, dict[str, Any]]]:
    """(property, index, object) of each STIX-shaped object (a dict with 'id' and 'type') in a list property:
    the reference runs its MUST and SHOULD checks on each, as on the object."""
    found = []
    for key, value in obj.items():
        if type(value) is list:
            for i, child in enumerate(value):
                if type(child) is dict and "id" in child and "type" in child:
                    found.append((key, i, child))
    return found


class ReferenceFault(Exception):
    """The reference's own checks raise on this input (so it gives no verdict): where, and why."""

    def __init__(self, path: list[str | int], message: str):
        super().__init__(message)
        self.path = json_path(*path)
        self.message = message


def cannot_judge(check: str, what: str) -> str:
    return f"the reference validator cannot judge this object: {what} (its {check} check raises on it)"


class _Ctx:
    __slots__ = ("problems", "oid")

    def __init__(self, problems: list[Problem], oid: str | None):
        self.problems = problems
        self.oid = oid

    def error(self, path: str, message: str) -> None:
        self.problems.append(Problem(self.oid, path, message, Severity.ERROR))


# One MUST check: (checks, object, JSON path of the object, where it reports).
_Rule = Callable[["MustChecks", dict[str, Any], list[str | int], _Ctx], None]


class MustChecks:
    """The MUST checks of one STIX version, "2.1" or "2.0".

    ``after``: checks of another version already run on the same objects; rules and
    timestamps they have judged alike are then left out (a STIX 2.0 object meets the 2.0
    rules and, as a bundle member, the 2.1 rules: most of those are the same)."""

    def __init__(self, version: str = "2.1", after: MustChecks | None = None) -> None:
        if version not in ("2.0", "2.1"):
            raise ValueError(f"no MUST checks for STIX {version!r}")
        self.version = version
        e = enums(version)
        self.observable_types = frozenset(e.OBSERVABLE_TYPES)
        self.observable_properties = {k: frozenset(v) for k, v in e.OBSERVABLE_PROPERTIES.items()}
        self.observable_prop_refs = e.OBSERVABLE_PROP_REFS
        self.timestamp_props = {k: ("created", "modified", *v) for k, v in e.TIMESTAMP_PROPERTIES.items()}
        self.timestamp_obs_props = e.TIMESTAMP_OBSERVABLE_PROPERTIES
        self.timestamp_embedded = e.TIMESTAMP_EMBEDDED_PROPERTIES
        self.media_types = _media_types(version)
        self.char_sets = _char_sets(version)
        if version == "2.1":
            self.lang_codes = frozenset(e.LANG_CODES)
            self.software_languages = self.lang_codes | frozenset(e.SOFTWARE_LANG_CODES)
            self.compares: dict[str, list[tuple[str, str, str]]] = {
                k: [("modified", "ge", "created"), *v] for k, v in e.TIMESTAMP_COMPARE.items()
            }
            self.obs_compares = e.TIMESTAMP_COMPARE_OBSERVABLE
            # a list, not a set: the reference's membership test must not raise on an unhashable type
            self.top_level_observable_types = list(e.OBSERVABLE_TYPES)
            self.rules: tuple[_Rule, ...] = self._RULES
        else:
            self.software_languages = frozenset(e.SOFTWARE_LANG_CODES)
            # 2.0 orders the two timestamps of a type that has exactly two
            self.compares = {
                k: [("modified", "ge", "created"), (v[1], "ge", v[0])] for k, v in e.TIMESTAMP_PROPERTIES.items() if len(v) == 2
            }
            self.obs_compares = {}
            self.top_level_observable_types = []  # 2.0 observables live only inside observed-data
            self.rules = tuple(rule for rule in self._RULES if rule not in self._ONLY_2_1)
        self._default_props: tuple[str, ...] = ("created", "modified")
        self._default_compares: Sequence[tuple[str, str, str]] = (("modified", "ge", "created"),)
        self._markings_judged = False
        if after is not None:
            self._leave_out(after)
        self._by_type: dict[str, tuple[_Rule, ...]] = {}
        self._triggers: dict[str, tuple[tuple[str, ...], tuple[_Rule, ...]]] = {}

    def _leave_out(self, after: MustChecks) -> None:
        """Drop what ``after`` judges the same way: the same timestamps (the same real-date
        rule), the same comparisons, and the marking rules (alike in both versions)."""
        kinds = set(self.timestamp_props) | set(after.timestamp_props) | set(self.compares) | set(after.compares)
        props = {k: self.timestamp_props.get(k, self._default_props) for k in kinds}
        compares = {k: self.compares.get(k, self._default_compares) for k in kinds}
        self.timestamp_props = {
            k: tuple(p for p in v if p not in after.timestamp_props.get(k, after._default_props)) for k, v in props.items()
        }
        self.compares = {k: [c for c in v if c not in after.compares.get(k, after._default_compares)] for k, v in compares.items()}
        self._default_props = tuple(p for p in self._default_props if p not in after._default_props)
        self._default_compares = [c for c in self._default_compares if c not in after._default_compares]
        self._markings_judged = True

    # -------------------------------------------------------------- driver
    def run(
        self,
        obj: dict[str, Any],
        base: list[str | int],
        problems: list[Problem],
        children: list[tuple[str, int, dict[str, Any]]] | None = None,
        also: MustChecks | None = None,
        ctx: _Ctx | None = None,
    ) -> None:
        """The rules on ``obj`` and on the STIX objects in its list properties (``children``,
        found if not given); ``also``, the rules of another MustChecks on the same objects.
        What is found in a child is reported, at its path, as a problem of the object."""
        if ctx is None:
            oid = obj.get("id")
            ctx = _Ctx(problems, oid if isinstance(oid, str) else None)
        self._apply(obj, base, ctx)
        if also is not None:
            also._apply(obj, base, ctx)
        # child STIX objects inside list-valued properties (e.g. bundle objects)
        for key, i, child in stix_children(obj) if children is None else children:
            self.run(child, [*base, key, i], problems, None, also, ctx)

    def _apply(self, obj: dict[str, Any], base: list[str | int], ctx: _Ctx) -> None:
        for check in self._applicable(obj):
            try:
                check(self, obj, base, ctx)
            except ReferenceFault as fault:
                ctx.error(fault.path, fault.message)
            except Exception as exc:  # the reference raises here too: reject
                what = f"{type(exc).__name__}: {exc}"
                ctx.error(json_path(*base), cannot_judge(check.__name__.strip("_").replace("_", " ").removesuffix(" checks"), what))

    # ---------------------------------------------------------------- rules
    def _timestamps(self, obj: dict[str, Any], base: list[str | int], ctx: _Ctx) -> None:
        otype = obj["type"]
        props = self.timestamp_props.get(otype, self._default_props)
        for prop in props:
            if prop in obj:
                value = obj[prop]
                if type(value) is not str or not (_SURELY_REAL.match(value) or _real_or_unshaped(value)):
                    self._check_ts(value, [*base, prop], ctx)
        if self.version == "2.0":  # 2.0 observables are the ones inside observed-data
            if otype != "observed-data":
                return
            for sco, path in self._sco_views(obj, base):
                if "type" in sco:
                    self._sco_timestamps(sco, path, ctx)
        elif otype in self.top_level_observable_types:
            # not observed-data's observables: the reference's test for them names a type 'observable-data'
            self._sco_timestamps(obj, base, ctx)

    def _check_ts(self, value: Any, path: list[str | int], ctx: _Ctx) -> None:
        if type(value) is not str:
            raise ReferenceFault(path, cannot_judge("timestamp", f"a timestamp must be a string, not {_kind(value)}"))
        if not _real_or_unshaped(value):
            ctx.error(json_path(*path), f"{value!r} is not a valid timestamp")

    def _sco_timestamps(self, sco: dict[str, Any], base: list[str | int], ctx: _Ctx) -> None:
        otype = sco["type"]
        for prop in self.timestamp_obs_props.get(otype, ()):
            if prop in sco:
                self._check_ts(sco[prop], base + [prop], ctx)
        for embed, props in self.timestamp_embedded.get(otype, {}).items():
            container = sco.get(embed)
            if embed not in sco or not isinstance(container, Mapping):
                continue
            for prop in props:
                if embed == "extensions":
                    for ext, ext_val in container.items():
                        if prop in ext_val:
                            self._check_ts(ext_val[prop], base + [embed, ext, prop], ctx)
                elif prop in container:
                    self._check_ts(container[prop], base + [embed, prop], ctx)

    def _timestamp_order(self, obj: dict[str, Any], base: list[str | int], ctx: _Ctx) -> None:
        otype = obj.get("type", "")
        compares: Sequence[tuple[str, str, str]] | None = self.compares.get(otype) if isinstance(otype, str) else None
        if compares is None:
            compares = self._default_compares
        for first, op, second in compares:
            if first in obj and second in obj and not _compare(obj[first], op, obj[second]):
                ctx.error(json_path(*base, first), f"'{first}' ({obj[first]}) must be {_OP_WORDS[op]} '{second}' ({obj[second]})")

    def _sco_views(self, obj: dict[str, Any], base: list[str | int]) -> list[tuple[Any, list[str | int]]]:
        otype = obj["type"]
        if otype == "observed-data" and "objects" in obj and type(obj["objects"]) is dict:
            return [(val, base + ["objects", key]) for key, val in obj["objects"].items()]
        if otype in self.top_level_observable_types:
            if "objects" in obj:
                objects = obj["objects"]
                if type(objects) is not dict:
                    why = f"it reads an observable's 'objects' as a dictionary, but it is {_kind(objects)}"
                    raise ReferenceFault([*base, "objects"], cannot_judge("observable", why))
                return [(val, base + ["objects", key]) for key, val in objects.items()]
            return [(obj, base)]
        return []

    def _observable_checks(self, obj: dict[str, Any], base: list[str | int], ctx: _Ctx) -> None:
        views = self._sco_views(obj, base)
        if not views:
            return
        for sco, path in views:
            stype = sco.get("type", "")
            # network-traffic end >= start
            for first, op, second in self.obs_compares.get(stype, ()):
                if first in sco and second in sco and not _compare(sco[first], op, sco[second]):
                    ctx.error(json_path(*path, first), f"'{first}' ({sco[first]}) must be {_OP_WORDS[op]} '{second}' ({sco[second]})")
            if stype == "artifact" and "mime_type" in sco:
                if sco["mime_type"] not in self.media_types:
                    ctx.error(json_path(*path, "mime_type"), f"mime_type {sco['mime_type']!r} is not an IANA registered media type")
            if stype == "directory" and "path_enc" in sco:
                if self.version == "2.1":
                    sco["id"]  # the reference needs it for its message
                if sco["path_enc"] not in self.char_sets:
                    ctx.error(json_path(*path, "path_enc"), f"path_enc {sco['path_enc']!r} is not an IANA registered character set")
            elif stype == "file" and "name_enc" in sco:
                if self.version == "2.1":
                    sco["id"]
                if sco["name_enc"] not in self.char_sets:
                    ctx.error(json_path(*path, "name_enc"), f"name_enc {sco['name_enc']!r} is not an IANA registered character set")
            if stype == "software" and "languages" in sco:
                for i, lang in enumerate(sco["languages"]):
                    if lang not in self.software_languages:
                        ctx.error(
                            json_path(*path, "languages", i),
                            f"{lang!r} is not a language code STIX {self.version} allows in software 'languages'",
                        )
            if self.version == "2.0" and "cpe" in sco:  # 2.1 checks cpe on the object itself
                self._check_cpe(sco["cpe"], path, ctx)
        # the reference's 2.1 character-set check reads the 'id' of every observable it finds in
        # 'objects' (2.0 observables have none), an SCO's custom 'objects' property included
        if self.version == "2.1" and "objects" in obj:
            for sco, path in views:
                if not isinstance(sco, dict) or "id" not in sco:
                    raise ReferenceFault(path, cannot_judge("character set", "each observable in 'objects' needs an 'id'"))

    def _observable_refs(self, obj: dict[str, Any], base: list[str | int], ctx: _Ctx) -> None:
        if obj["type"] != "observed-data" or "objects" not in obj or type(obj["objects"]) is not dict:
            return
        objects = obj["objects"]
        for key, sco in objects.items():
            if "type" not in sco or sco["type"] not in self.observable_prop_refs:
                continue
            rules = self.observable_prop_refs[sco["type"]]
            for prop, rule in rules.items():
                if prop not in sco:
                    continue
                if isinstance(rule, list):
                    self._refs_ok(sco[prop], rule, objects, base + ["objects", key, prop], ctx)
                elif isinstance(rule, dict):
                    value = sco[prop]
                    for embedded, sub in rule.items():
                        if isinstance(value, dict):
                            if embedded not in value:
                                continue
                            for eprop in value[embedded]:
                                if eprop not in sub:
                                    continue
                                self._refs_ok(
                                    value[embedded][eprop], sub[eprop], objects, base + ["objects", key, prop, embedded, eprop], ctx
                                )
                        elif isinstance(value, list):
                            for i, item in enumerate(value):
                                if embedded not in item:
                                    continue
                                self._refs_ok(item[embedded], sub, objects, base + ["objects", key, prop, i, embedded], ctx)

    @staticmethod
    def _refs_ok(refs: Any, allowed: list[str], objects: dict[str, Any], path: list[str | int], ctx: _Ctx) -> None:
        if not isinstance(refs, list):
            refs = [refs]
        for ref in refs:
            if ref not in objects:
                ctx.error(json_path(*path), f"can't resolve reference {ref!r} inside 'objects'")
                continue
            target = objects[ref]
            if "type" not in target:
                continue
            if target["type"] not in allowed:
                ctx.error(json_path(*path), f"must refer to an object of type {' or '.join(map(repr, allowed))}")

    def _markings(self, obj: dict[str, Any], base: list[str | int], ctx: _Ctx) -> None:
        if obj["type"] == "marking-definition":
            oid = obj["id"]
            if "object_marking_refs" in obj:
                for i, ref in enumerate(obj["object_marking_refs"]):
                    if ref == oid:
                        ctx.error(
                            json_path(*base, "object_marking_refs", i), "a marking definition must not mark itself (circular reference)"
                        )
            if "granular_markings" in obj:
                for i, gm in enumerate(obj["granular_markings"]):
                    if "marking_ref" in gm and gm["marking_ref"] == oid:
                        ctx.error(
                            json_path(*base, "granular_markings", i, "marking_ref"),
                            "a marking definition must not mark itself (circular reference)",
                        )
        if "granular_markings" not in obj:
            return
        for i, gm in enumerate(obj["granular_markings"]):
            if "selectors" not in gm:
                continue
            for j, selector in enumerate(gm["selectors"]):
                self._selector(obj, selector, base + ["granular_markings", i, "selectors", j], ctx)

    @staticmethod
    def _selector(obj: dict[str, Any], selector: str, path: list[str | int], ctx: _Ctx) -> None:
        node: Any = obj
        prev = None
        for seg in selector.split("."):
            m = _SELECTOR_INDEX_RE.match(seg)
            if m:
                idx = int(m.group(1))
                try:
                    node = node[idx]
                except IndexError:
                    ctx.error(json_path(*path), f"{selector!r} is not a valid selector: {idx} is not a valid index")
                except KeyError:
                    ctx.error(json_path(*path), f"{selector!r} is not a valid selector: {prev!r} is not a list")
            else:
                try:
                    node = node[seg]
                except KeyError:
                    ctx.error(json_path(*path), f"{selector!r} is not a valid selector: {seg!r} is not a property")
                except TypeError:
                    ctx.error(json_path(*path), f"{selector!r} is not a valid selector: {seg!r} is not a property")
            prev = seg

    def _language(self, obj: dict[str, Any], base: list[str | int], ctx: _Ctx) -> None:
        if "lang" in obj and obj["lang"] not in self.lang_codes:
            ctx.error(json_path(*base, "lang"), f"{obj['lang']!r} is not a valid RFC 5646 language code")
        if obj["type"] == "language-content" and "contents" in obj:
            for key, value in obj["contents"].items():
                if key not in self.lang_codes:
                    ctx.error(json_path(*base, "contents", key), f"{key!r} is not an RFC 5646 language code")
                for subkey, _ in value.items():
                    if not PROPERTY_NAME_RE.match(subkey):
                        ctx.error(json_path(*base, "contents", key, subkey), f"{subkey!r} is not a valid property name")

    def _pattern(self, obj: dict[str, Any], base: list[str | int], ctx: _Ctx) -> None:
        if obj["type"] != "indicator" or not isinstance(obj.get("pattern"), str):
            return
        if self.version == "2.0":
            version = "2.0"  # 2.0 has no pattern_type: every pattern is a STIX 2.0 pattern
        elif obj.get("pattern_type", "") != "stix":
            return
        elif "pattern_version" in obj:
            version = obj["pattern_version"]
        elif "spec_version" in obj:
            version = obj["spec_version"]
        else:
            version = "2.1"
        for msg in self._pattern_messages(obj["pattern"], version if version in ("2.0", "2.1") else "2.0"):
            ctx.error(json_path(*base, "pattern"), msg)

    def _pattern_messages(self, pattern: str, version: str) -> list[str]:
        reading = read_pattern(pattern, version)
        if not reading.valid:
            return [f"invalid STIX pattern: {e}" for e in reading.errors]
        comparisons = reading.comparisons
        if self.version == "2.1" and version != "2.1":
            # the reference checks the syntax of a pattern of another pattern_version with that
            # version's grammar (2.0 for any but "2.1"), then inspects it with the 2.1 grammar
            inspected = _inspect_as_21(pattern)
            if isinstance(inspected, str):
                return [cannot_judge("pattern", f"the pattern is valid STIX {version} but not STIX 2.1 ({inspected})")]
            comparisons = inspected
        # 2.0 makes the custom-name prefixes a MUST in patterns; 2.1 only with
        # an option (extensions-use disabled) that is off by default
        prefixes_required = self.version == "2.0"
        out = []
        for objtype, expressions in comparisons.items():
            standard_type = objtype in self.observable_types
            if not standard_type:
                if not TYPE_NAME_RE.match(objtype) or not 3 <= len(objtype) <= 250:
                    out.append(f"{objtype!r} is not a valid observable type name")
                elif prefixes_required and not CUSTOM_TYPE_PREFIX_RE.match(objtype):
                    out.append(f"custom observable type {objtype!r} must be named 'x-<source>-<name>'")
            known = self.observable_properties.get(objtype, frozenset())
            for expression in expressions:
                prop = expression[0][0]
                if prop in known:
                    continue
                if not PROPERTY_NAME_RE.match(prop):
                    out.append(f"{prop!r} is not a valid observable property name")
                elif prefixes_required and standard_type and not CUSTOM_PROPERTY_PREFIX_RE.match(prop):
                    out.append(f"custom property {prop!r} of {objtype!r} must be named 'x_<source>_<name>'")
        return out

    def _cpe(self, obj: dict[str, Any], base: list[str | int], ctx: _Ctx) -> None:
        if "cpe" in obj:
            self._check_cpe(obj["cpe"], base, ctx)

    @staticmethod
    def _check_cpe(value: Any, base: list[str | int], ctx: _Ctx) -> None:
        from cpe import CPE

        try:
            CPE(value, CPE.VERSION_2_3)
        except NotImplementedError:
            ctx.error(json_path(*base, "cpe"), f"{value!r} is not a CPE v2.3 string")

    _UUID4_WITHOUT = {
        "artifact": ("hashes", "payload_bin"),
        "email-message": ("from_ref", "subject", "body"),
        "user-account": ("account_type", "user_id", "account_login"),
        "windows-registry-key": ("key", "values"),
        "x509-certificate": ("hashes", "serial_number"),
    }

    def _uuid_versions(self, obj: dict[str, Any], base: list[str | int], ctx: _Ctx) -> None:
        otype = obj["type"]
        if otype == "process":
            if uuid.UUID(obj["id"].split("--")[-1]).version != 4:
                ctx.error(json_path(*base, "id"), "a process object must use a UUIDv4 id")
            return
        if not isinstance(otype, str):
            return
        contributing = self._UUID4_WITHOUT.get(otype)
        if contributing is None or "id" not in obj:
            return
        version = uuid.UUID(obj["id"].split("--")[-1]).version
        if all(k not in obj for k in contributing) and version != 4:
            ctx.error(json_path(*base, "id"), "without ID contributing properties the id must be a UUIDv4")

    def _applicable(self, obj: dict[str, Any]) -> tuple[_Rule, ...]:
        """The checks that can find anything in this object: each skipped one would return
        at its first test (so skipping it changes no verdict), and this runs on every object."""
        otype = obj["type"]
        if type(otype) is not str:
            return self.rules
        checks = self._by_type.get(otype)
        if checks is None:
            found: list[_Rule] = []
            if self.timestamp_props.get(otype, self._default_props) or otype in self.top_level_observable_types or otype == "observed-data":
                found.append(MustChecks._timestamps)
            if self.compares.get(otype, self._default_compares):
                found.append(MustChecks._timestamp_order)
            if otype == "observed-data":
                found.append(MustChecks._observable_refs)
            if otype == "observed-data" or otype in self.top_level_observable_types:
                found.append(MustChecks._observable_checks)
            if otype == "indicator":
                found.append(MustChecks._pattern)
            if self.version == "2.1" and (otype == "process" or otype in self._UUID4_WITHOUT):
                found.append(MustChecks._uuid_versions)
            checks = self._by_type[otype] = tuple(found)
            if self._markings_judged and otype != "observed-data" and otype not in self.top_level_observable_types:
                # what is left of the timestamp rules looks only at these properties
                triggers = set(self.timestamp_props.get(otype, self._default_props))
                triggers.update(p for c in self.compares.get(otype, self._default_compares) for p in (c[0], c[2]))
                without = tuple(c for c in checks if c is not MustChecks._timestamps and c is not MustChecks._timestamp_order)
                self._triggers[otype] = (tuple(triggers), without)
        found_triggers = self._triggers.get(otype)
        if found_triggers is not None:
            for prop in found_triggers[0]:
                if prop in obj:
                    break
            else:
                checks = found_triggers[1]
        if (otype == "marking-definition" or "granular_markings" in obj) and not self._markings_judged:
            checks += (MustChecks._markings,)
        if self.version == "2.1":
            if "lang" in obj or otype == "language-content":
                checks += (MustChecks._language,)
            if "cpe" in obj:
                checks += (MustChecks._cpe,)
        return checks

    _RULES = (
        _timestamps,
        _timestamp_order,
        _markings,
        _observable_refs,
        _observable_checks,
        _language,
        _pattern,
        _cpe,
        _uuid_versions,
    )
    _ONLY_2_1 = (_language, _cpe, _uuid_versions)


# --------------------------------------------------------------------------- inputs the reference cannot judge
#
# The reference computes its SHOULD warnings eagerly with every verdict, on the object and, as
# for the MUST checks, on every STIX-shaped dict in its list properties; those and the
# observables of a custom 'objects' property on an SCO are checked without any schema having
# looked at them. Where one of those checks raises (a string method on a number, a loop over
# null, a dictionary lookup by a list...), the reference raises instead of giving a verdict.
# ShouldFaults finds the same inputs, following each check's own order and early exits so
# that it finds no more and no fewer; it reports the first per object, with its JSON path.

_Path = list[str | int]


def _iterate(value: Any, path: _Path, check: str) -> list[tuple[Any, _Path]]:
    """``for item in value`` as Python runs it on a JSON value: keys of an object, items of a list, characters."""
    if type(value) is dict:
        return [(key, [*path, key]) for key in value]
    if type(value) is list:
        return [(item, [*path, i]) for i, item in enumerate(value)]
    if type(value) is str:
        return [(char, path) for char in value]
    raise ReferenceFault(path, cannot_judge(check, f"it loops over this value, which is {_kind(value)}"))


def _hashable(value: Any) -> bool:
    return type(value) is not dict and type(value) is not list


def _contains(container: Any, item: Any, path: _Path, check: str) -> bool:
    """``item in container`` as Python runs it on JSON values."""
    if type(container) is str:
        if type(item) is not str:
            raise ReferenceFault(path, cannot_judge(check, f"it looks for {_kind(item)} in a string"))
        return item in container
    if type(container) is dict:
        if not _hashable(item):
            raise ReferenceFault(path, cannot_judge(check, f"it looks up {_kind(item)} as a key"))
        return item in container
    if type(container) is list:
        return item in container
    raise ReferenceFault(path, cannot_judge(check, f"it looks for {item!r} in this value, which is {_kind(container)}"))


def _item(container: Any, key: str, path: _Path, check: str) -> Any:
    """``container[key]`` with a string key, where the reference does not expect it to fail."""
    if type(container) is dict and key in container:
        return container[key]
    if type(container) is dict:
        raise ReferenceFault(path, cannot_judge(check, f"it reads its {key!r}, which is missing"))
    raise ReferenceFault(path, cannot_judge(check, f"it reads {key!r} of this value, which is {_kind(container)}"))


def _lookup(value: Any, *keys: str) -> tuple[bool, Any]:
    """``value[k1][k2]...`` inside the reference's ``try: ... except (KeyError, TypeError)``."""
    for key in keys:
        if type(value) is not dict or key not in value:
            return False, None
        value = value[key]
    return True, value


def _string(value: Any, path: _Path, check: str) -> str:
    if type(value) is not str:
        raise ReferenceFault(path, cannot_judge(check, f"it reads this value as a string, but it is {_kind(value)}"))
    return value


def _sized(value: Any, path: _Path, check: str) -> int:
    if type(value) not in (str, list, dict):
        raise ReferenceFault(path, cannot_judge(check, f"it takes the length of {_kind(value)}"))
    return len(value)


def _known_hash(name: Any, e: Any) -> bool:
    return name in e.HASH_ALGO_OV or (type(name) is str and name.startswith("x_"))


def _uppercase_key(item: dict[str, Any], exceptions: frozenset[str]) -> bool:
    """Whether a dictionary of an observable has a key the reference warns about (one with a capital letter, or empty)."""
    for key, value in item.items():
        if not key or any("A" <= c <= "Z" for c in key):
            return True
        if type(value) is dict and key not in exceptions and _uppercase_key(value, exceptions):
            return True
    return False


class _Unset:
    """No value given (None is a value here)."""


_UNSET = _Unset()
_ObjectFault = Callable[["ShouldFaults", dict[str, Any], _Path], None]


class ShouldFaults:
    """Where the reference's SHOULD checks (and the views its observable checks take) raise, for one STIX version."""

    def __init__(self, version: str = "2.1", after: ShouldFaults | None = None) -> None:
        """``after``: faults of another version already looked for on the same objects; the
        checks both versions make alike (external references, duplicate ids, kill chain names
        of a type both list) are left out."""
        if version not in ("2.0", "2.1"):
            raise ValueError(f"no SHOULD checks for STIX {version!r}")
        self.version = version
        self._alike: frozenset[_ObjectFault] = frozenset()
        self._after = after
        if after is not None:
            self._alike = frozenset({ShouldFaults._external_references, ShouldFaults._duplicate_ids})
        e = enums(version)
        self.e = e
        self.observable_types = list(e.OBSERVABLE_TYPES)
        # (the 'X_USES' table, the property) for every vocabulary the reference's check_vocab consults
        names = (
            (
                "ATTACK_MOTIVATION ATTACK_RESOURCE_LEVEL GROUPING_CONTEXT IDENTITY_CLASS IMPLEMENTATION_LANGUAGES "
                "INDICATOR_PATTERN INDICATOR_TYPE INDUSTRY_SECTOR INFRASTRUCTURE_TYPE MALWARE_CAPABILITIES MALWARE_RESULT "
                "MALWARE_TYPE PROCESSOR_ARCHITECTURE REGION REPORT_TYPE THREAT_ACTOR_ROLE THREAT_ACTOR_SOPHISTICATION "
                "THREAT_ACTOR_TYPE TOOL_TYPE"
            )
            if version == "2.1"
            else (
                "ATTACK_MOTIVATION ATTACK_RESOURCE_LEVEL IDENTITY_CLASS INDICATOR_LABEL INDUSTRY_SECTOR MALWARE_LABEL "
                "REPORT_LABEL THREAT_ACTOR_LABEL THREAT_ACTOR_ROLE THREAT_ACTOR_SOPHISTICATION TOOL_LABEL"
            )
        ).split()
        self.vocab_props: dict[str, list[str]] = {}
        for name in names:
            for otype, props in getattr(e, name + "_USES").items():
                self.vocab_props.setdefault(otype, []).extend(props)
        self._by_type: dict[str, tuple[_ObjectFault, ...]] = {}
        self._bound: dict[tuple[str, int], tuple[Callable[[dict[str, Any], _Path], None], ...]] = {}

    # -------------------------------------------------------------- driver
    def run(
        self,
        obj: dict[str, Any],
        base: _Path,
        problems: list[Problem],
        children: list[tuple[str, int, dict[str, Any]]] | None = None,
        also: ShouldFaults | None = None,
        oid: str | None | _Unset = _UNSET,
    ) -> None:
        """Faults of ``obj`` and, recursively, of the STIX objects in its list properties (``children``,
        found if not given); ``also``, those another ShouldFaults finds in the same objects.
        What is found in a child is reported, at its path, as a problem of the object ``oid``."""
        if isinstance(oid, _Unset):
            found = obj.get("id")
            oid = found if isinstance(found, str) else None
        try:
            if type(obj["id"]) is not str and (self.version == "2.1" or (also is not None and also.version == "2.1")):
                self._uuid(obj, base)  # (2.0 has no UUID check)
            for check in self._with(also, obj):
                check(obj, base)
        except ReferenceFault as fault:
            problems.append(Problem(oid, fault.path, fault.message))
        except Exception as exc:  # what this code did not foresee: not accepted either
            problems.append(Problem(oid, json_path(*base), cannot_judge("SHOULD", f"{type(exc).__name__}: {exc}")))
        for key, i, child in stix_children(obj) if children is None else children:
            self.run(child, [*base, key, i], problems, None, also, oid)

    def _with(self, also: ShouldFaults | None, obj: dict[str, Any]) -> tuple[Callable[[dict[str, Any], _Path], None], ...]:
        """The checks of this version (and of ``also``) for the object, bound to their instances."""
        otype = obj["type"]
        key = None if type(otype) is dict or type(otype) is list else (otype if type(otype) is str else repr(otype), id(also))
        checks = self._bound.get(key) if key is not None else None
        if checks is None:
            checks = tuple(check.__get__(self) for check in self._applicable(obj))
            if also is not None:
                checks += tuple(check.__get__(also) for check in also._applicable(obj))
            if key is not None:
                self._bound[key] = checks
        return checks

    def _applicable(self, obj: dict[str, Any]) -> tuple[_ObjectFault, ...]:
        otype = obj["type"]
        if type(otype) is dict or type(otype) is list:
            return (ShouldFaults._unhashable_type,)
        key = otype if type(otype) is str else repr(otype)
        checks = self._by_type.get(key)
        if checks is None:
            found: list[_ObjectFault] = []  # (and the UUID check, made by run)
            if otype in self.e.VOCAB_PROPERTIES:
                found.append(ShouldFaults._open_vocab)
            if otype in self.e.KILL_CHAIN_PHASE_USES:
                found.append(ShouldFaults._kill_chain_names)
            if otype in self.vocab_props:
                found.append(ShouldFaults._vocabularies)
            if otype == "relationship":
                found.append(ShouldFaults._relationship)
            elif otype == "bundle":
                found.append(ShouldFaults._duplicate_ids)
            elif otype == "location" and self.version == "2.1":
                found.append(ShouldFaults._country)
            elif otype == "malware-analysis" and self.version == "2.1":
                found.append(ShouldFaults._product)
            elif otype == "extension-definition" and self.version == "2.1":
                found.append(ShouldFaults._extension_types)
            if self.version == "2.0" and type(otype) is not str and otype not in self.e.TYPES and otype not in self.e.RESERVED_OBJECTS:
                found.append(ShouldFaults._custom_type_name)
            found.append(ShouldFaults._external_references)
            if self.version == "2.1":
                found.append(ShouldFaults._extensions_use)
            if otype == "observed-data" or (self.version == "2.1" and otype in self.observable_types):
                found.append(ShouldFaults._observables)
            if self._after is not None and otype in self._after.e.KILL_CHAIN_PHASE_USES:
                found.remove(ShouldFaults._kill_chain_names)  # the same check, made already
            checks = self._by_type[key] = tuple(check for check in found if check not in self._alike)
        return checks

    # -------------------------------------------------------------- checks on the object
    def _unhashable_type(self, obj: dict[str, Any], base: _Path) -> None:
        raise ReferenceFault([*base, "type"], cannot_judge("type", f"it looks the type up in its tables, but it is {_kind(obj['type'])}"))

    def _custom_type_name(self, obj: dict[str, Any], base: _Path) -> None:
        _string(obj["type"], [*base, "type"], "custom prefix")

    def _uuid(self, obj: dict[str, Any], base: _Path) -> None:
        _string(obj["id"], [*base, "id"], "UUID")

    def _open_vocab(self, obj: dict[str, Any], base: _Path) -> None:
        for prop in self.e.VOCAB_PROPERTIES[obj["type"]]:
            if prop not in obj:
                continue
            value = obj[prop]
            if type(value) is dict and self.version == "2.1":
                return  # the 2.1 check stops at a dictionary
            values = list(enumerate(value)) if type(value) is list else [(None, value)]
            for i, item in values:
                _string(item, [*base, prop] if i is None else [*base, prop, i], "open vocabulary")

    def _kill_chain_names(self, obj: dict[str, Any], base: _Path) -> None:
        if "kill_chain_phases" not in obj:
            return
        for phase, path in _iterate(obj["kill_chain_phases"], [*base, "kill_chain_phases"], "kill chain name"):
            if not _contains(phase, "kill_chain_name", path, "kill chain name"):
                return
            _string(_item(phase, "kill_chain_name", path, "kill chain name"), [*path, "kill_chain_name"], "kill chain name")
            _string(_item(phase, "phase_name", path, "kill chain name"), [*path, "phase_name"], "kill chain name")

    def _vocabularies(self, obj: dict[str, Any], base: _Path) -> None:
        for prop in self.vocab_props[obj["type"]]:
            value = obj.get(prop)
            if type(value) is list:
                for i, item in enumerate(value):
                    if not _hashable(item):
                        raise ReferenceFault(
                            [*base, prop, i], cannot_judge("vocabulary", f"it puts the values in a set, and this one is {_kind(item)}")
                        )

    def _relationship(self, obj: dict[str, Any], base: _Path) -> None:
        kind = obj.get("relationship_type")
        if type(kind) is not list and type(kind) is not dict:
            return  # only a type that cannot be a dictionary key can make it raise
        if "source_ref" not in obj or "target_ref" not in obj:
            return
        ends = []
        for key in ("source_ref", "target_ref"):
            ref = obj[key]
            match = re.search(r"(.+)--", ref) if type(ref) is str else None
            if match is None:
                return
            ends.append(match.group(1))
        source, target = ends
        e = self.e
        if kind in e.COMMON_RELATIONSHIPS or source in e.NON_SDOS or target in e.NON_SDOS or source not in e.RELATIONSHIPS:
            return
        raise ReferenceFault([*base, "relationship_type"], cannot_judge("relationship type", f"it looks it up, but it is {_kind(kind)}"))

    def _duplicate_ids(self, obj: dict[str, Any], base: _Path) -> None:
        if "objects" not in obj:
            return
        seen: set[Any] = set()
        for member, path in _iterate(obj["objects"], [*base, "objects"], "duplicate id"):
            if not _contains(member, "id", path, "duplicate id") or not _contains(member, "modified", path, "duplicate id"):
                continue
            member_id = _item(member, "id", path, "duplicate id")
            if not _hashable(member_id):
                raise ReferenceFault(
                    [*path, "id"], cannot_judge("duplicate id", f"it keys a dictionary by the id, which is {_kind(member_id)}")
                )
            seen.add(member_id)
            _item(member, "modified", path, "duplicate id")

    def _country(self, obj: dict[str, Any], base: _Path) -> None:
        if "country" in obj:
            _string(obj["country"], [*base, "country"], "country")

    def _product(self, obj: dict[str, Any], base: _Path) -> None:
        if "product" in obj:
            _string(obj["product"], [*base, "product"], "malware analysis product")

    def _extension_types(self, obj: dict[str, Any], base: _Path) -> None:
        _contains(obj.get("extension_types", []), "toplevel-property-extension", [*base, "extension_types"], "extension properties")

    def _external_references(self, obj: dict[str, Any], base: _Path) -> None:
        refs = obj.get("external_references")
        if type(refs) is list:  # the usual case first: references that are objects cannot make it raise
            for ref in refs:
                if type(ref) is not dict:
                    break
                if "url" in ref and "hashes" not in ref:
                    return
            else:
                return
        elif "external_references" not in obj:
            return
        check = "external reference hashes"
        for ref, path in _iterate(obj["external_references"], [*base, "external_references"], check):
            if _contains(ref, "url", path, check) and not _contains(ref, "hashes", path, check):
                if _contains(ref, "source_name", path, check):
                    _item(ref, "source_name", path, check)
                return  # the check stops at the first such reference

    def _uses_extension(self, obj: dict[str, Any], base: _Path, kinds: tuple[str, ...]) -> bool:
        extensions = obj.get("extensions", {})
        if type(extensions) is not dict:
            raise ReferenceFault(
                [*base, "extensions"],
                cannot_judge("extensions use", f"it reads 'extensions' as a dictionary, but it is {_kind(extensions)}"),
            )
        for key, extension in extensions.items():
            if type(extension) is not dict:
                raise ReferenceFault(
                    [*base, "extensions", key],
                    cannot_judge("extensions use", f"it reads each extension as an object, but this is {_kind(extension)}"),
                )
            if extension.get("extension_type", "") in kinds:
                return True
        return False

    def _extensions_use(self, obj: dict[str, Any], base: _Path) -> None:
        extensions = obj.get("extensions")
        if extensions is None and "extensions" not in obj:
            return  # the usual cases first: no extensions, or only objects, cannot make it raise
        if type(extensions) is dict and all(type(extension) is dict for extension in extensions.values()):
            return
        e, otype = self.e, obj["type"]
        if otype not in e.TYPES and otype not in e.RESERVED_OBJECTS and otype not in e.OBSERVABLE_TYPES:
            self._uses_extension(obj, base, ("new-sdo", "new-sco", "new-sro"))
        defined = e.PROPERTIES.get(otype) if otype in e.PROPERTIES else None
        observable = e.OBSERVABLE_PROPERTIES.get(otype) if otype in e.OBSERVABLE_PROPERTIES else None
        for prop in obj:
            custom = (defined is not None and prop not in defined) or (observable is not None and prop not in observable)
            if custom and prop not in e.RESERVED_PROPERTIES:
                self._uses_extension(obj, base, ("toplevel-property-extension",))
                return

    # -------------------------------------------------------------- observables
    def _views(self, obj: dict[str, Any], base: _Path) -> list[tuple[Any, _Path]]:
        """The observables the reference's observable checks look at (see its cyber_observable_check)."""
        otype = obj["type"]
        if otype == "observed-data" and "objects" in obj and type(obj["objects"]) is dict:
            return [(sco, [*base, "objects", key]) for key, sco in obj["objects"].items()]
        if self.version == "2.0" or otype not in self.observable_types:
            return []
        if "objects" not in obj:
            return [(obj, base)]
        objects = obj["objects"]
        if type(objects) is not dict:
            raise ReferenceFault(
                [*base, "objects"],
                cannot_judge("observable", f"it reads an observable's 'objects' as a dictionary, but it is {_kind(objects)}"),
            )
        return [(sco, [*base, "objects", key]) for key, sco in objects.items()]

    def _observables(self, obj: dict[str, Any], base: _Path) -> None:
        views = self._views(obj, base)
        for sco, path in views:
            if self.version == "2.1":
                # every observable check reads its 'id' and 'type'
                if type(sco) is not dict or "id" not in sco or "type" not in sco:
                    raise ReferenceFault(
                        path, cannot_judge("observable", "each observable it checks must be an object with 'id' and 'type'")
                    )
            elif not _contains(sco, "type", path, "observable"):
                continue
            else:
                _item(sco, "type", path, "observable")
            stype = sco["type"]
            if not _hashable(stype):
                raise ReferenceFault(
                    [*path, "type"], cannot_judge("observable", f"it looks the type up in its tables, but it is {_kind(stype)}")
                )
            self._embedded(sco, path, stype)
            self._extensions(sco, path, stype)
            self._hashes(sco, path, stype)
            self._hash_lengths(sco, path, stype)
            self._listed(sco, path, stype)
            if self.version == "2.1" and type(sco["id"]) not in (str, int):
                # its messages about an observable name it by its id, which must then be a string or a number
                try:
                    speaks = self._speaks_of(sco, stype)
                except Exception:  # a MUST check of the reference raises on it too
                    speaks = True
                if speaks:
                    why = f"it names the observable in a message by its id, which is {_kind(sco['id'])}"
                    raise ReferenceFault([*path, "id"], cannot_judge("observable", why))

    def _speaks_of(self, sco: dict[str, Any], stype: Any) -> bool:
        """Whether the reference's 2.1 checks of an observable (MUST and SHOULD) say anything about it."""
        e = self.e
        if _uppercase_key(sco, frozenset(e.OBSERVABLE_DICT_KEY_EXCEPTIONS)):
            return True
        for first, op, second in e.TIMESTAMP_COMPARE_OBSERVABLE.get(stype, ()):
            if first in sco and second in sco and not _compare(sco[first], op, sco[second]):
                return True
        extensions = sco.get("extensions")
        if stype == "network-traffic":
            if "src_port" not in sco or "dst_port" not in sco:
                return True
            if any(p not in e.protocols() for p in sco.get("protocols", ())) or any(p not in e.ipfix() for p in sco.get("ipfix", ())):
                return True
            for keys, allowed in (
                (("http-request-ext", "request_header"), e.HTTP_REQUEST_HEADERS),
                (("socket-ext", "options"), e.SOCKET_OPTIONS),
            ):
                found, value = _lookup(sco, "extensions", *keys)
                if found and any(item not in allowed for item in value):
                    return True
        elif stype == "file":
            if "name_enc" in sco and sco["name_enc"] not in e.char_sets() or "mime_type" in sco and sco["mime_type"] not in e.media_types():
                return True
            found, value = _lookup(sco, "extensions", "pdf-ext", "document_info_dict")
            if found and any(item not in e.PDF_DID for item in value):
                return True
            found, value = _lookup(sco, "extensions", "windows-pebinary-ext", "pe_type")
            if found and value not in e.WINDOWS_PEBINARY_TYPE_OV:
                return True
        elif stype == "directory":
            if "path_enc" in sco and sco["path_enc"] not in e.char_sets():
                return True
        elif stype == "artifact":
            if "mime_type" in sco and sco["mime_type"] not in e.media_types():
                return True
        elif stype == "software":
            if any(lang not in e.LANG_CODES and lang not in e.SOFTWARE_LANG_CODES for lang in sco.get("languages", ())):
                return True
        elif stype == "user-account":
            if "account_type" in sco and sco["account_type"] not in e.ACCOUNT_TYPE_OV:
                return True
        elif stype == "process":
            found, value = _lookup(sco, "extensions", "windows-process-ext", "priority")
            if found and not re.match(r".+_CLASS$", value):
                return True
        if stype in ("file", "artifact", "x509-certificate") and any(not _known_hash(name, e) for name in sco.get("hashes", ())):
            return True
        if stype == "file":
            for holder, key in (("ntfs-ext", "alternate_data_streams"), ("windows-pebinary-ext", "sections")):
                found, items = _lookup(sco, "extensions", holder, key)
                if found and any("hashes" in item and any(not _known_hash(n, e) for n in item["hashes"]) for item in items):
                    return True
            header_hashes: tuple[tuple[str, ...], ...] = (
                ("windows-pebinary-ext", "file_header_hashes"),
                ("windows-pebinary-ext", "optional_header", "hashes"),
            )
            for header_keys in header_hashes:
                found, names = _lookup(sco, "extensions", *header_keys)
                if found and any(not _known_hash(n, e) for n in names):
                    return True
        embedded = e.OBSERVABLE_EMBEDDED_PROPERTIES.get(stype, {})
        for prop in embedded:
            for item in sco.get(prop, ()):
                if any(name not in embedded[prop] for name in item) if type(item) is dict else item not in embedded[prop]:
                    return True
        if type(extensions) is dict and stype in e.OBSERVABLE_EXTENSIONS:
            for ext_key, extension in extensions.items():
                if ext_key not in e.OBSERVABLE_EXTENSIONS[stype]:
                    if not any(type(x) is dict and x.get("extension_type", "") == "property-extension" for x in extensions.values()):
                        return True
                    continue
                inner = e.OBSERVABLE_EXTENSION_EMBEDDED_PROPERTIES.get(ext_key, {})
                for ext_prop in extension:
                    if ext_prop not in e.OBSERVABLE_EXTENSION_PROPERTIES[ext_key]:
                        return True
                    if ext_prop in inner:
                        for item in extension[ext_prop]:
                            for part in item if type(item) in (dict, list) else [item]:
                                if part not in inner[ext_prop]:
                                    return True
        return False

    def _embedded(self, sco: dict[str, Any], path: _Path, stype: Any) -> None:
        embedded = self.e.OBSERVABLE_EMBEDDED_PROPERTIES.get(stype)
        if not embedded:
            return
        for prop in sco:
            if prop in embedded:
                for item, item_path in _iterate(sco[prop], [*path, prop], "custom observable property"):
                    if type(item) is not dict and item not in embedded[prop] and self.version == "2.0":
                        _string(item, item_path, "custom observable property prefix")

    def _extensions(self, sco: dict[str, Any], path: _Path, stype: Any) -> None:
        e = self.e
        if stype not in e.OBSERVABLE_EXTENSIONS or "extensions" not in sco:
            return
        extensions, check = sco["extensions"], "custom observable extension property"
        for ext_key, ext_path in _iterate(extensions, [*path, "extensions"], check):
            if ext_key not in e.OBSERVABLE_EXTENSIONS[stype]:
                continue
            if type(extensions) is not dict:
                raise ReferenceFault(ext_path, cannot_judge(check, f"it reads the extension {ext_key!r} of {_kind(extensions)}"))
            extension = extensions[ext_key]
            inner = e.OBSERVABLE_EXTENSION_EMBEDDED_PROPERTIES.get(ext_key, {})
            for ext_prop, prop_path in _iterate(extension, [*path, "extensions", ext_key], check):
                if self.version == "2.0" and ext_prop not in e.OBSERVABLE_EXTENSION_PROPERTIES[ext_key]:
                    _string(ext_prop, prop_path, "custom observable property prefix")
                if ext_key not in e.OBSERVABLE_EXTENSION_EMBEDDED_PROPERTIES:
                    continue
                if not _hashable(ext_prop):
                    raise ReferenceFault(prop_path, cannot_judge(check, f"it looks up {_kind(ext_prop)} as a key"))
                if ext_prop in inner:
                    if type(extension) is not dict:
                        raise ReferenceFault(prop_path, cannot_judge(check, f"it reads {ext_prop!r} of {_kind(extension)}"))
                    items = extension[ext_prop]
                    for item, item_path in _iterate(items, [*path, "extensions", ext_key, ext_prop], check):
                        for part in item if type(item) in (dict, list) else [item]:
                            if self.version == "2.0" and part not in inner[ext_prop]:
                                _string(part, item_path, "custom observable property prefix")
        if self.version == "2.1" and type(extensions) is dict:
            for ext_key in extensions:
                if ext_key not in e.OBSERVABLE_EXTENSIONS[stype]:
                    self._uses_extension(sco, path, ("property-extension",))
                    break

    def _valid_hash_name(self, name: Any, path: _Path) -> None:
        if name not in self.e.HASH_ALGO_OV:
            _string(name, path, "hash algorithm")

    def _hashes(self, sco: dict[str, Any], path: _Path, stype: Any) -> None:
        """The hash algorithm vocabulary check: every hash name must be in it or a string."""
        check = "hash algorithm"
        if stype in ("file", "artifact", "x509-certificate") and "hashes" in sco:
            for name, name_path in _iterate(sco["hashes"], [*path, "hashes"], check):
                self._valid_hash_name(name, name_path)
        if stype != "file" or (self.version == "2.1" and "extensions" not in sco):
            return
        for holder, key in (("ntfs-ext", "alternate_data_streams"), ("windows-pebinary-ext", "sections")):
            found, items = _lookup(sco, "extensions", holder, key)
            if found:
                for item, item_path in _iterate(items, [*path, "extensions", holder, key], check):
                    if _contains(item, "hashes", item_path, check):
                        for name, name_path in _iterate(_item(item, "hashes", item_path, check), [*item_path, "hashes"], check):
                            self._valid_hash_name(name, name_path)
        for keys in (("windows-pebinary-ext", "file_header_hashes"), ("windows-pebinary-ext", "optional_header", "hashes")):
            found, names = _lookup(sco, "extensions", *keys)
            if found:
                for name, name_path in _iterate(names, [*path, "extensions", *keys], check):
                    self._valid_hash_name(name, name_path)

    def _hash_lengths(self, sco: dict[str, Any], path: _Path, stype: Any) -> None:
        """The hash length check (2.1 stops at the first long name or missing part, 2.0 goes on)."""
        check, stops = "hash length", self.version == "2.1"
        if stype in ("artifact", "x509-certificate"):
            if "hashes" in sco:
                for name, name_path in _iterate(sco["hashes"], [*path, "hashes"], check):
                    if _sized(name, name_path, check) > 30 and stops:
                        return
            return
        if stype != "file":
            return
        if "hashes" not in sco:
            if stops:
                return
        else:
            for name, name_path in _iterate(sco["hashes"], [*path, "hashes"], check):
                if _sized(name, name_path, check) > 30 and stops:
                    return
        parts: list[tuple[tuple[str, ...], bool]] = [
            (("ntfs-ext", "alternate_data_streams"), True),
            (("windows-pebinary-ext", "file_header_hashes"), False),
            (("windows-pebinary-ext", "optional_header", "hashes"), False),
            (("windows-pebinary-ext", "sections"), True),
        ]
        for keys, holds_hashes in parts:
            found, items = _lookup(sco, "extensions", *keys)
            if not found:
                if stops:
                    return
                continue
            for item, item_path in _iterate(items, [*path, "extensions", *keys], check):
                if not holds_hashes:
                    if _sized(item, item_path, check) > 30 and stops:
                        return
                    continue
                if not _contains(item, "hashes", item_path, check):
                    if stops:
                        return
                    continue
                for name, name_path in _iterate(_item(item, "hashes", item_path, check), [*item_path, "hashes"], check):
                    if _sized(name, name_path, check) > 30 and stops:
                        return

    def _listed(self, sco: dict[str, Any], path: _Path, stype: Any) -> None:
        """Checks that loop over a list property or an extension's dictionary, and the priority format."""
        if stype == "network-traffic":
            for prop in ("protocols", "ipfix"):
                if prop in sco:
                    _iterate(sco[prop], [*path, prop], prop)
            for keys in (("http-request-ext", "request_header"), ("socket-ext", "options")):
                found, value = _lookup(sco, "extensions", *keys)
                if found:
                    _iterate(value, [*path, "extensions", *keys], keys[-1].replace("_", " "))
        elif stype == "file":
            found, value = _lookup(sco, "extensions", "pdf-ext", "document_info_dict")
            if found:
                _iterate(value, [*path, "extensions", "pdf-ext", "document_info_dict"], "PDF document information")
        elif stype == "process":
            found, value = _lookup(sco, "extensions", "windows-process-ext", "priority")
            if found:
                _string(value, [*path, "extensions", "windows-process-ext", "priority"], "Windows process priority")
        if self.version == "2.0" and stype not in self.e.OBSERVABLE_TYPES and stype not in self.e.OBSERVABLE_RESERVED_OBJECTS:
            _string(stype, [*path, "type"], "custom observable prefix")
