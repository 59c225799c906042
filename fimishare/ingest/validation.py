r"""Fast STIX 2.1 and 2.0 spec validation whose verdicts match the OASIS ``stix2validator``.

The OASIS validator is the reference: ``stix2validator.validate_instance`` with
``ValidationOptions(version="2.1")`` for every object but a STIX 2.0 one, bundles
included.  A STIX 2.0 object (one for which :func:`fimishare.stix.spec_version_of`
says ``"2.0"``: no ``spec_version`` but ``created`` or ``modified``, or
``spec_version`` ``"2.0"``) is accepted only if the reference accepts it both on
its own with ``version="2.0"`` and as a member of a bundle (``version="2.1"``
on a bundle of spec_version 2.0 holding it): ingest takes a bundle's members one
by one, and cannot tell which of the two the sender meant.  The reference is
correct but slow (~150 objects/s) because it builds a fresh ``jsonschema``
validator per object and walks ``$ref``s through ``referencing``.  This module:

* compiles the JSON schemas that ship inside the ``stix2validator`` package
  (``schemas-2.1`` and ``schemas-2.0``) with ``jsonschema-rs`` once per process
  (``$ref``s to the OASIS http URLs are resolved to the local files; there is
  never network access), with the format checks the reference's environment
  applies;
* picks the schema for an object exactly the way the OASIS validator does
  (the type's own schema in the object's version, else ``core`` for SDO-like
  objects or, in 2.1 only, ``cyber-observable-core`` for objects without
  ``created``/``modified``; observables inside observed-data get their type's
  schema, else ``cyber-observable-core``);
* runs the MUST checks of ``stix2validator/v21/musts.py`` or
  ``stix2validator/v20/musts.py``, re-implemented in
  :mod:`fimishare.ingest.spec_checks`, and finds there the inputs on which the
  reference's own checks raise (see below);
* rewrites every schema regular expression so that jsonschema-rs (ECMA-262
  dialect: ASCII ``\d`` and ``\w``, ECMA's ``\s``, ``.`` stopping at ``\r``,
  U+2028 and U+2029, ``$`` only at the very end) matches exactly what Python's
  ``re.search`` matches, as the reference runs them (:func:`_python_regex`).

Behaviour mirrored from the reference (default options):

* a top-level STIX 2.0 object is validated by the 2.0 schemas and MUST
  checks: e.g. 2.0 indicators and malware need ``labels``, an indicator's
  ``pattern`` is parsed as a STIX 2.0 pattern whatever its ``pattern_type``
  (a custom property in 2.0), and a TLP marking definition must be one the
  specification defines.  As a bundle member it also meets the 2.1 MUST
  checks (the reference runs the checks of the bundle's validation on every
  member): a ``lang`` must be an RFC 5646 code, ``valid_until`` must be later
  than ``valid_from`` (2.0 allows equal), a ``cpe`` must be CPE 2.3, and
  observed-data, whose observables have no ``id`` in 2.0, cannot be judged at
  all (the reference's 2.1 observable checks raise on it): it is rejected.  A
  2.1 SDO written without ``spec_version`` has ``created`` and is so judged as
  2.0, while a 2.1 SCO without it (no ``created``/``modified``) is judged as 2.1;
* every other top-level object is validated as STIX 2.1 whatever its
  ``spec_version`` (so e.g. ``"2.2"`` is a schema error);
* a bundle is always validated as 2.1 (the bundle's schema and the 2.1 MUST
  checks, which also run on its members).  Its members are validated against
  the schemas of their bundle's version: inside a bundle, an object without
  ``spec_version`` but with ``created`` is validated against the 2.0 schemas
  (as the reference does), and all objects of a bundle whose ``spec_version``
  is ``2.0`` too;
* unknown types (``x-`` prefixed or not) are validated against the generic
  ``core``/``cyber-observable-core`` schema; custom types and custom
  properties are not errors (custom property *names* must still match the
  schema's name rules);
* ``created``/``modified`` must be millisecond precise (schema: in 2.1 at
  least to the millisecond, in 2.0 exactly), ``modified`` must not be
  earlier than ``created`` (MUST check);
* marking-definitions: in 2.1 ``definition``/``definition_type`` are
  required unless ``extensions`` is present (schema); a marking definition
  may not reference itself;
* bundles: the bundle schema is applied with ``objects`` unconstrained, and
  every member object is validated on its own (errors carry the path
  ``$.objects[i]...``).

Objects the reference cannot judge are rejected.  ``validate_instance`` raises
instead of returning a result on some inputs that pass its schemas: it runs its
MUST checks and (eagerly, for the warnings) its SHOULD checks on the object, on
every STIX-shaped dict (one with ``id`` and ``type``) in any list property and
on the observables of a custom ``objects`` property of an SCO, none of which a
schema has looked at, and those checks take what they read for granted (a
string method on a number, a loop over null, a lookup by a list, an observable
without ``id``, a message naming an observable whose ``id`` is an object); it
also inspects a pattern whose ``pattern_version`` is not "2.1" with the 2.1
grammar after checking it with the 2.0 one, and raises where the two differ
(``EXISTS`` is a property name in 2.0, a keyword in 2.1).  Such an object is
never accepted: :mod:`fimishare.ingest.spec_checks` finds the value the
reference would trip on and reports an error at its JSON path, saying what the
reference expected there ("the reference validator cannot judge this object:
...").  A lone surrogate in a string (Python reads one from JSON, Rust cannot
hold one) is validated as U+FFFD, which every schema rule judges alike.
"""

