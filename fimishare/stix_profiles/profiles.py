"""STIX profiles: declared as data (``profiles/*.json``), checked by code, published as STIX.

A profile says which types it covers, which extensions they carry and with which properties
(required / optional, closed enumerations and open vocabularies, formats, ranges), which
relationships are expected, and which technique framework (DISARM or ATT&CK) its ``uses``
relationships point to.  Each profile's own property-extension is published as a STIX 2.1
``extension-definition`` created by the fimishare identity; its ``schema`` is a JSON Schema
generated from the same data, so the published definition and the ingest checks cannot drift.

Property spec keys understood (in the JSON):
  type                 string | integer | number | boolean | list | dict | identifier | timestamp
  required             true -> missing is an error
  enum                 closed vocabulary (a list, or the name of an entry in "vocabularies") -> error
  vocabulary           open vocabulary (list or name) -> warning for values outside it
  minimum / maximum    numeric range (inclusive)
  format               country (ISO 3166-1 alpha-2) | language (BCP 47 / RFC 5646 well-formed tag)
  pattern              regular expression the string must match
  items                spec of list items
  required_keys        keys a dict must have
  ref_types            allowed object types of an identifier (and lookup is tried: warning if unresolvable)
  resolve              false -> do not warn when an identifier cannot be resolved
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from fimishare.stix import TLP_CLEAR, Problem, Severity, json_path
from fimishare.stix_profiles import frameworks

Lookup = Callable[[str], "dict[str, Any] | None"]

PROFILES_DIR = Path(__file__).with_name("profiles")

INCIDENT_CORE_EXTENSION = "extension-definition--ef765651-680c-498d-9894-99799f2fa126"
OPENCTI_EXTENSION = "extension-definition--ea279b3e-5c71-4632-ac08-831c66a786ba"
FIMI_EXTENSION = "extension-definition--94ef16a4-16eb-43aa-93a7-1e1a3433fd06"
CYBER_EXTENSION = "extension-definition--ccf4117d-89bb-44df-b069-ade2e3fe24d9"

FIMISHARE_IDENTITY_ID = "identity--17be0f8d-9659-4b41-b3c1-0de27be80940"
FIMISHARE_IDENTITY: dict[str, Any] = {
    "type": "identity",
    "spec_version": "2.1",
    "id": FIMISHARE_IDENTITY_ID,
    "created": "2025-06-01T00:00:00.000Z",
    "modified": "2025-06-01T00:00:00.000Z",
    "name": "fimishare",
    "description": "EU-Japan sharing platform for FIMI, hybrid-threat and cyber-incident intelligence; "
    "publisher of the fimishare STIX extension-definitions.",
    "identity_class": "system",
    "object_marking_refs": [TLP_CLEAR],
}

STIX21_SDO_TYPES = frozenset(
    {
        "attack-pattern",
        "campaign",
        "course-of-action",
        "grouping",
        "identity",
        "incident",
        "indicator",
        "infrastructure",
        "intrusion-set",
        "location",
        "malware",
        "malware-analysis",
        "note",
        "observed-data",
        "opinion",
        "report",
        "threat-actor",
        "tool",
        "vulnerability",
    }
)
STIX21_SRO_TYPES = frozenset({"relationship", "sighting"})
STIX21_SCO_TYPES = frozenset(
    {
        "artifact",
        "autonomous-system",
        "directory",
        "domain-name",
        "email-addr",
        "email-message",
        "file",
        "ipv4-addr",
        "ipv6-addr",
        "mac-addr",
        "mutex",
        "network-traffic",
        "process",
        "software",
        "url",
        "user-account",
        "windows-registry-key",
        "x509-certificate",
    }
)
STIX21_META_TYPES = frozenset({"marking-definition", "language-content", "extension-definition"})
STIX21_TYPES = STIX21_SDO_TYPES | STIX21_SRO_TYPES | STIX21_SCO_TYPES | STIX21_META_TYPES
NEW_OBJECT_EXTENSION_TYPES = frozenset({"new-sdo", "new-sco", "new-sro"})

# ISO 3166-1 alpha-2, officially assigned codes (249).
ISO_3166_ALPHA2 = frozenset(
    """
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV
BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES
ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE
IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY
MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU
NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM
SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE
VG VI VN VU WF WS YE YT ZA ZM ZW
""".split()
)
# Exceptionally reserved; accepted with a warning (an EU-wide target is common in FIMI reporting).
ISO_3166_EXCEPTIONALLY_RESERVED = frozenset({"EU"})

# RFC 5646 well-formed language tags (syntax only, not checked against the IANA registry).
_ALPHANUM = "[A-Za-z0-9]"
_LANGTAG = (
    r"(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})"  # language (+ extlang)
    r"(?:-[A-Za-z]{4})?"  # script
    r"(?:-(?:[A-Za-z]{2}|[0-9]{3}))?"  # region
    rf"(?:-(?:{_ALPHANUM}{{5,8}}|[0-9]{_ALPHANUM}{{3}}))*"  # variants
    rf"(?:-[0-9A-WY-Za-wy-z](?:-{_ALPHANUM}{{2,8}})+)*"  # extensions
    rf"(?:-[Xx](?:-{_ALPHANUM}{{1,8}})+)?"  # private use
)
_PRIVATEUSE = rf"[Xx](?:-{_ALPHANUM}{{1,8}})+"
_IRREGULAR = (
    "en-GB-oed|i-ami|i-bnn|i-default|i-enochian|i-hak|i-klingon|i-lux|i-mingo|i-navajo|i-pwn|i-tao|"
    "i-tay|i-tsu|sgn-BE-FR|sgn-BE-NL|sgn-CH-DE"
)
LANGUAGE_TAG_RE = re.compile(rf"^(?:{_LANGTAG}|{_PRIVATEUSE}|(?i:{_IRREGULAR}))$")

IDENTIFIER_RE = re.compile(r"^([a-z0-9][a-z0-9-]*[a-z0-9]|[a-z0-9])--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")

_SEVERITIES = {"error": Severity.ERROR, "warning": Severity.WARNING}


def is_language_tag(value: str) -> bool:
    return isinstance(value, str) and bool(LANGUAGE_TAG_RE.match(value))


def is_country_code(value: str) -> bool:
    return isinstance(value, str) and value in ISO_3166_ALPHA2


def _type_of_id(ref: Any) -> str | None:
    if isinstance(ref, str) and "--" in ref:
        return ref.split("--", 1)[0]
    return None


def _no_lookup(_ref: str) -> None:
    return None


def _describe_type(expected: str) -> str:
    return {
        "list": "a non-empty list",
        "dict": "an object",
        "integer": "an integer",
        "number": "a number",
        "boolean": "a boolean",
        "string": "a string",
        "identifier": "a STIX identifier",
        "timestamp": "a STIX timestamp",
    }.get(expected, expected)


class Profile:
    """One STIX profile, loaded from its JSON declaration."""

    def __init__(self, data: dict[str, Any]):
        self.data = data
        self.name: str = data["name"]
        self.title: str = data.get("title", self.name)
        self.description: str = data.get("description", "")
        self.claim_extension: str = data["claim_extension"]
        self.technique_framework: str | None = data.get("technique_framework")
        self.technique_id_pattern = re.compile(data["technique_id_pattern"]) if data.get("technique_id_pattern") else None
        self.owned_types: frozenset[str] = frozenset(data.get("owned_types", ()))
        self.vocabularies: dict[str, list[str]] = data.get("vocabularies", {})
        self.extensions: dict[str, dict[str, Any]] = data.get("extensions", {})
        self.types: dict[str, dict[str, Any]] = data.get("types", {})
        self.common_properties: dict[str, dict[str, Any]] = data.get("common_properties", {})
        self.undeclared_relationship_severity = _SEVERITIES[data.get("undeclared_relationship_severity", "warning")]
        self.allowed_relationships: frozenset[tuple[str, str, str]] = frozenset(
            (source, rule["type"], target)
            for rule in data.get("relationships", ())
            for source in rule["source"]
            for target in rule["target"]
        )
        if self.claim_extension not in self.extensions:
            raise ValueError(f"profile {self.name}: claim extension {self.claim_extension} is not declared")
        self._check_declaration()
        self.extension_definition: dict[str, Any] = self._build_extension_definition()

    def _check_declaration(self) -> None:
        """Fail at load time on a vocabulary name that is not declared or an unknown property type."""
        kinds = {"string", "integer", "number", "boolean", "list", "dict", "identifier", "timestamp"}

        def walk(spec: dict[str, Any], where: str) -> None:
            if spec.get("type", "string") not in kinds:
                raise ValueError(f"profile {self.name}: {where}: unknown type {spec.get('type')!r}")
            for key in ("enum", "vocabulary"):
                if isinstance(spec.get(key), str) and spec[key] not in self.vocabularies:
                    raise ValueError(f"profile {self.name}: {where}: undeclared vocabulary {spec[key]!r}")
            if "items" in spec:
                walk(spec["items"], where + "[]")

        for ext_id, ext in self.extensions.items():
            groups = ext.get("properties_by_type", {"*": ext.get("properties", {})})
            for type_name, props in groups.items():
                for prop, spec in props.items():
                    walk(spec, f"{ext_id}/{type_name}/{prop}")
        for type_name, type_spec in self.types.items():
            for prop, spec in type_spec.get("properties", {}).items():
                walk(spec, f"{type_name}/{prop}")
        for prop, spec in self.common_properties.items():
            walk(spec, prop)

    # ------------------------------------------------------------------ publication
    def _build_extension_definition(self) -> dict[str, Any]:
        declared = self.data["extension_definition"]
        if declared["id"] != self.claim_extension:
            raise ValueError(f"profile {self.name}: extension_definition id differs from claim_extension")
        return {
            "type": "extension-definition",
            "spec_version": "2.1",
            "id": declared["id"],
            "created_by_ref": FIMISHARE_IDENTITY_ID,
            "created": declared["created"],
            "modified": declared["modified"],
            "name": declared["name"],
            "description": declared["description"],
            "schema": json.dumps(self.json_schema(), sort_keys=True, separators=(",", ":")),
            "version": declared["version"],
            "extension_types": list(declared.get("extension_types", ["property-extension"])),
            "object_marking_refs": [TLP_CLEAR],
        }

    def _vocab(self, value: Any) -> list[str] | None:
        if value is None:
            return None
        if isinstance(value, str):
            return self.vocabularies[value]
        return list(value)

    def _spec_schema(self, spec: dict[str, Any]) -> dict[str, Any]:
        kind = spec.get("type", "string")
        schema: dict[str, Any] = {}
        if kind == "list":
            schema = {"type": "array", "minItems": 1}
            if "items" in spec:
                schema["items"] = self._spec_schema(spec["items"])
        elif kind == "dict":
            schema = {"type": "object"}
            if spec.get("required_keys"):
                schema["required"] = list(spec["required_keys"])
        elif kind in ("integer", "number", "boolean", "string"):
            schema = {"type": kind}
        elif kind == "identifier":
            types = spec.get("ref_types")
            prefix = "(" + "|".join(re.escape(t) for t in types) + ")" if types else "[a-z0-9-]+"
            schema = {"type": "string", "pattern": f"^{prefix}--[0-9a-f-]{{36}}$"}
        elif kind == "timestamp":
            schema = {"type": "string", "format": "date-time"}
        if "enum" in spec:
            schema["enum"] = self._vocab(spec["enum"])
        if "vocabulary" in spec:
            schema["examples"] = self._vocab(spec["vocabulary"])
            schema["$comment"] = "open vocabulary"
        if "minimum" in spec:
            schema["minimum"] = spec["minimum"]
        if "maximum" in spec:
            schema["maximum"] = spec["maximum"]
        if spec.get("format") == "country":
            schema["pattern"] = "^[A-Z]{2}$"
            schema["description"] = "ISO 3166-1 alpha-2 country code"
        elif spec.get("format") == "language":
            schema["description"] = "BCP 47 (RFC 5646) language tag"
        if "pattern" in spec:
            schema["pattern"] = spec["pattern"]
        return schema

    def _properties_schema(self, ext_id: str, extension_type: str, props: dict[str, dict[str, Any]], closed: bool) -> dict[str, Any]:
        properties: dict[str, Any] = {"extension_type": {"const": extension_type}}
        required = ["extension_type"]
        for prop, spec in props.items():
            properties[prop] = self._spec_schema(spec)
            if spec.get("required"):
                required.append(prop)
        schema: dict[str, Any] = {"type": "object", "properties": properties, "required": required}
        if closed:
            schema["additionalProperties"] = False
        return schema

    def json_schema(self) -> dict[str, Any]:
        """JSON Schema (2020-12) of this profile's own extension, per object type it may appear on."""
        spec = self.extensions[self.claim_extension]
        closed = not spec.get("additional_properties", True)
        ext_type = spec.get("extension_type", "property-extension")
        if "properties_by_type" in spec:
            per_type = {
                t: self._properties_schema(self.claim_extension, ext_type, props, closed) for t, props in spec["properties_by_type"].items()
            }
        else:
            per_type = {"*": self._properties_schema(self.claim_extension, ext_type, spec.get("properties", {}), closed)}
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": self.data["extension_definition"]["name"],
            "description": (
                f"Value of extensions['{self.claim_extension}'] by the type of the object carrying it. "
                + self.data["extension_definition"]["description"]
            ),
            "$defs": per_type,
        }

    # ------------------------------------------------------------------ applicability
    def claims(self, obj: dict[str, Any] | None) -> bool:
        """The object carries this profile's own extension."""
        if not isinstance(obj, dict):
            return False
        extensions = obj.get("extensions")
        return isinstance(extensions, dict) and self.claim_extension in extensions

    def applies_to(self, obj: dict[str, Any], lookup: Lookup | None = None) -> bool:
        """The object claims the profile (carries its extension) or is of a type the profile owns.

        A relationship or sighting is covered when an endpoint is of an owned type or (given a
        lookup) resolves to an object that claims the profile.
        """
        if not isinstance(obj, dict):
            return False
        if self.claims(obj) or obj.get("type") in self.owned_types:
            return True
        if obj.get("type") == "relationship":
            for key in ("source_ref", "target_ref"):
                ref = obj.get(key)
                if _type_of_id(ref) in self.owned_types:
                    return True
                if lookup is not None and isinstance(ref, str) and self.claims(lookup(ref)):
                    return True
        return False

    # ------------------------------------------------------------------ checks
    def check(self, obj: dict[str, Any], lookup: Lookup | None = None, accepted_frameworks: frozenset[str] | None = None) -> list[Problem]:
        """Problems of ``obj`` under this profile; ``lookup(id)`` resolves refs (bundle or store).

        ``accepted_frameworks``: technique frameworks a ``uses`` may point to; by default this
        profile's own.  check_object() widens it when an object is covered by several profiles
        (a hybrid incident claiming both the FIMI and the cyber profile may use both).
        """
        lookup = lookup or _no_lookup
        problems: list[Problem] = []
        obj_id = obj.get("id") if isinstance(obj.get("id"), str) else None
        obj_type: Any = obj.get("type")  # a string: ingest checked it before the profiles
        type_spec = self.types.get(obj_type, {})

        for prop, spec in self.common_properties.items():
            if prop in obj:
                problems += self._check_value(obj[prop], spec, (prop,), obj_id, lookup)

        for prop, spec in type_spec.get("properties", {}).items():
            if prop not in obj:
                if spec.get("required"):
                    problems.append(Problem(obj_id, json_path(prop), f"{self.name}: {obj_type} requires {prop!r}"))
                continue
            problems += self._check_value(obj[prop], spec, (prop,), obj_id, lookup)

        extensions = obj.get("extensions")
        if extensions is not None and not isinstance(extensions, dict):
            problems.append(Problem(obj_id, json_path("extensions"), "extensions must be an object"))
            extensions = {}
        extensions = extensions or {}
        for ext_id in type_spec.get("required_extensions", ()):
            if ext_id not in extensions:
                label = self.extensions.get(ext_id, {}).get("label", ext_id)
                problems.append(
                    Problem(obj_id, json_path("extensions", ext_id), f"{self.name}: {obj_type} requires the {label} extension ({ext_id})")
                )
        for ext_id in type_spec.get("recommended_extensions", ()):
            if ext_id not in extensions:
                label = self.extensions.get(ext_id, {}).get("label", ext_id)
                problems.append(
                    Problem(
                        obj_id,
                        json_path("extensions", ext_id),
                        f"{self.name}: {obj_type} should carry the {label} extension ({ext_id})",
                        Severity.WARNING,
                    )
                )
        for ext_id, value in extensions.items():
            if ext_id in self.extensions:
                problems += self._check_extension(obj_type, obj_id, ext_id, value, lookup)

        if obj_type == "relationship":
            problems += self._check_relationship(obj, obj_id, lookup, accepted_frameworks)
        return problems

    def _check_extension(self, obj_type: str, obj_id: str | None, ext_id: str, value: Any, lookup: Lookup) -> list[Problem]:
        spec = self.extensions[ext_id]
        label = spec.get("label", ext_id)
        base = ("extensions", ext_id)
        if not isinstance(value, dict):
            return [Problem(obj_id, json_path(*base), f"the {label} extension must be an object")]
        problems: list[Problem] = []
        expected_type = spec.get("extension_type")
        if expected_type and value.get("extension_type") != expected_type:
            problems.append(
                Problem(
                    obj_id,
                    json_path(*base, "extension_type"),
                    f"the {label} extension must have extension_type {expected_type!r}, not {value.get('extension_type')!r}",
                )
            )
        if "properties_by_type" in spec:
            if obj_type not in spec["properties_by_type"]:
                problems.append(
                    Problem(
                        obj_id,
                        json_path(*base),
                        f"the {label} extension is not defined for type {obj_type!r} "
                        f"(defined for {', '.join(sorted(spec['properties_by_type']))})",
                    )
                )
                return problems
            props = spec["properties_by_type"][obj_type]
        else:
            props = spec.get("properties", {})
        for prop, prop_spec in props.items():
            if prop_spec.get("required") and prop not in value:
                problems.append(Problem(obj_id, json_path(*base, prop), f"the {label} extension requires {prop!r} on {obj_type}"))
        closed = not spec.get("additional_properties", True)
        for prop, prop_value in value.items():
            if prop == "extension_type":
                continue
            if prop in props:
                problems += self._check_value(prop_value, props[prop], (*base, prop), obj_id, lookup)
            elif closed:
                problems.append(
                    Problem(obj_id, json_path(*base, prop), f"{prop!r} is not a property of the {label} extension on {obj_type}")
                )
        return problems

    def _check_value(
        self, value: Any, spec: dict[str, Any], path: tuple[str | int, ...], obj_id: str | None, lookup: Lookup
    ) -> list[Problem]:
        where = json_path(*path)
        kind = spec.get("type", "string")
        ok = {
            "string": isinstance(value, str),
            "integer": isinstance(value, int) and not isinstance(value, bool),
            "number": isinstance(value, (int, float)) and not isinstance(value, bool),
            "boolean": isinstance(value, bool),
            "list": isinstance(value, list) and len(value) > 0,
            "dict": isinstance(value, dict),
            "identifier": isinstance(value, str) and bool(IDENTIFIER_RE.match(value)),
            "timestamp": isinstance(value, str) and bool(TIMESTAMP_RE.match(value)),
        }.get(kind, True)
        if not ok:
            return [Problem(obj_id, where, f"must be {_describe_type(kind)}, got {value!r}")]
        problems: list[Problem] = []
        if kind == "list":
            item_spec = spec.get("items")
            if item_spec:
                for index, item in enumerate(value):
                    problems += self._check_value(item, item_spec, (*path, index), obj_id, lookup)
            return problems
        if kind == "dict":
            for key in spec.get("required_keys", ()):
                if key not in value:
                    problems.append(Problem(obj_id, json_path(*path, key), f"requires {key!r}"))
            return problems
        enum = self._vocab(spec.get("enum"))
        if enum is not None and value not in enum:
            problems.append(Problem(obj_id, where, f"{value!r} is not one of {', '.join(map(str, enum))}"))
        vocabulary = self._vocab(spec.get("vocabulary"))
        if vocabulary is not None and value not in vocabulary:
            problems.append(Problem(obj_id, where, f"{value!r} is not in the suggested vocabulary", Severity.WARNING))
        if "minimum" in spec and value < spec["minimum"]:
            problems.append(Problem(obj_id, where, f"{value!r} is below the minimum {spec['minimum']}"))
        if "maximum" in spec and value > spec["maximum"]:
            problems.append(Problem(obj_id, where, f"{value!r} is above the maximum {spec['maximum']}"))
        if "pattern" in spec and not re.search(spec["pattern"], value):
            problems.append(Problem(obj_id, where, f"{value!r} does not match {spec['pattern']}"))
        fmt = spec.get("format")
        if fmt == "country" and not is_country_code(value):
            if value in ISO_3166_EXCEPTIONALLY_RESERVED:
                problems.append(Problem(obj_id, where, f"{value!r} is an exceptionally reserved ISO 3166-1 code", Severity.WARNING))
            else:
                problems.append(Problem(obj_id, where, f"{value!r} is not an ISO 3166-1 alpha-2 country code"))
        elif fmt == "language" and not is_language_tag(value):
            problems.append(Problem(obj_id, where, f"{value!r} is not a BCP 47 (RFC 5646) language tag"))
        if kind == "identifier" and spec.get("ref_types"):
            ref_type = _type_of_id(value)
            if ref_type not in spec["ref_types"]:
                problems.append(Problem(obj_id, where, f"must refer to {', '.join(spec['ref_types'])}, not {ref_type!r}"))
            elif spec.get("resolve", True) and lookup(value) is None:
                problems.append(Problem(obj_id, where, f"{value} cannot be resolved", Severity.WARNING))
        return problems

    def _check_relationship(
        self, obj: dict[str, Any], obj_id: str | None, lookup: Lookup, accepted_frameworks: frozenset[str] | None
    ) -> list[Problem]:
        problems: list[Problem] = []
        rel_type = obj.get("relationship_type")
        if not isinstance(rel_type, str):
            return problems  # validation names what is wrong with it
        source_type = _type_of_id(obj.get("source_ref"))
        target_type = _type_of_id(obj.get("target_ref"))
        if source_type and target_type and rel_type not in (None, "derived-from", "duplicate-of"):
            if (source_type, rel_type, target_type) not in self.allowed_relationships:
                problems.append(
                    Problem(
                        obj_id,
                        json_path("relationship_type"),
                        f"{self.name}: {source_type} {rel_type} {target_type} is not a relationship declared by the profile",
                        self.undeclared_relationship_severity,
                    )
                )
        if rel_type == "uses" and target_type == "attack-pattern" and self.technique_framework:
            accepted = accepted_frameworks or frozenset({self.technique_framework})
            problems += self._check_technique(obj["target_ref"], obj_id, lookup, accepted)
        return problems

    def _check_technique(self, ref: str, obj_id: str | None, lookup: Lookup, accepted: frozenset[str]) -> list[Problem]:
        wanted = self.technique_framework
        assert wanted is not None  # only profiles that name a technique framework check techniques
        wanted_name = {"disarm": "DISARM", "attack": "MITRE ATT&CK"}.get(wanted, wanted)
        where = json_path("target_ref")
        target = lookup(ref)
        if target is None:
            return [
                Problem(
                    obj_id,
                    where,
                    f"{self.name}: technique {ref} cannot be resolved, so it cannot be confirmed as a {wanted_name} technique",
                    Severity.WARNING,
                )
            ]
        framework = frameworks.framework_of(target)
        tid = frameworks.technique_id(target)
        if framework is None:
            return [
                Problem(
                    obj_id,
                    where,
                    f"{self.name}: technique {ref} ({tid or 'no id'}) is not from a known framework; {wanted_name} expected",
                    Severity.WARNING,
                )
            ]
        if framework not in accepted:
            other = {"disarm": "DISARM", "attack": "MITRE ATT&CK"}[framework]
            return [
                Problem(
                    obj_id,
                    where,
                    f"{self.name}: uses must point to a {wanted_name} technique, but {ref} ({tid or 'no id'}) is a {other} technique",
                )
            ]
        if framework == wanted and self.technique_id_pattern and (tid is None or not self.technique_id_pattern.match(tid)):
            return [
                Problem(
                    obj_id,
                    where,
                    f"{self.name}: technique {ref} has id {tid!r}, expected {self.technique_id_pattern.pattern}",
                    Severity.WARNING,
                )
            ]
        return []

    def __repr__(self) -> str:
        return f"Profile({self.name!r})"


