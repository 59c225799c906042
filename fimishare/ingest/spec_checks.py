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
        if first == second:
            return comp(first, second)
        m1 = TIMESTAMP_RE.match(first)
        m2 = TIMESTAMP_RE.match(second)
        if m1 and m2:
            if len(first) == len(second):
                # same layout: chronological order is string order, and
                # if either fails to parse the reference compares strings
                return comp(first, second)
            d1, d2 = _strptime_like(first), _strptime_like(second)
            if isinstance(d1, datetime) and isinstance(d2, datetime):
                return comp(d1, d2)
        return comp(first, second)
    # non-strings: the reference's regex match raises -> malformed input
    if not isinstance(first, str) or not isinstance(second, str):
        raise TypeError("timestamps must be strings")
    return comp(first, second)


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
    """The MUST checks of one STIX version, "2.1" or "2.0"."""

    def __init__(self, version: str = "2.1") -> None:
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
        self._by_type: dict[str, tuple[_Rule, ...]] = {}

    # -------------------------------------------------------------- driver
    def run(self, obj: dict[str, Any], base: list[str | int], problems: list[Problem]) -> None:
        oid = obj.get("id")
        ctx = _Ctx(problems, oid if isinstance(oid, str) else None)
        for check in self._applicable(obj):
            try:
                check(self, obj, base, ctx)
            except Exception as exc:  # the reference raises here: reject
                ctx.error(json_path(*base), f"malformed object ({check.__name__}: {type(exc).__name__}: {exc})")
        # child STIX objects inside list-valued properties (e.g. bundle objects)
        for key, value in obj.items():
            if type(value) is list:
                for i, child in enumerate(value):
                    if isinstance(child, dict) and "id" in child and "type" in child:
                        self.run(child, base + [key, i], problems)

    # ---------------------------------------------------------------- rules
    def _timestamps(self, obj: dict[str, Any], base: list[str | int], ctx: _Ctx) -> None:
        otype = obj["type"]
        props = self.timestamp_props.get(otype, ("created", "modified"))
        for prop in props:
            if prop in obj:
                self._check_ts(obj[prop], base + [prop], ctx)
        if self.version == "2.0":  # 2.0 observables are the ones inside observed-data
            for sco, path in self._sco_views(obj, base):
                if "type" in sco:
                    self._sco_timestamps(sco, path, ctx)
        elif otype in self.top_level_observable_types:
            # not observed-data's observables: the reference's test for them names a type 'observable-data'
            self._sco_timestamps(obj, base, ctx)

    def _check_ts(self, value: Any, path: list[str | int], ctx: _Ctx) -> None:
        if not isinstance(value, str):
            raise TypeError(f"{json_path(*path)} must be a string")
        m = TIMESTAMP_RE.match(value)
        if m and not _timestamp_is_real(value, m):
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
            compares = (("modified", "ge", "created"),)
        for first, op, second in compares:
            if first in obj and second in obj and not _compare(obj[first], op, obj[second]):
                ctx.error(json_path(*base, first), f"'{first}' ({obj[first]}) must be {_OP_WORDS[op]} '{second}' ({obj[second]})")

    def _sco_views(self, obj: dict[str, Any], base: list[str | int]) -> list[tuple[Any, list[str | int]]]:
        otype = obj["type"]
        if otype == "observed-data" and "objects" in obj and type(obj["objects"]) is dict:
            return [(val, base + ["objects", key]) for key, val in obj["objects"].items()]
        if otype in self.top_level_observable_types:
            if "objects" in obj:
                return [(val, base + ["objects", key]) for key, val in obj["objects"].items()]
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
        # the reference's 2.1 character-set check reads every observable's 'id' (2.0 observables have none)
        if self.version == "2.1" and obj["type"] == "observed-data":
            for sco, path in views:
                if "id" not in sco:
                    raise KeyError(f"observable {json_path(*path)} has no 'id'")

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
        # 2.0 makes the custom-name prefixes a MUST in patterns; 2.1 only with
        # an option (extensions-use disabled) that is off by default
        prefixes_required = self.version == "2.0"
        out = []
        for objtype, expressions in reading.comparisons.items():
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
            found: list[_Rule] = [MustChecks._timestamps, MustChecks._timestamp_order]
            if otype == "observed-data":
                found.append(MustChecks._observable_refs)
            if otype == "observed-data" or otype in self.top_level_observable_types:
                found.append(MustChecks._observable_checks)
            if otype == "indicator":
                found.append(MustChecks._pattern)
            if self.version == "2.1" and (otype == "process" or otype in self._UUID4_WITHOUT):
                found.append(MustChecks._uuid_versions)
            checks = self._by_type[otype] = tuple(found)
        if otype == "marking-definition" or "granular_markings" in obj:
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