from __future__ import annotations

import functools
import importlib.util
import ipaddress
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import jsonschema_rs

from fimishare.stix import Problem, Severity, json_path, spec_version_of

from . import spec_checks

__all__ = ["SpecValidator", "default_validator", "schema_root"]

_SCHEMA_URL_PREFIXES = (
    "http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas/",
    "https://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas/",
    "http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.0/schemas/",
    "https://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.0/schemas/",
)


def _package_dir() -> Path:
    # find_spec on a top-level package does not import it (importing
    # stix2validator costs ~3 s because of jsonschema/requests/etc.).
    spec = importlib.util.find_spec("stix2validator")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("stix2-validator is not installed; its schemas are needed")
    return Path(list(spec.submodule_search_locations)[0])


def schema_root(version: str) -> Path:
    return _package_dir() / f"schemas-{version}" / "schemas"


# --- format checks, mirroring what jsonschema's FORMAT_CHECKER does in the
# reference's environment (stix2validator overrides "email" with its own regex).
_EMAIL_RE = re.compile(r"(^[a-zA-Z0-9_.+-]+@[a-zA-Z0-9-]+\.[a-zA-Z0-9-.]+$)")


def _format_email(value: str) -> bool:
    return bool(_EMAIL_RE.match(value))


def _ipv4(value: str) -> bool:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return False
    return True


def _ipv6(value: str) -> bool:
    try:
        return not ipaddress.IPv6Address(value).scope_id
    except ValueError:
        return False


def _make_formats() -> dict[str, Callable[[str], bool]]:
    formats: dict[str, Callable[[str], bool]] = {"email": _format_email, "ipv4": _ipv4, "ipv6": _ipv6}
    try:  # jsonschema checks "uri" with rfc3987 if present, else rfc3986-validator
        import rfc3987

        def _uri(value: str) -> bool:
            try:
                rfc3987.parse(value, rule="URI")
            except ValueError:
                return False
            return True

        formats["uri"] = _uri
    except ImportError:
        try:
            from rfc3986_validator import validate_rfc3986

            formats["uri"] = lambda value: bool(validate_rfc3986(value, rule="URI"))
        except ImportError:
            formats["uri"] = lambda value: True
    try:
        import idna

        def _idn_hostname(value: str) -> bool:
            try:
                idna.encode(value)
            except (idna.IDNAError, UnicodeError):
                return False
            return True

        formats["idn-hostname"] = _idn_hostname
    except ImportError:
        formats["idn-hostname"] = lambda value: True
    # formats jsonschema does not check without extra packages, or that the
    # schemas don't use, are accepted as they are by the reference.
    return formats