# ---------------------------------------------------------------------- module interface
@lru_cache(maxsize=1)
def _loaded() -> tuple[Profile, ...]:
    return tuple(Profile(json.loads(path.read_text(encoding="utf-8"))) for path in sorted(PROFILES_DIR.glob("*.json")))


def load_profiles() -> list[Profile]:
    return list(_loaded())


def get_profile(name: str) -> Profile:
    for profile in _loaded():
        if profile.name == name:
            return profile
    raise KeyError(name)


def published_objects() -> list[dict[str, Any]]:
    """The fimishare identity and every profile's extension-definition (fresh copies).

    The OASIS Incident Core and OpenCTI extension-definition objects are not republished here:
    they belong to their publishers and we do not hold their exact published objects.
    """
    objects = [json.loads(json.dumps(FIMISHARE_IDENTITY))]
    seen = {FIMISHARE_IDENTITY_ID}
    for profile in _loaded():
        ext_def = profile.extension_definition
        if ext_def["id"] not in seen:
            seen.add(ext_def["id"])
            objects.append(json.loads(json.dumps(ext_def)))
    return objects


@functools.cache
def _new_object_types() -> dict[str, str]:
    """Custom types the profiles define and the extension-definition that must mark them new-*."""
    result: dict[str, str] = {}
    for profile in _loaded():
        for type_name, spec in profile.types.items():
            if spec.get("new_object_extension"):
                result[type_name] = spec["new_object_extension"]
    return result


