"""Fast STIX 2.1 and 2.0 spec validation whose verdicts match the OASIS ``stix2validator``.

The OASIS validator is the reference: ``stix2validator.validate_instance`` with
``ValidationOptions(version="2.0")`` for a STIX 2.0 object (one for which
:func:`fimishare.stix.spec_version_of` says ``"2.0"``: no
``spec_version`` but ``created`` or ``modified``, or ``spec_version`` ``"2.0"``)
and ``version="2.1"`` for everything else, bundles included.  It is correct
but slow (~150 objects/s) because it builds a fresh ``jsonschema`` validator
per object and walks ``$ref``s through ``referencing``.  This module:

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
  :mod:`fimishare.ingest.spec_checks`.

Behaviour mirrored from the reference (default options):

* a top-level STIX 2.0 object is validated by the 2.0 schemas and MUST
  checks: e.g. 2.0 indicators and malware need ``labels``, an indicator's
  ``pattern`` is parsed as a STIX 2.0 pattern whatever its ``pattern_type``
  (a custom property in 2.0), observables inside observed-data have no
  ``id``, and a TLP marking definition must be one the specification
  defines.  A 2.1 SDO written without ``spec_version`` has ``created`` and is
  so judged as 2.0, while a 2.1 SCO without it (no ``created``/``modified``)
  is judged as 2.1;
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

Where the reference raises an exception instead of returning a result
(malformed input that trips one of its checks), we report an error:
such input is never accepted.
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


def _python_regex_semantics(node: Any) -> Any:
    """Make the schema's regular expressions mean what they mean to the reference,
    which runs them with Python's ``re.search``: there "$" also matches before a
    final newline, in Rust's engine only at the very end."""
    if isinstance(node, list):
        return [_python_regex_semantics(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "pattern" and isinstance(value, str):
            out[key] = _python_dollar(value)
        elif key == "patternProperties" and isinstance(value, dict):
            out[key] = {_python_dollar(k): _python_regex_semantics(v) for k, v in value.items()}
        else:
            out[key] = _python_regex_semantics(value)
    return out


def _python_dollar(pattern: str) -> str:
    out, in_class, escaped = [], False, False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "$":
            out.append("(?:\\n?\\z)")
            continue
        out.append(char)
    return "".join(out)


def _join(base: list[str | int], rest: list[str | int]) -> str:
    return json_path(*base, *rest)


class SpecValidator:
    """STIX 2.1 and 2.0 spec validation with the OASIS validator's verdicts, fast:
    a STIX 2.0 object by the reference's 2.0 rules, anything else by its 2.1 rules."""

    def __init__(self) -> None:
        self._formats = _make_formats()
        self._sets: dict[str, _SchemaSet] = {}
        # Schemas are compiled once per process, on first use of each type and
        # version: compiling all 55 of 2.1 and 46 of 2.0 up front would slow the
        # CLI's start-up.  Call warm_up() to pay it all at once (long-running ingest).
        self._schema_set("2.1").get("core")
        self._checks = {version: spec_checks.MustChecks(version) for version in ("2.0", "2.1")}

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
        self._schema_validate(obj, version, [], oid, problems)
        if is_bundle and "objects" in obj:
            self._bundle_members(obj, oid, problems)
        self._checks[version].run(obj, [], problems)
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
        self, validator: jsonschema_rs.Validator, obj: Any, base: list[str | int], oid: str | None, problems: list[Problem], what: str
    ) -> None:
        if validator.is_valid(obj):
            return
        error = next(iter(validator.iter_errors(obj)))
        problems.append(Problem(oid, _join(base, list(error.instance_path)), f"{what}: {error.message}"))

    def _schema_validate(self, obj: dict[str, Any], version: str, base: list[str | int], oid: str | None, problems: list[Problem]) -> None:
        otype = obj["type"]
        default = "core"
        if version > "2.0" and "created" not in obj and "modified" not in obj and otype != "marking-definition":
            default = "cyber-observable-core"
        fn = self._pick_schema(obj, otype, version, default)
        if fn is None:
            problems.append(Problem(oid, _join(base, []), f"no STIX {version} schema for this object"))
        else:
            name = otype if self._schema_set(version).has(otype) else default
            self._run_schema(fn, obj, base, oid, problems, f"STIX {version} schema {name}")
            if not (isinstance(otype, str) and self._schema_set(version).has(otype)):
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