class _SchemaSet:
    """The schemas of one STIX version, compiled by jsonschema-rs (about ten times the
    speed of code generated by fastjsonschema here), looked up by schema name."""

    def __init__(self, version: str, formats: dict[str, Callable[[str], bool]]):
        self.version = version
        self.root = schema_root(version)
        self._formats = formats
        self._files: dict[str, Path] = {}
        resources = []
        # mirror stix2validator.find_schema: first "<name>.json" found walking
        # the schema directory, skipping example directories
        for top, _dirs, files in os.walk(self.root, followlinks=True):
            if "examples" in top:
                continue
            for fname in files:
                if fname.endswith(".json"):
                    path = Path(top) / fname
                    self._files.setdefault(fname[:-5], path)
                    resources.append((self._uri(path), self._load(path)))
        # Relative $refs resolve against each schema's http $id, to these local
        # copies: the registry holds every file, so nothing is ever fetched.
        self._registry = jsonschema_rs.Registry(resources)
        self._compiled: dict[str, jsonschema_rs.Validator] = {}

    def _uri(self, path: Path) -> str:
        return _SCHEMA_URL_PREFIXES[0 if self.version == "2.1" else 2] + path.relative_to(self.root).as_posix()

    def names(self) -> list[str]:
        return sorted(self._files)

    def has(self, name: Any) -> bool:
        return isinstance(name, str) and name in self._files

    @staticmethod
    def _load(path: Path) -> dict[str, Any]:
        with open(path, encoding="utf-8") as fh:
            return cast(dict[str, Any], _python_regex_semantics(json.load(fh)))

    def get(self, name: str) -> jsonschema_rs.Validator:
        validator = self._compiled.get(name)
        if validator is None:
            schema = self._load(self._files[name])
            if name == "bundle":
                # the reference replaces the bundle's "objects" schema by a
                # keyword-less one and validates each member object on its own
                schema.setdefault("properties", {})["objects"] = {}
            schema["$id"] = self._uri(self._files[name])
            validator = jsonschema_rs.validator_for(
                schema, registry=self._registry, validate_formats=True, formats=self._formats, offline=True
            )
            self._compiled[name] = validator
        return validator


# --- regular expressions: the reference runs the schemas' "pattern" and
# "patternProperties" regexes with Python's ``re.search``; jsonschema-rs runs them
# as ECMA-262 regexes (no "u" flag) on Rust's engines, where \d and \w are ASCII,
# \s is ECMA's white space (U+FEFF but not U+001C-U+001F or U+0085), "." stops at
# \r, U+2028 and U+2029 as well as \n, "$" only at the very end, "{" that is not a
# quantifier is an error, and "[\b]", octal and "\<non-ASCII>" escapes are errors.
# Each regex is rewritten into one that means, on jsonschema-rs, what the original
# means to Python: a class escape becomes the explicit set of code points Python's
# ``re`` matches with it (derived from ``re`` itself, so it follows the running
# interpreter's Unicode tables, the reference's), "." becomes [^\n], "$" (?:\n?\z),
# every escaped character \u{X}.  Constructs that cannot be carried over faithfully
# are refused when the schemas load, never run with another meaning.

_CLASS_ESCAPES = "dDwWsS"
_CHAR_ESCAPES = {"a": 0x07, "f": 0x0C, "n": 0x0A, "r": 0x0D, "t": 0x09, "v": 0x0B}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}
_QUANTIFIER = re.compile(r"\{(\d*)(?:(,)(\d*))?\}")
_OCTAL = re.compile(r"0[0-7]{0,2}|[0-7]{3}")
_CLASS_OCTAL = re.compile(r"[0-7]{1,3}")  # in a set, digits are octal (a back-reference means nothing there)
_GROUP_NUMBER = re.compile(r"[1-9][0-9]?")
# keywords whose values are data, not schemas, and keywords whose values map names to schemas
_SCHEMA_ANNOTATIONS = frozenset({"examples", "default", "const", "enum", "description", "title"})
_SCHEMAS_BY_NAME = frozenset({"properties", "definitions", "$defs", "dependentSchemas"})
_SURROGATES = (0xD800, 0xDFFF)