def generic_problems(obj: dict[str, Any]) -> list[Problem]:
    """Rules for every object at ingest, whatever profile it claims."""
    if not isinstance(obj, dict):
        return [Problem(None, "$", "a STIX object must be a JSON object")]
    obj_id = obj.get("id") if isinstance(obj.get("id"), str) else None
    obj_type = obj.get("type")
    if not isinstance(obj_type, str) or not obj_type:
        return [Problem(obj_id, json_path("type"), "missing or invalid type")]
    extensions: dict[str, Any] = obj["extensions"] if isinstance(obj.get("extensions"), dict) else {}
    required = _new_object_types().get(obj_type)
    if required is not None:
        ext = extensions.get(required)
        ext_type = ext.get("extension_type") if isinstance(ext, dict) else None
        if ext_type in NEW_OBJECT_EXTENSION_TYPES:
            return []
        return [
            Problem(
                obj_id,
                json_path("extensions", required),
                f"unknown type without an extension: {obj_type!r} must carry "
                f"extensions[{required!r}] with extension_type 'new-sdo' (as OpenCTI serialises it)",
            )
        ]
    if obj_type in STIX21_TYPES or obj_type.startswith("x-"):
        return []
    for ext_id, ext in extensions.items():
        if (
            isinstance(ext_id, str)
            and ext_id.startswith("extension-definition--")
            and isinstance(ext, dict)
            and ext.get("extension_type") in NEW_OBJECT_EXTENSION_TYPES
        ):
            return []
    return [
        Problem(
            obj_id,
            json_path("type"),
            f"unknown type without an extension: {obj_type!r} is not a STIX 2.1 type, has no x- prefix "
            f"and no new-sdo/new-sco/new-sro extension",
        )
    ]