@functools.cache
def _python_class(escape: str) -> str:
    """What Python's ``re`` matches with ``\\<escape>`` (a str pattern, no flags), as the inside of a
    character class for jsonschema-rs: ranges of code points, surrogates left out (no Rust string
    holds one). Found with ``re`` itself in a string of every code point (built for the purpose,
    then let go), so that it follows the running interpreter's Unicode tables, as the reference does."""
    every = _every_code_point()
    spans = [(match.start(), match.end() - 1) for match in re.finditer(f"\\{escape.lower()}+", every)]
    if escape.isupper():  # the complement
        others, after = [], 0
        for first, last in spans:
            if first > after:
                others.append((after, first - 1))
            after = last + 1
        if after < len(every):
            others.append((after, len(every) - 1))
        spans = others
    return _ranges(spans)


def _ranges(spans: list[tuple[int, int]]) -> str:
    out = []
    for first, last in spans:
        # the surrogates cut out
        pieces = [(first, min(last, _SURROGATES[0] - 1)), (max(first, _SURROGATES[1] + 1), last)]
        for a, b in pieces:
            if a <= b:
                out.append(_char(a) if a == b else f"{_char(a)}-{_char(b)}")
    return "".join(out)


def _every_code_point() -> str:
    """Every code point in order (the string's index is the code point), surrogates included."""
    import sys

    count = sys.maxunicode + 1
    utf32 = bytearray(4 * count)  # little-endian: the low byte, the next, the plane, a zero
    utf32[0::4] = bytes(range(256)) * (count // 256)
    utf32[1::4] = b"".join(bytes([i]) * 256 for i in range(256)) * (count // 65536)
    utf32[2::4] = b"".join(bytes([plane]) * 65536 for plane in range(count // 65536))
    return utf32.decode("utf-32-le", "surrogatepass")


def _char(code_point: int) -> str:
    return f"\\u{{{code_point:X}}}"


def _word_boundary(negated: bool) -> str:
    word = f"[{_python_class('w')}]"
    if negated:  # \B: both sides word characters, or neither
        return f"(?:(?<={word})(?={word})|(?<!{word})(?!{word}))"
    return f"(?:(?<={word})(?!{word})|(?<!{word})(?={word}))"


def _python_regex(pattern: str) -> str:
    """``pattern`` as Python's ``re`` reads it, rewritten for jsonschema-rs (see above)."""
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    class_start = 0  # where a class's members begin: a "]" there is a member
    while i < n:
        char = pattern[i]
        if char == "\\":
            i = _escape(pattern, i, in_class, out)
            continue
        if in_class:
            if char == "]" and i != class_start:
                in_class = False
                out.append("]")
            elif char in "[]&~":  # literal to Python; set syntax (nesting, &&, ~~) to Rust
                out.append(_char(ord(char)))
            else:
                out.append(char)
            i += 1
            continue
        if char == "[":
            in_class = True
            i += 1
            if pattern.startswith("^", i):
                out.append("[^")
                i += 1
            else:
                out.append("[")
            class_start = i
            continue
        if char == ".":
            out.append("[^\\n]")
        elif char == "$":
            out.append("(?:\\n?\\z)")
        elif char == "{":
            quantifier = _QUANTIFIER.match(pattern, i)
            if quantifier is None or quantifier.group() == "{}":
                out.append(_char(ord("{")))  # Python: a literal brace
            else:
                low, comma, high = quantifier.groups()
                out.append(f"{{{low or 0}{',' if comma else ''}{high or ''}}}")
                i = _lazy(pattern, quantifier.end(), out)
                continue
        elif char in "}]":
            out.append(_char(ord(char)))
        elif char in "*+?":
            out.append(char)
            i = _lazy(pattern, i + 1, out)
            continue
        elif char == "(" and pattern.startswith("?", i + 1):
            i = _group(pattern, i, out)
            continue
        else:
            out.append(char)
        i += 1
    if in_class:
        raise ValueError(f"unterminated character set in {pattern!r}")
    return "".join(out)


def _lazy(pattern: str, after: int, out: list[str]) -> int:
    """After a quantifier: its lazy mark, if any; a possessive one is refused."""
    if pattern.startswith("?", after):
        out.append("?")
        return after + 1
    if pattern.startswith("+", after):
        raise ValueError(f"possessive quantifier in {pattern!r}: not translated")
    return after


def _group(pattern: str, i: int, out: list[str]) -> int:
    """A "(?" group: pass on those both dialects read alike; drop comments; refuse the rest."""
    for opening in ("(?:", "(?=", "(?!", "(?<=", "(?<!"):
        if pattern.startswith(opening, i):
            out.append(opening)
            return i + len(opening)
    if pattern.startswith("(?P<", i):
        out.append("(?<")
        return i + 4
    if pattern.startswith("(?#", i):
        end = pattern.find(")", i)
        if end < 0:
            raise ValueError(f"unterminated comment in {pattern!r}")
        return end + 1
    raise ValueError(f"group {pattern[i : i + 4]!r}... in {pattern!r}: flags, atomic and conditional groups are not translated")


def _escape(pattern: str, i: int, in_class: bool, out: list[str]) -> int:
    """Translate the escape at ``pattern[i]`` (a backslash); the index after it."""
    if i + 1 >= len(pattern):
        raise ValueError(f"{pattern!r} ends with a backslash")
    kind = pattern[i + 1]
    if kind in _CLASS_ESCAPES:
        members = _python_class(kind)
        out.append(members if in_class else f"[{members}]")
        return i + 2
    if kind in _CHAR_ESCAPES:
        out.append(_char(_CHAR_ESCAPES[kind]))
        return i + 2
    if kind in _HEX_ESCAPES:
        digits = pattern[i + 2 : i + 2 + _HEX_ESCAPES[kind]]
        if len(digits) != _HEX_ESCAPES[kind] or not all(c in "0123456789abcdefABCDEF" for c in digits):
            raise ValueError(f"bad \\{kind} escape in {pattern!r}")
        out.append(_char(int(digits, 16)))
        return i + 2 + len(digits)
    if kind == "N":
        end = pattern.find("}", i)
        if not pattern.startswith("{", i + 2) or end < 0:
            raise ValueError(f"bad \\N escape in {pattern!r}")
        import unicodedata

        try:
            out.append(_char(ord(unicodedata.lookup(pattern[i + 3 : end]))))
        except KeyError:
            raise ValueError(f"unknown character name in {pattern!r}") from None
        return end + 1
    octal = (_CLASS_OCTAL if in_class else _OCTAL).match(pattern, i + 1)
    if octal is not None:
        out.append(_char(int(octal.group(), 8)))
        return octal.end()
    if kind.isdigit():
        if in_class:
            raise ValueError(f"bad escape \\{kind} in a character set in {pattern!r}")
        number = _GROUP_NUMBER.match(pattern, i + 1)
        assert number is not None  # a digit, not 0 (octal above)
        out.append("\\" + number.group())  # a back-reference
        return number.end()
    if in_class and kind == "b":
        out.append(_char(0x08))
        return i + 2
    if not in_class and kind in "bB":
        out.append(_word_boundary(kind == "B"))
        return i + 2
    if not in_class and kind in "AZ":
        out.append("^" if kind == "A" else "\\z")
        return i + 2
    if kind.isascii() and kind.isalnum():
        raise ValueError(f"bad escape \\{kind} in {pattern!r}")
    out.append(_char(ord(kind)))  # Python: the character itself
    return i + 2


def _python_regex_semantics(node: Any) -> Any:
    """A schema whose regular expressions mean on jsonschema-rs what they mean to the reference."""
    if isinstance(node, list):
        return [_python_regex_semantics(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "pattern" and isinstance(value, str):
            out[key] = _python_regex(value)
        elif key == "patternProperties" and isinstance(value, dict):
            out[key] = {_python_regex(k): _python_regex_semantics(v) for k, v in value.items()}
        elif key in _SCHEMAS_BY_NAME and isinstance(value, dict):
            out[key] = {name: _python_regex_semantics(schema) for name, schema in value.items()}
        elif key in _SCHEMA_ANNOTATIONS:
            out[key] = value
        else:
            out[key] = _python_regex_semantics(value)
    return out


def _without_surrogates(value: Any) -> Any:
    """``value`` with each lone surrogate in its strings and keys replaced by U+FFFD."""
    if type(value) is str:
        return value if value.isascii() else "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in value)
    if type(value) is list:
        return [_without_surrogates(item) for item in value]
    if type(value) is dict:
        return {_without_surrogates(key): _without_surrogates(item) for key, item in value.items()}
    return value


def _join(base: list[str | int], rest: list[str | int]) -> str:
    return json_path(*base, *rest)


class SpecValidator:
    """STIX 2.1 and 2.0 spec validation with the OASIS validator's verdicts, fast:
    a STIX 2.0 object by the reference's 2.0 rules, anything else by its 2.1 rules."""

    def __init__(self) -> None:
        self._formats = _make_formats()
        self._sets: dict[str, _SchemaSet] = {}
        self._schemas_by_type: dict[tuple[str, str, str], tuple[jsonschema_rs.Validator | None, str, bool]] = {}
        # Schemas are compiled once per process, on first use of each type and
        # version: compiling all 55 of 2.1 and 46 of 2.0 up front would slow the
        # CLI's start-up.  Call warm_up() to pay it all at once (long-running ingest).
        self._schema_set("2.1").get("core")
        self._checks = {version: spec_checks.MustChecks(version) for version in ("2.0", "2.1")}
        # the 2.1 rules a STIX 2.0 object meets as a bundle member, less those its 2.0 rules apply alike
        self._member_checks = spec_checks.MustChecks("2.1", after=self._checks["2.0"])
        self._faults = {version: spec_checks.ShouldFaults(version) for version in ("2.0", "2.1")}
        self._member_faults = spec_checks.ShouldFaults("2.1", after=self._faults["2.0"])

    def _schema_set(self, version: str) -> _SchemaSet:
        sset = self._sets.get(version)
        if sset is None:
            sset = _SchemaSet(version, self._formats)
            self._sets[version] = sset
        return sset

    # ------------------------------------------------------------------ API
    def warm_up(self) -> None:
        """Compile every STIX 2.1 and 2.0 schema now rather than on first use."""
        for version in ("2.1", "2.0"):
            sset = self._schema_set(version)
            for name in sset.names():
                sset.get(name)

    def validate(self, obj: dict[str, Any]) -> list[Problem]:
        """Problems of one STIX object (a bundle's members are included);
        any error means the OASIS validator would call it invalid."""
        if not isinstance(obj, dict) or "id" not in obj or "type" not in obj:
            oid = obj.get("id") if isinstance(obj, dict) else None
            return [Problem(oid if isinstance(oid, str) else None, "$", "input must be a JSON object with 'id' and 'type' properties")]
        oid = obj["id"] if isinstance(obj["id"], str) else None
        is_bundle = obj["type"] == "bundle"
        version = "2.0" if not is_bundle and spec_version_of(obj) == "2.0" else "2.1"
        problems: list[Problem] = []
        try:
            self._schema_validate(obj, version, [], oid, problems)
            if is_bundle and "objects" in obj:
                self._bundle_members(obj, oid, problems)
            children = spec_checks.stix_children(obj)
            if version == "2.1":
                self._checks["2.1"].run(obj, [], problems, children)
                self._faults["2.1"].run(obj, [], problems, children, None, oid)
                return problems
            # a STIX 2.0 object: the 2.0 rules, and the 2.1 rules it meets as a member of a bundle
            found = len(problems)
            self._checks["2.0"].run(obj, [], problems, children, self._member_checks)
            self._faults["2.0"].run(obj, [], problems, children, self._member_faults, oid)
        except RecursionError:  # STIX objects in lists of STIX objects some thousand deep: the reference raises too
            return [Problem(oid, "$", "the reference validator cannot judge this object: its STIX objects are nested too deep")]
        if len(problems) > found + 1:
            problems[found:] = list(dict.fromkeys(problems[found:]))
        return problems

    def is_valid(self, obj: dict[str, Any]) -> bool:
        return not any(p.severity == Severity.ERROR for p in self.validate(obj))

    # ------------------------------------------------------------- internals
    def _bundle_members(self, bundle: dict[str, Any], oid: str | None, problems: list[Problem]) -> None:
        members = bundle["objects"]
        bundle_version = bundle.get("spec_version", "2.1")
        if not isinstance(members, list):
            try:
                members = list(members)
            except TypeError:
                problems.append(Problem(oid, "$.objects", "bundle 'objects' must be a list of STIX objects"))
                return
        for i, member in enumerate(members):
            if not isinstance(member, dict) or "type" not in member or "id" not in member:
                problems.append(Problem(oid, json_path("objects", i), "each object in a bundle must be a JSON object with 'type' and 'id'"))
                continue
            version = "2.1"
            if bundle_version == "2.0":
                version = "2.0"
            elif bundle_version == "2.1" and "spec_version" not in member and "created" in member:
                # the reference treats it as a STIX 2.0 object in a 2.1 bundle
                version = "2.0"
            mid = member["id"] if isinstance(member["id"], str) else oid
            if "spec_version" in member and member["spec_version"] != "2.1":
                problems.append(
                    Problem(mid, json_path("objects", i, "spec_version"), "spec_version mismatch; treated as 2.1 content", Severity.WARNING)
                )
            self._schema_validate(member, version, ["objects", i], mid, problems)

    def _pick_schema(self, obj: dict[str, Any], otype: Any, version: str, default: str) -> jsonschema_rs.Validator | None:
        sset = self._schema_set(version)
        if sset.has(otype):
            return sset.get(otype)
        if sset.has(default):
            return sset.get(default)
        return None

    def _run_schema(
        self, validator: jsonschema_rs.Validator, obj: Any, base: list[str | int], oid: str | None, problems: list[Problem], *what: str
    ) -> None:
        try:
            if validator.is_valid(obj):
                return
            error = next(iter(validator.iter_errors(obj)))
        except UnicodeEncodeError:
            # A lone surrogate (Python reads one from JSON; no Rust string holds one). U+FFFD
            # is, like a surrogate, one character in none of the sets the schemas' regexes
            # and formats accept: the schema judges the copy as the reference the original.
            obj = _without_surrogates(obj)
            if validator.is_valid(obj):
                return
            error = next(iter(validator.iter_errors(obj)))
        problems.append(Problem(oid, _join(base, list(error.instance_path)), f"{' '.join(what)}: {error.message}"))

    def _schema_for(self, otype: Any, version: str, default: str) -> tuple[jsonschema_rs.Validator | None, str, bool]:
        """(compiled schema, its name, whether the type is custom) for an object's type, as the reference picks them."""
        key = (otype, version, default) if type(otype) is str else None
        found = self._schemas_by_type.get(key) if key is not None else None
        if found is None:
            sset = self._schema_set(version)
            if sset.has(otype):
                found = (sset.get(otype), otype, False)
            else:
                found = (sset.get(default) if sset.has(default) else None, default, True)
            if key is not None:
                self._schemas_by_type[key] = found
        return found

    def _schema_validate(self, obj: dict[str, Any], version: str, base: list[str | int], oid: str | None, problems: list[Problem]) -> None:
        otype = obj["type"]
        default = "core"
        if version > "2.0" and "created" not in obj and "modified" not in obj and otype != "marking-definition":
            default = "cyber-observable-core"
        fn, name, custom = self._schema_for(otype, version, default)
        if fn is None:
            problems.append(Problem(oid, _join(base, []), f"no STIX {version} schema for this object"))
        else:
            self._run_schema(fn, obj, base, oid, problems, "STIX", version, "schema", name)
            if custom:
                if isinstance(otype, str) and otype != "bundle":
                    problems.append(
                        Problem(
                            oid,
                            _join(base, ["type"]),
                            f"custom object type {otype!r} (validated against the {default} schema only)",
                            Severity.WARNING,
                        )
                    )

        if otype == "observed-data" and "objects" in obj:
            objects = obj["objects"]
            if not isinstance(objects, dict):
                problems.append(Problem(oid, _join(base, ["objects"]), "observed-data 'objects' must be a dictionary"))
                return
            for key, val in objects.items():
                if not isinstance(val, dict) or "type" not in val:
                    problems.append(Problem(oid, _join(base, ["objects", key]), "observable object must contain a 'type' property"))
                    continue
                sub = self._pick_schema(val, val["type"], version, "cyber-observable-core")
                if sub is not None:
                    self._run_schema(sub, val, base + ["objects", key], oid, problems, "observable")


@functools.cache
def default_validator() -> SpecValidator:
    return SpecValidator()