def applying_profiles(obj: dict[str, Any], lookup: Lookup | None = None) -> list[Profile]:
    """The profiles that cover the object."""
    if isinstance(obj, dict) and ("extensions" in obj or obj.get("type") in _types_profiles_look_at()):
        lookup = lookup or _no_lookup
        return [profile for profile in _loaded() if profile.applies_to(obj, lookup)]
    return []


def check_object(obj: dict[str, Any], lookup: Lookup | None = None, applying: list[Profile] | None = None) -> list[Problem]:
    """Generic rule plus every profile that applies (``applying``, when already known);
    duplicates (shared extensions) are reported once."""
    lookup = lookup or _no_lookup
    problems = generic_problems(obj)
    applying = applying_profiles(obj, lookup) if applying is None else applying
    accepted = frozenset(p.technique_framework for p in applying if p.technique_framework) or None
    for profile in applying:
        problems += profile.check(obj, lookup, accepted)
    return list(dict.fromkeys(problems))


@functools.cache
def _types_profiles_look_at() -> frozenset[str]:
    """Without extensions, only these types can fall under a profile (see Profile.applies_to)."""
    return frozenset({"relationship"}.union(*(profile.owned_types for profile in _loaded())))


def check_objects(objects: Iterable[dict[str, Any]], lookup: Lookup | None = None) -> dict[str, list[Problem]]:
    """Check a bundle's objects, resolving refs within the bundle first, then through ``lookup``."""
    objects = list(objects)
    index = {o["id"]: o for o in objects if isinstance(o, dict) and isinstance(o.get("id"), str)}

    def resolve(ref: str) -> dict[str, Any] | None:
        found = index.get(ref)
        if found is None and lookup is not None:
            found = lookup(ref)
        return found

    return {o.get("id", f"#{i}") if isinstance(o, dict) else f"#{i}": check_object(o, resolve) for i, o in enumerate(objects)}
