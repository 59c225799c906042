"""Our SpecValidator must give the OASIS stix2validator's verdict, object by object.

The OASIS validator is the oracle: ``validate_instance(obj, ValidationOptions(version="2.1"))``
for everything but a top-level STIX 2.0 object (``spec_version_of(obj) == "2.0"``,
bundles excepted), which must pass both ``version="2.0"`` on its own and
``version="2.1"`` as the member of a bundle (see ``oasis_verdict_20``).  Where it
raises instead of returning a result (malformed input that trips one of its
checks), the verdict counts as "invalid", and so must ours be.

The shared-data differential samples the big ATT&CK/DISARM bundles
deterministically (every non-relationship object, every 5th relationship) so
the whole run stays within a couple of minutes (the oracle does ~150
objects/s); every object of the small files is compared.  A STIX 2.0 object is
also judged by the reference as a bundle member where that could change the
verdict, and for every 10th object besides.
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fimishare.ingest.validation import SpecValidator, default_validator
from fimishare.stix import Problem, Severity, spec_version_of

stix2validator = pytest.importorskip("stix2validator")
from stix2validator import ValidationOptions, validate_instance  # noqa: E402

BIG_FILE = 500  # objects; above this, sample relationships
RELATIONSHIP_STRIDE = 5
MEMBER_STRIDE = 10  # STIX 2.0 objects also judged as bundle members


@pytest.fixture(scope="module")
def validator() -> SpecValidator:
    return default_validator()


@pytest.fixture(scope="module")
def options() -> ValidationOptions:
    return ValidationOptions(version="2.1", silent=True)


@pytest.fixture(scope="module")
def options_20() -> ValidationOptions:
    return ValidationOptions(version="2.0", silent=True)


def oasis_verdict(obj: Any, options: ValidationOptions) -> bool:
    try:
        return bool(validate_instance(copy.deepcopy(obj), options).is_valid)
    except Exception:  # the reference raises on some malformed input: not accepted
        return False


def oasis_crashes(obj: Any, options: ValidationOptions) -> bool:
    try:
        validate_instance(copy.deepcopy(obj), options)
    except Exception:
        return True
    return False


def in_bundle(obj: Any) -> dict:
    """A bundle of STIX 2.0 holding ``obj``: the reference validates its members by their 2.0 schemas and its 2.1 checks."""
    return {"type": "bundle", "id": f"bundle--{ID}", "spec_version": "2.0", "objects": [obj]}


def oasis_verdict_20(obj: Any, options: ValidationOptions, options_20: ValidationOptions) -> bool:
    """The verdict on a STIX 2.0 object: accepted on its own (2.0) and as the member of a bundle (2.1)."""
    return oasis_verdict(obj, options_20) and oasis_verdict(in_bundle(obj), options)


def our_verdict(validator: SpecValidator, obj: Any) -> bool:
    return not any(p.severity == Severity.ERROR for p in validator.validate(obj))


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == Severity.ERROR]


def assert_corpus_verdict(name: str, obj: Any, expected: bool, path: str | None, validator: SpecValidator, theirs: bool) -> None:
    """The reference (its verdict: ``theirs``) and we both give the verdict the corpus expects
    (so neither agreement nor the expectation can be vacuous), with an error at ``path``."""
    problems = validator.validate(obj)
    ours = not errors(problems)
    assert theirs == expected, f"OASIS says {theirs} for {name!r}; the corpus expects {expected}"
    assert ours == expected, f"we say {ours} for {name!r}: {problems}"
    if path is not None:
        assert any(p.path == path for p in errors(problems)), f"no error at {path}: {problems}"
    for p in errors(problems):
        assert p.object_id == (obj.get("id") if isinstance(obj.get("id"), str) else None)
        assert p.path.startswith("$") and p.message


# --------------------------------------------------------------------------
# shared data differential


def _stix_objects(doc: Any) -> Iterator[dict]:
    """STIX objects of a file: a bundle's objects, a single object, or the
    objects lists of a medallion data file (api root -> collections -> objects)."""
    if isinstance(doc, dict):
        if doc.get("type") == "bundle" and isinstance(doc.get("objects"), list):
            yield from (o for o in doc["objects"] if isinstance(o, dict))
            return
        if "type" in doc and "id" in doc:
            yield doc
            return
        for key, value in doc.items():
            if key == "objects" and isinstance(value, list):
                yield from (o for o in value if isinstance(o, dict) and "type" in o and "id" in o)
            else:
                yield from _stix_objects(value)
    elif isinstance(doc, list):
        for item in doc:
            yield from _stix_objects(item)


def _sample(objects: list[dict]) -> list[dict]:
    if len(objects) <= BIG_FILE:
        return objects
    out, rel = [], 0
    for obj in objects:
        if obj.get("type") == "relationship":
            if rel % RELATIONSHIP_STRIDE == 0:
                out.append(obj)
            rel += 1
        else:
            out.append(obj)
    return out


def _shared_files(root: Path) -> list[Path]:
    files = sorted((root / "attack").glob("*.json"))
    files += [root / "disarm" / "DISARM.json"]
    files += sorted((root / "oasis").rglob("*.json"))
    return [f for f in files if f.is_file()]


@pytest.mark.shared_data
def test_shared_data_verdicts_match_oasis(shared_data: Path, validator: SpecValidator, options, options_20) -> None:
    files = _shared_files(shared_data)
    assert files, "no JSON files under shared data"
    compared = members = 0
    mismatches = []
    for path in files:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
        objects = _sample(list(_stix_objects(doc)))
        for i, obj in enumerate(objects):
            ours = our_verdict(validator, obj)
            if spec_version_of(obj) == "2.0":
                theirs = oasis_verdict(obj, options_20)
                # as a bundle member too: for every 10th object, and wherever it would decide
                if theirs and (not ours or i % MEMBER_STRIDE == 0):
                    theirs = oasis_verdict(in_bundle(obj), options)
                    members += 1
            else:
                theirs = oasis_verdict(obj, options)
            compared += 1
            if ours != theirs:
                mismatches.append((path.name, obj.get("id"), ours, theirs, validator.validate(obj)[:3]))
    assert compared > 3000 and members > 500
    assert not mismatches, f"{len(mismatches)} verdict mismatches, e.g. {mismatches[:5]}"


@pytest.mark.shared_data
def test_shared_data_bundles_match_oasis(shared_data: Path, validator: SpecValidator, options) -> None:
    """Whole (small) bundles: the bundle schema plus each member object."""
    for path in sorted((shared_data / "oasis").rglob("*.json")):
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
        if isinstance(doc, dict) and doc.get("type") == "bundle":
            assert our_verdict(validator, doc) == oasis_verdict(doc, options), path.name


# --------------------------------------------------------------------------
# hand-written corpus

ID = "00000000-0000-4000-8000-000000000000"
TS = "2024-01-02T03:04:05.678Z"
IDENTITY = f"identity--{ID}"


def sdo(type_: str, **props: Any) -> dict:
    obj = {"type": type_, "spec_version": "2.1", "id": f"{type_}--{ID}", "created": TS, "modified": TS}
    obj.update(props)
    return {k: v for k, v in obj.items() if v is not _DROP}


_DROP = object()

INDICATOR = dict(
    name="bad ip", pattern="[ipv4-addr:value = '198.51.100.1']", pattern_type="stix", valid_from=TS, indicator_types=["malicious-activity"]
)
MALWARE = dict(name="x", is_family=False, malware_types=["remote-access-trojan"])
TLP_WHITE_20 = {
    "type": "marking-definition",
    "spec_version": "2.1",
    "id": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
    "created": "2017-01-20T00:00:00.000Z",
    "definition_type": "tlp",
    "name": "TLP:WHITE",
    "definition": {"tlp": "white"},
}

IPV4 = {"type": "ipv4-addr", "spec_version": "2.1", "id": f"ipv4-addr--{ID}", "value": "198.51.100.3"}


def observed(objects: dict) -> dict:
    return sdo("observed-data", first_observed=TS, last_observed=TS, number_observed=1, objects=objects)


# (name, object, expected verdict, expected path of one error or None)
CASES: list[tuple[str, Any, bool, str | None]] = [
    # --- valid, some tricky
    ("valid attack-pattern", sdo("attack-pattern", name="Phishing"), True, None),
    ("valid indicator", sdo("indicator", **INDICATOR), True, None),
    ("valid malware", sdo("malware", **MALWARE), True, None),
    (
        "valid relationship",
        sdo("relationship", relationship_type="uses", source_ref=f"malware--{ID}", target_ref=f"attack-pattern--{ID}"),
        True,
        None,
    ),
    (
        "custom relationship type is allowed",
        sdo("relationship", relationship_type="x-my-rel", source_ref=f"malware--{ID}", target_ref=f"attack-pattern--{ID}"),
        True,
        None,
    ),
    ("TLP marking definition", TLP_WHITE_20, True, None),
    ("custom x- SDO", sdo("x-acme-widget", name="w", x_acme_size=3), True, None),
    ("custom non-x SDO only warns", sdo("widget-thing", name="w"), True, None),
    (
        "custom SCO (no created/modified)",
        {"type": "x-acme-sco", "spec_version": "2.1", "id": f"x-acme-sco--{ID}", "value": "v"},
        True,
        None,
    ),
    ("custom property", sdo("campaign", name="c", x_acme_note="hi", custom_prop_ok=True), True, None),
    (
        "timestamp with microseconds",
        sdo("campaign", name="c", created="2024-01-02T03:04:05.678901Z", modified="2024-01-02T03:04:05.678901Z"),
        True,
        None,
    ),
    (
        "modified equals created, different precision",
        sdo("campaign", name="c", created="2024-01-02T03:04:05.678Z", modified="2024-01-02T03:04:05.678000Z"),
        True,
        None,
    ),
    ("valid SCO ipv4", {"type": "ipv4-addr", "spec_version": "2.1", "id": f"ipv4-addr--{ID}", "value": "198.51.100.3"}, True, None),
    ("valid lang", sdo("note", content="n", object_refs=[IDENTITY], lang="en"), True, None),
    (
        "valid granular marking",
        sdo("campaign", name="c", granular_markings=[{"marking_ref": TLP_WHITE_20["id"], "selectors": ["name"]}]),
        True,
        None,
    ),
    (
        "valid capec reference",
        sdo("attack-pattern", name="a", external_references=[{"source_name": "capec", "external_id": "CAPEC-163"}]),
        True,
        None,
    ),
    (
        "valid extension-definition",
        sdo(
            "extension-definition",
            name="ext",
            schema="https://example.com/s.json",
            version="1.0",
            extension_types=["property-extension"],
            created_by_ref=IDENTITY,
        ),
        True,
        None,
    ),
    (
        "valid language-content",
        sdo("language-content", object_ref=f"campaign--{ID}", object_modified=TS, contents={"de": {"name": "Kampagne"}}),
        True,
        None,
    ),
    (
        "valid software cpe",
        {
            "type": "software",
            "spec_version": "2.1",
            "id": f"software--{ID}",
            "name": "o",
            "cpe": "cpe:2.3:a:microsoft:office:2019:*:*:*:*:*:*:*",
        },
        True,
        None,
    ),
    # --- broken
    ("bad id format", sdo("campaign", name="c", id="campaign--1234"), False, "$.id"),
    ("id type mismatch", sdo("campaign", name="c", id=f"malware--{ID}"), False, "$.id"),
    ("missing name", sdo("campaign"), False, None),
    ("missing created", sdo("campaign", name="c", created=_DROP), False, None),
    ("missing spec_version and created", sdo("campaign", name="c", spec_version=_DROP, created=_DROP, modified=_DROP), False, None),
    (
        "created not millisecond precise",
        sdo("campaign", name="c", created="2024-01-02T03:04:05Z", modified="2024-01-02T03:04:05Z"),
        False,
        "$.created",
    ),
    ("modified before created", sdo("campaign", name="c", modified="2023-01-02T03:04:05.678Z"), False, "$.modified"),
    (
        "impossible date",
        sdo("campaign", name="c", created="2023-02-30T03:04:05.678Z", modified="2023-02-30T03:04:05.678Z"),
        False,
        "$.created",
    ),
    ("leap second", sdo("campaign", name="c", first_seen="2016-12-31T23:59:60Z"), False, "$.first_seen"),
    (
        "last_seen before first_seen",
        sdo("campaign", name="c", first_seen="2024-01-02T00:00:00Z", last_seen="2023-01-02T00:00:00Z"),
        False,
        "$.last_seen",
    ),
    ("wrong spec_version", sdo("campaign", name="c", spec_version="2.2"), False, "$.spec_version"),
    ("invalid pattern", sdo("indicator", **{**INDICATOR, "pattern": "[ipv4-addr:value = '1.2.3.4'"}), False, "$.pattern"),
    ("pattern with bad property name", sdo("indicator", **{**INDICATOR, "pattern": "[ipv4-addr:Value = '1.2.3.4']"}), False, "$.pattern"),
    (
        "pattern_type not stix: not parsed",
        sdo("indicator", **{**INDICATOR, "pattern": "alert tcp any any", "pattern_type": "snort"}),
        True,
        None,
    ),
    ("missing pattern_type", sdo("indicator", **{**INDICATOR, "pattern_type": _DROP}), False, None),
    ("valid_until before valid_from", sdo("indicator", **INDICATOR, valid_until="2020-01-01T00:00:00Z"), False, "$.valid_until"),
    ("invalid hash key", {"type": "file", "spec_version": "2.1", "id": f"file--{ID}", "name": "f", "hashes": {"MD5": "zz"}}, False, None),
    (
        "capec without external_id",
        sdo("attack-pattern", name="a", external_references=[{"source_name": "capec"}]),
        False,
        "$.external_references[0]",
    ),
    (
        "cve with bad id",
        sdo("vulnerability", name="v", external_references=[{"source_name": "cve", "external_id": "CVE-20-1"}]),
        False,
        None,
    ),
    ("external reference without any detail", sdo("campaign", name="c", external_references=[{"source_name": "acme"}]), False, None),
    (
        "external reference bad url",
        sdo("campaign", name="c", external_references=[{"source_name": "acme", "url": "not a url"}]),
        False,
        None,
    ),
    ("empty external_references", sdo("campaign", name="c", external_references=[]), False, None),
    ("marking definition missing definition", {k: v for k, v in TLP_WHITE_20.items() if k != "definition"}, False, None),
    ("marking definition marks itself", {**TLP_WHITE_20, "object_marking_refs": [TLP_WHITE_20["id"]]}, False, "$.object_marking_refs[0]"),
    (
        "granular marking selector to missing property",
        sdo("campaign", name="c", granular_markings=[{"marking_ref": TLP_WHITE_20["id"], "selectors": ["description"]}]),
        False,
        "$.granular_markings[0].selectors[0]",
    ),
    (
        "granular marking bad index",
        sdo("campaign", name="c", aliases=["a"], granular_markings=[{"marking_ref": TLP_WHITE_20["id"], "selectors": ["aliases.[3]"]}]),
        False,
        None,
    ),
    ("bad lang", sdo("campaign", name="c", lang="klingon-xx"), False, "$.lang"),
    ("bad extension key", sdo("campaign", name="c", extensions={"not-an-ext": {"a": 1}}), False, None),
    (
        "extension-definition key with bad uuid",
        sdo("campaign", name="c", extensions={"extension-definition--1234": {"extension_type": "property-extension"}}),
        False,
        None,
    ),
    ("custom property name too short", sdo("campaign", name="c", ab="x"), False, None),
    ("custom property with uppercase", sdo("campaign", name="c", Xacme="x"), False, None),
    ("custom property null value", sdo("campaign", name="c", x_acme_null=None), False, None),
    ("custom property empty list", sdo("campaign", name="c", x_acme_list=[]), False, None),
    ("confidence out of range", sdo("campaign", name="c", confidence=101), False, "$.confidence"),
    ("revoked not boolean", sdo("campaign", name="c", revoked="yes"), False, "$.revoked"),
    ("bad created_by_ref", sdo("campaign", name="c", created_by_ref="identity--xyz"), False, "$.created_by_ref"),
    ("relationship missing target_ref", sdo("relationship", relationship_type="uses", source_ref=f"malware--{ID}"), False, None),
    (
        "relationship stop before start",
        sdo(
            "relationship",
            relationship_type="uses",
            source_ref=f"malware--{ID}",
            target_ref=f"attack-pattern--{ID}",
            start_time="2024-01-02T00:00:00Z",
            stop_time="2024-01-01T00:00:00Z",
        ),
        False,
        "$.stop_time",
    ),
    ("sighting of a relationship", sdo("sighting", sighting_of_ref=f"relationship--{ID}"), False, None),
    ("malware without is_family", sdo("malware", name="m"), False, None),
    ("identity reserved property", sdo("identity", name="i", severity="high"), False, None),
    ("bad type name", sdo("Campaign_X", name="c", id=f"campaign-x--{ID}"), False, None),
    ("SCO with bad id", {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--1", "value": "1.2.3.4"}, False, "$.id"),
    (
        "SCO domain-name with bad hostname",
        {"type": "domain-name", "spec_version": "2.1", "id": f"domain-name--{ID}", "value": "-bad_.example..com"},
        False,
        None,
    ),
    ("email-addr bad value", {"type": "email-addr", "spec_version": "2.1", "id": f"email-addr--{ID}", "value": "no-at-sign"}, False, None),
    (
        "process with UUIDv5 id",
        {"type": "process", "spec_version": "2.1", "id": "process--5e9a44f5-0a5e-5f1a-9d8c-2f1f6e6b1c11", "pid": 1},
        False,
        "$.id",
    ),
    (
        "artifact with bad mime type",
        {
            "type": "artifact",
            "spec_version": "2.1",
            "id": f"artifact--{ID}",
            "mime_type": "application/x-not-registered-thing",
            "url": "https://e.com/a",
            "hashes": {"SHA-256": "a" * 64},
        },
        False,
        "$.mime_type",
    ),
    (
        "network-traffic end before start",
        {
            "type": "network-traffic",
            "spec_version": "2.1",
            "id": f"network-traffic--{ID}",
            "protocols": ["tcp"],
            "start": "2024-01-02T00:00:00Z",
            "end": "2024-01-01T00:00:00Z",
        },
        False,
        "$.end",
    ),
    (
        "software bad cpe",
        {"type": "software", "spec_version": "2.1", "id": f"software--{ID}", "name": "o", "cpe": "not-a-cpe"},
        False,
        "$.cpe",
    ),
    (
        "software bad language",
        {"type": "software", "spec_version": "2.1", "id": f"software--{ID}", "name": "o", "languages": ["xx-notalang-zzz"]},
        False,
        "$.languages[0]",
    ),
    (
        "language-content bad key",
        sdo("language-content", object_ref=f"campaign--{ID}", object_modified=TS, contents={"xx-bogus": {"name": "n"}}),
        False,
        "$.contents.xx-bogus",
    ),
    (
        "extension-definition missing schema",
        sdo("extension-definition", name="ext", version="1.0", extension_types=["property-extension"], created_by_ref=IDENTITY),
        False,
        None,
    ),
    ("timestamp with trailing newline", sdo("campaign", name="c", first_seen="2024-01-02T03:04:05Z\n"), True, None),
    ("labels not list", sdo("campaign", name="c", labels="x"), False, "$.labels"),
    # --- issue 12: the schemas' regexes mean what Python's re makes of them (\d is any decimal digit, "." all but \n)
    (
        "capec id with an Arabic-Indic digit",
        sdo("attack-pattern", name="a", external_references=[{"source_name": "capec", "external_id": "CAPEC-\u0663"}]),
        True,
        None,
    ),
    (
        "cve id with fullwidth digits",
        sdo("vulnerability", name="v", external_references=[{"source_name": "cve", "external_id": "CVE-\uff12\uff10\uff12\uff14-12345"}]),
        True,
        None,
    ),
    (
        "cve id with a superscript digit (not a decimal digit)",
        sdo("vulnerability", name="v", external_references=[{"source_name": "cve", "external_id": "CVE-2024-1234\u00b2"}]),
        False,
        None,
    ),
    *((f"observed-data objects key with {end!r}", observed({f"0{end}": IPV4}), True, None) for end in ("\r", "\u2028", "\u2029", "\x85")),
    *(
        (f"observed-data objects key with {end!r}, observable invalid", observed({f"0{end}": {**IPV4, "x": 1}}), False, None)
        for end in ("\r", "\u2028", "\u2029", "\x85")
    ),
    ("timestamp ending in \\r", sdo("campaign", name="c", first_seen="2024-01-02T03:04:05Z\r"), False, "$.first_seen"),
    # --- issue 12: what the reference cannot judge (it raises) is rejected, with the path of the value it trips on
    ("SCO with a custom objects holding an observable without id", {**IPV4, "objects": {"0": {"type": "file"}}}, False, "$.objects.0"),
    ("SCO with a custom objects that is a list", {**IPV4, "objects": [IPV4]}, False, "$.objects"),
    (
        "SCO with a custom objects whose observable has an object id and earns a warning",
        {**IPV4, "objects": {"0": {"type": "network-traffic", "id": {"a": 1}}}},
        False,
        "$.objects.0.id",
    ),
    ("SCO with a custom objects of valid observables", {**IPV4, "objects": {"0": IPV4}}, True, None),
    ("STIX-shaped dict in a custom list, id a number", sdo("campaign", name="c", x_acme_list=[{"type": "malware", "id": 5}]), False, None),
    (
        "STIX-shaped dict in a custom list, vocabulary of numbers",
        sdo("campaign", name="c", x_acme_list=[{"type": "malware", "id": "malware--x", "malware_types": [5]}]),
        False,
        "$.x_acme_list[0].malware_types[0]",
    ),
    (
        "STIX-shaped dict in a custom list, kill chain phase without phase_name",
        sdo("campaign", name="c", x_acme_list=[{"type": "tool", "id": "x", "kill_chain_phases": [{"kill_chain_name": "a"}]}]),
        False,
        "$.x_acme_list[0].kill_chain_phases[0]",
    ),
    (
        "STIX-shaped dict in a custom list, country a number",
        sdo("campaign", name="c", x_acme_list=[{"type": "location", "id": "location--x", "country": 7}]),
        False,
        "$.x_acme_list[0].country",
    ),
    (
        "STIX-shaped dict in a custom list, extension not an object",
        sdo("campaign", name="c", x_acme_list=[{"type": "x-thing", "id": "x", "extensions": {"x-ext": 5}}]),
        False,
        "$.x_acme_list[0].extensions.x-ext",
    ),
    (
        "STIX-shaped dict in a custom list the reference judges",
        sdo("campaign", name="c", x_acme_list=[{"type": "campaign", "id": "c"}]),
        True,
        None,
    ),
    (
        "pattern_version 2.0 with EXISTS as a path step (a 2.1 keyword)",
        sdo("indicator", **{**INDICATOR, "pattern": "[file:extensions.EXISTS = 'a']", "pattern_version": "2.0"}),
        False,
        "$.pattern",
    ),
    ("pattern_version 2.0 with a pattern both grammars read", sdo("indicator", **INDICATOR, pattern_version="2.0"), True, None),
    ("a lone surrogate in a description", sdo("campaign", name="c", description="a\ud800b"), True, None),
    ("a lone surrogate after a custom property name", sdo("campaign", name="c", **{"x_acme\udc00": 1}), True, None),
    ("a lone surrogate in a custom property name", sdo("campaign", name="c", **{"x_\udc00": 1}), False, None),
]


@pytest.mark.parametrize("name,obj,expected,path", CASES, ids=[c[0] for c in CASES])
def test_corpus_matches_oasis(name: str, obj: Any, expected: bool, path: str | None, validator: SpecValidator, options) -> None:
    assert spec_version_of(obj) != "2.0", "the STIX 2.0 corpus is below"
    assert_corpus_verdict(name, obj, expected, path, validator, oasis_verdict(obj, options))


def test_corpus_is_large_enough() -> None:
    assert sum(1 for c in CASES if not c[2]) >= 40


def test_bundle_members_are_validated(validator: SpecValidator, options) -> None:
    good = sdo("campaign", name="c")
    bad = sdo("campaign", name="c", created="2024-01-02T03:04:05Z")
    bundle = {"type": "bundle", "id": f"bundle--{ID}", "objects": [good, bad]}
    assert oasis_verdict(bundle, options) is False
    problems = errors(validator.validate(bundle))
    assert problems and any(p.path.startswith("$.objects[1]") for p in problems)
    ok = {"type": "bundle", "id": f"bundle--{ID}", "objects": [good]}
    assert oasis_verdict(ok, options) is True
    assert not errors(validator.validate(ok))


def test_not_an_object(validator: SpecValidator) -> None:
    assert errors(validator.validate({"type": "campaign"}))
    assert errors(validator.validate([]))  # type: ignore[arg-type]


def test_default_validator_is_cached() -> None:
    assert default_validator() is default_validator()


# --------------------------------------------------------------------------
# STIX 2.0: a top-level object whose spec_version_of is "2.0" gets the reference's version="2.0" verdict

STIX20_EXAMPLES = Path(stix2validator.__file__).parent / "schemas-2.0" / "examples"
MEDALLION_STIX20_COLLECTION = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"


def _stix20_example_bundles() -> list[dict]:
    bundles = []
    for path in sorted(STIX20_EXAMPLES.rglob("*.json")):
        with open(path, encoding="utf-8") as fh:
            bundles.append(json.load(fh))
    return bundles


def test_stix20_examples_match_oasis(validator: SpecValidator, options, options_20) -> None:
    objects = [obj for bundle in _stix20_example_bundles() for obj in _stix_objects(bundle) if spec_version_of(obj) == "2.0"]
    assert len(objects) > 200
    verdicts = [(obj, our_verdict(validator, obj), oasis_verdict_20(obj, options, options_20)) for obj in objects]
    mismatches = [(obj["id"], ours, theirs) for obj, ours, theirs in verdicts if ours != theirs]
    assert not mismatches, f"{len(mismatches)} verdict mismatches, e.g. {mismatches[:5]}"
    assert all(ours for _, ours, _ in verdicts), "the OASIS examples are valid STIX 2.0, on their own and as bundle members"


def test_stix20_example_bundles_are_still_judged_as_2_1_bundles(validator: SpecValidator, options) -> None:
    bundles = _stix20_example_bundles()
    assert bundles and all(b["type"] == "bundle" and b["spec_version"] == "2.0" for b in bundles)
    for bundle in bundles:
        assert our_verdict(validator, bundle) == oasis_verdict(bundle, options), bundle["id"]


@pytest.mark.shared_data
def test_medallion_stix20_object_matches_oasis(shared_data: Path, validator: SpecValidator, options_20) -> None:
    with open(shared_data / "oasis" / "medallion_default_data.json", encoding="utf-8") as fh:
        doc = json.load(fh)
    collection = next(c for c in doc["trustgroup1"]["collections"] if c["id"] == MEDALLION_STIX20_COLLECTION)
    stix20 = [obj for obj in collection["objects"] if spec_version_of(obj) == "2.0"]
    assert [obj["type"] for obj in stix20] == ["malware"]
    malware = stix20[0]
    # written with 2.1 properties (malware_types, is_family) but no spec_version:
    # as STIX 2.0 it lacks the labels 2.0 requires
    assert oasis_verdict(malware, options_20) is False
    problems = errors(validator.validate(malware))
    assert any("labels" in p.message for p in problems), problems


def sdo20(type_: str, **props: Any) -> dict:
    obj = {"type": type_, "id": f"{type_}--{ID}", "created": TS, "modified": TS}
    obj.update(props)
    return {k: v for k, v in obj.items() if v is not _DROP}


def observed20(objects: dict, **props: Any) -> dict:
    return sdo20("observed-data", **{"first_observed": TS, "last_observed": TS, "number_observed": 1, "objects": objects, **props})


INDICATOR_20 = dict(labels=["malicious-activity"], pattern="[ipv4-addr:value = '198.51.100.1']", valid_from=TS)
TLP_WHITE_STIX20 = {
    "type": "marking-definition",
    "id": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
    "created": "2017-01-20T00:00:00.000Z",
    "definition_type": "tlp",
    "definition": {"tlp": "white"},
}
STATEMENT_20 = {
    "type": "marking-definition",
    "id": f"marking-definition--{ID}",
    "created": TS,
    "definition_type": "statement",
    "definition": {"statement": "Copyright Acme"},
}
OBSERVABLES_20 = {
    "0": {
        "type": "file",
        "name": "a.exe",
        "name_enc": "UTF-8",
        "parent_directory_ref": "1",
        "hashes": {"MD5": "d41d8cd98f00b204e9800998ecf8427e"},
        "created": "2016-01-01T00:00:00Z",
        "extensions": {"windows-pebinary-ext": {"pe_type": "exe", "time_date_stamp": "2016-01-01T00:00:00Z"}},
    },
    "1": {"type": "directory", "path": "C:\\tmp", "path_enc": "UTF-8", "contains_refs": ["0"]},
    "2": {"type": "artifact", "mime_type": "application/zip", "payload_bin": "aGVsbG8="},
    "3": {"type": "software", "name": "w", "languages": ["eng"], "cpe": "cpe:2.3:a:acme:widget:1.0:*:*:*:*:*:*:*"},
    "4": {"type": "email-addr", "value": "a@example.com"},
    "5": {"type": "email-message", "is_multipart": False, "date": "2016-01-01T00:00:00Z", "from_ref": "4"},
    "6": {"type": "x-acme-thing", "x_acme_value": "v"},
}
PE_EXT = "windows-pebinary-ext"

# (name, object, expected verdict, expected path of one error or None)
CASES_20: list[tuple[str, Any, bool, str | None]] = [
    # --- valid, some of them invalid as 2.1
    ("indicator", sdo20("indicator", **INDICATOR_20), True, None),
    ("malware", sdo20("malware", name="m", labels=["remote-access-trojan"]), True, None),
    ("TLP marking definition", TLP_WHITE_STIX20, True, None),
    ("statement marking definition", STATEMENT_20, True, None),
    (
        "TLP marking definition without definition: the 2.0 schema's TLP branch allows it",
        {k: v for k, v in TLP_WHITE_STIX20.items() if k != "definition"},
        True,
        None,
    ),
    # (as bundle members the 2.1 checks raise on observables without ids: the reference cannot judge it)
    ("observed-data with observables that have no ids", observed20(OBSERVABLES_20), False, "$.objects.0"),
    ("valid_until equal to valid_from (2.0 allows it, 2.1 wants later)", sdo20("indicator", **INDICATOR_20, valid_until=TS), False, None),
    ("first_seen precise to the second", sdo20("campaign", name="c", first_seen="2016-01-01T00:00:00Z"), True, None),
    ("explicit spec_version 2.0", sdo20("campaign", name="c", spec_version="2.0"), True, None),
    ("custom x- SDO", sdo20("x-acme-widget", name="w", x_acme_size=3), True, None),
    ("custom non-x SDO", sdo20("widget-thing", name="w"), True, None),
    ("custom property", sdo20("campaign", name="c", x_acme_note="hi"), True, None),
    (
        "pattern with x-<source>-<name> type and x_<source>_<name> property",
        sdo20("indicator", **{**INDICATOR_20, "pattern": "[x-acme-thing:value = 'a'] AND [file:x_acme_note = 'b']"}),
        True,
        None,
    ),
    ("no lang rule in 2.0, but the 2.1 rule for bundle members", sdo20("campaign", name="c", lang="klingon-xx"), False, "$.lang"),
    ("a valid lang", sdo20("campaign", name="c", lang="ja"), True, None),
    (
        "no cpe rule outside observables in 2.0, but the 2.1 rule for bundle members",
        sdo20("tool", name="t", labels=["remote-access"], cpe="see cpe:2.3:a:acme:widget:1.0:*:*:*:*:*:*:*"),
        False,
        "$.cpe",
    ),
    ("a valid cpe", sdo20("tool", name="t", labels=["remote-access"], cpe="cpe:2.3:a:acme:widget:1.0:*:*:*:*:*:*:*"), True, None),
    ("valid_until after valid_from", sdo20("indicator", **INDICATOR_20, valid_until="2025-01-02T03:04:05.678Z"), True, None),
    ("tool", sdo20("tool", name="t", labels=["remote-access"]), True, None),
    ("identity", sdo20("identity", name="i", identity_class="organization", sectors=["government-national"]), True, None),
    ("report", sdo20("report", name="r", labels=["threat-report"], published=TS, object_refs=[IDENTITY]), True, None),
    ("relationship", sdo20("relationship", relationship_type="uses", source_ref=f"malware--{ID}", target_ref=f"tool--{ID}"), True, None),
    ("sighting", sdo20("sighting", sighting_of_ref=f"indicator--{ID}", count=2), True, None),
    ("threat actor", sdo20("threat-actor", name="a", labels=["nation-state"], roles=["agent"]), True, None),
    (
        "attack pattern with a kill chain phase",
        sdo20("attack-pattern", name="a", kill_chain_phases=[{"kill_chain_name": "mitre-attack", "phase_name": "x"}]),
        True,
        None,
    ),
    (
        "STIX-shaped dict in a custom list",
        sdo20("campaign", name="c", x_acme_list=[{"type": "malware", "id": 5}]),
        False,
        "$.x_acme_list[0].id",
    ),
    (
        "no network-traffic end/start rule in 2.0 (and observed-data cannot be judged as a bundle member)",
        observed20(
            {
                "0": {"type": "ipv4-addr", "value": "198.51.100.1"},
                "1": {
                    "type": "network-traffic",
                    "src_ref": "0",
                    "protocols": ["tcp"],
                    "start": "2016-01-02T00:00:00Z",
                    "end": "2016-01-01T00:00:00Z",
                },
            }
        ),
        False,
        "$.objects.0",
    ),
    # --- schema differences from 2.1
    (
        "2.1 indicator shape: no labels",
        sdo20("indicator", pattern=INDICATOR_20["pattern"], valid_from=TS, pattern_type="stix", indicator_types=["malicious-activity"]),
        False,
        None,
    ),
    ("2.1 malware shape: no labels", sdo20("malware", name="m", is_family=False, malware_types=["remote-access-trojan"]), False, None),
    (
        "pattern_type does not exempt a pattern",
        sdo20("indicator", **{**INDICATOR_20, "pattern": "alert tcp any any", "pattern_type": "snort"}),
        False,
        "$.pattern",
    ),
    (
        "created precise to the second",
        sdo20("campaign", name="c", created="2016-01-01T00:00:00Z", modified="2016-01-01T00:00:00Z"),
        False,
        "$.created",
    ),
    (
        "created precise to the microsecond",
        sdo20("campaign", name="c", created="2016-01-01T00:00:00.000001Z", modified="2016-01-01T00:00:00.000001Z"),
        False,
        "$.created",
    ),
    ("statement marking definition without definition", {k: v for k, v in STATEMENT_20.items() if k != "definition"}, False, None),
    ("TLP marking definition with a name", {**TLP_WHITE_STIX20, "name": "TLP:WHITE"}, False, None),
    ("TLP marking definition with another id", {**TLP_WHITE_STIX20, "id": f"marking-definition--{ID}"}, False, None),
    ("observable with an id", observed20({"0": {"type": "ipv4-addr", "id": f"ipv4-addr--{ID}", "value": "198.51.100.1"}}), False, None),
    ("software language in RFC 5646 form", observed20({"0": {"type": "software", "name": "w", "languages": ["en"]}}), False, None),
    ("identity without identity_class", sdo20("identity", name="i"), False, None),
    ("report without published", sdo20("report", name="r", labels=["threat-report"], object_refs=[IDENTITY]), False, None),
    ("custom property name too short", sdo20("campaign", name="c", ab="x"), False, None),
    ("relationship without target_ref", sdo20("relationship", relationship_type="uses", source_ref=f"malware--{ID}"), False, None),
    # --- MUST rules
    (
        "impossible created date",
        sdo20("campaign", name="c", created="2017-02-30T00:00:00.000Z", modified="2017-03-01T00:00:00.000Z"),
        False,
        "$.created",
    ),
    (
        "impossible published date",
        sdo20("report", name="r", labels=["threat-report"], object_refs=[IDENTITY], published="2017-02-30T00:00:00Z"),
        False,
        "$.published",
    ),
    ("modified before created", sdo20("campaign", name="c", modified="2016-01-01T00:00:00.000Z"), False, "$.modified"),
    (
        "last_seen before first_seen",
        sdo20("campaign", name="c", first_seen="2016-01-02T00:00:00Z", last_seen="2016-01-01T00:00:00Z"),
        False,
        "$.last_seen",
    ),
    ("valid_until before valid_from", sdo20("indicator", **INDICATOR_20, valid_until="2016-01-01T00:00:00Z"), False, "$.valid_until"),
    (
        "sighting last_seen before first_seen",
        sdo20("sighting", sighting_of_ref=f"indicator--{ID}", first_seen="2016-01-02T00:00:00Z", last_seen="2016-01-01T00:00:00Z"),
        False,
        "$.last_seen",
    ),
    (
        "last_observed before first_observed",
        observed20({"0": {"type": "ipv4-addr", "value": "198.51.100.1"}}, last_observed="2016-01-01T00:00:00Z"),
        False,
        "$.last_observed",
    ),
    (
        "impossible observable date",
        observed20({**OBSERVABLES_20, "5": {**OBSERVABLES_20["5"], "date": "2016-02-30T00:00:00Z"}}),
        False,
        "$.objects.5.date",
    ),
    (
        "impossible observable extension date",
        observed20(
            {
                "0": {**OBSERVABLES_20["0"], "extensions": {PE_EXT: {"pe_type": "exe", "time_date_stamp": "2016-02-30T00:00:00Z"}}},
                "1": OBSERVABLES_20["1"],
            }
        ),
        False,
        f"$.objects.0.extensions.{PE_EXT}.time_date_stamp",
    ),
    (
        "unresolved observable reference",
        observed20({"1": {**OBSERVABLES_20["1"], "contains_refs": ["9"]}}),
        False,
        "$.objects.1.contains_refs",
    ),
    (
        "observable reference to the wrong type",
        observed20({"0": {"type": "ipv4-addr", "value": "198.51.100.1"}, "1": OBSERVABLES_20["1"]}),
        False,
        "$.objects.1.contains_refs",
    ),
    (
        "unregistered artifact mime_type",
        observed20({"2": {**OBSERVABLES_20["2"], "mime_type": "application/x-nope"}}),
        False,
        "$.objects.2.mime_type",
    ),
    (
        "unregistered directory path_enc",
        observed20({"1": {"type": "directory", "path": "/tmp", "path_enc": "NOPE-8"}}),
        False,
        "$.objects.1.path_enc",
    ),
    ("unregistered file name_enc", observed20({"0": {"type": "file", "name": "a", "name_enc": "NOPE-8"}}), False, "$.objects.0.name_enc"),
    (
        "software language not ISO 639-2",
        observed20({"3": {"type": "software", "name": "w", "languages": ["zzz"]}}),
        False,
        "$.objects.3.languages[0]",
    ),
    (
        "observable cpe not CPE 2.3",
        observed20({"3": {"type": "software", "name": "w", "cpe": "see cpe:2.3:a:acme:widget:1.0:*:*:*:*:*:*:*"}}),
        False,
        "$.objects.3.cpe",
    ),
    ("marking definition marks itself", {**STATEMENT_20, "object_marking_refs": [STATEMENT_20["id"]]}, False, "$.object_marking_refs[0]"),
    (
        "marking definition marks itself granularly",
        {**STATEMENT_20, "granular_markings": [{"marking_ref": STATEMENT_20["id"], "selectors": ["definition_type"]}]},
        False,
        "$.granular_markings[0].marking_ref",
    ),
    (
        "granular marking selector to a missing property",
        sdo20("campaign", name="c", granular_markings=[{"marking_ref": TLP_WHITE_STIX20["id"], "selectors": ["description"]}]),
        False,
        "$.granular_markings[0].selectors[0]",
    ),
    (
        "granular marking selector past a list's end",
        sdo20(
            "campaign", name="c", aliases=["a"], granular_markings=[{"marking_ref": TLP_WHITE_STIX20["id"], "selectors": ["aliases.[3]"]}]
        ),
        False,
        "$.granular_markings[0].selectors[0]",
    ),
    ("invalid pattern", sdo20("indicator", **{**INDICATOR_20, "pattern": "[ipv4-addr:value = '198.51.100.1'"}), False, "$.pattern"),
    ("pattern with a bad property name", sdo20("indicator", **{**INDICATOR_20, "pattern": "[file:Name = 'a']"}), False, "$.pattern"),
    ("pattern with custom type x-<name>", sdo20("indicator", **{**INDICATOR_20, "pattern": "[x-thing:value = 'a']"}), False, "$.pattern"),
    ("pattern with custom type not x-", sdo20("indicator", **{**INDICATOR_20, "pattern": "[acme-thing:value = 'a']"}), False, "$.pattern"),
    (
        "pattern with custom property not x_<source>_",
        sdo20("indicator", **{**INDICATOR_20, "pattern": "[file:acme_note = 'a']"}),
        False,
        "$.pattern",
    ),
]


@pytest.mark.parametrize("name,obj,expected,path", CASES_20, ids=[c[0] for c in CASES_20])
def test_stix20_corpus_matches_oasis(
    name: str, obj: Any, expected: bool, path: str | None, validator: SpecValidator, options, options_20
) -> None:
    assert spec_version_of(obj) == "2.0"
    assert_corpus_verdict(name, obj, expected, path, validator, oasis_verdict_20(obj, options, options_20))


def test_stix20_corpus_is_large_enough() -> None:
    assert sum(1 for c in CASES_20 if c[2]) >= 15
    assert sum(1 for c in CASES_20 if not c[2]) >= 35


def test_sdo_without_spec_version_is_judged_as_stix20(validator: SpecValidator, options, options_20) -> None:
    campaign = sdo("campaign", name="c", spec_version=_DROP)
    assert oasis_verdict(campaign, options) is False  # 2.1 requires spec_version
    assert oasis_verdict(campaign, options_20) is True
    assert our_verdict(validator, campaign) is True
    indicator = sdo("indicator", **INDICATOR, spec_version=_DROP)
    assert oasis_verdict(indicator, options_20) is False
    assert any("labels" in p.message for p in errors(validator.validate(indicator)))


def test_sco_without_spec_version_is_still_judged_as_stix21(validator: SpecValidator, options, options_20) -> None:
    address = {"type": "ipv4-addr", "id": f"ipv4-addr--{ID}", "value": "198.51.100.3"}
    assert spec_version_of(address) == "2.1"
    assert oasis_verdict(address, options) is True
    assert oasis_verdict(address, options_20) is False  # 2.0 observables have no id
    assert our_verdict(validator, address) is True
    traffic = {
        "type": "network-traffic",
        "id": f"network-traffic--{ID}",
        "protocols": ["tcp"],
        "start": "2024-01-02T00:00:00Z",
        "end": "2024-01-01T00:00:00Z",
    }
    assert oasis_verdict(traffic, options) is False
    assert any(p.path == "$.end" for p in errors(validator.validate(traffic)))  # a MUST rule only 2.1 has


STIX20_MEMBERS = [
    ("lang", sdo20("campaign", name="c", lang="klingon-xx"), "$.lang"),
    ("valid_until equal to valid_from", sdo20("indicator", **INDICATOR_20, valid_until=TS), "$.valid_until"),
    ("malformed cpe", sdo20("tool", name="t", labels=["remote-access"], cpe="see cpe:2.3:a:acme:widget:1.0:*:*:*:*:*:*:*"), "$.cpe"),
]


@pytest.mark.parametrize("rule,member,path", STIX20_MEMBERS, ids=[m[0] for m in STIX20_MEMBERS])
def test_stix20_bundle_members_get_the_2_1_must_checks(
    rule: str, member: dict, path: str, validator: SpecValidator, options, options_20
) -> None:
    """Issue 12: the reference fails a bundle holding such a member, so ingest, which takes a
    bundle's members one by one, must refuse the member on its own too."""
    for bundle_version in (None, "2.0", "2.1"):
        bundle = {"type": "bundle", "id": f"bundle--{ID}", "objects": [member]}
        if bundle_version:
            bundle["spec_version"] = bundle_version
        assert oasis_verdict(bundle, options) is False  # the reference runs the 2.1 rules on members
        assert any(p.path == f"$.objects[0]{path[1:]}" for p in errors(validator.validate(bundle)))
    assert oasis_verdict(member, options_20) is True  # on its own STIX 2.0 has no such rule
    assert any(p.path == path for p in errors(validator.validate(member)))


# --------------------------------------------------------------------------
# issue 12: every schema regular expression means on jsonschema-rs what it means to Python's re.search


def _schema_regexes() -> set[str]:
    from fimishare.ingest.validation import schema_root

    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key == "pattern" and isinstance(value, str):
                    found.add(value)
                elif key == "patternProperties" and isinstance(value, dict):
                    found.update(value)
                    walk(value)
                elif key not in ("examples", "default", "const", "enum", "description", "title"):
                    walk(value)

    for version in ("2.0", "2.1"):
        for path in schema_root(version).rglob("*.json"):
            if "examples" not in path.parts:
                walk(json.loads(path.read_text(encoding="utf-8")))
    return found


PROBE_BASES = [
    "",
    "0",
    "a",
    "x",
    "CAPEC-163",
    "CVE-2024-12345",
    "CVE-2024-0123",
    "2024-01-02T03:04:05.678Z",
    "2024-01-02T03:04:05Z",
    "T03:04:05.678Z",
    f"campaign--{ID}",
    f"marking-definition--{ID}",
    f"extension-definition--{ID}",
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
    "relationship--1",
    "198.51.100.1",
    "198.51.100.0/24",
    "2001:db8::1",
    "00:11:22:33:44:55",
    "a@example.com",
    "https://example.com/a?b=1",
    "application/zip",
    "MD5",
    "SHA-256",
    "d41d8cd98f00b204e9800998ecf8427e",
    "a" * 64,
    "aGVsbG8=",
    "ab12",
    "uses",
    "x-acme-ext",
    "ntfs-ext",
    "x_acme_note",
    "name",
    "aliases.[0]",
    "id",
    "HKLM\\Software",
    "cpe:2.3:a:microsoft:office:2019:*:*:*:*:*:*:*",
    "en",
    "en-US",
    "eng",
    "SO_KEEPALIVE",
    "cmd.exe /c dir",
    "--verbose x=1",
    "statement",
    "tlp",
    "x-acme-widget",
    "File_Name",
    "a" * 251,
]


def _probes() -> list[str]:
    """The bases, and each with other decimal digits, line ends and spaces where Python's re and ECMA-262 differ."""
    out = set(PROBE_BASES)
    for base in PROBE_BASES:
        digits = [i for i, c in enumerate(base) if c.isascii() and c.isdigit()]
        for zero in (0x0660, 0xFF10, 0x0966, 0x1D7CE):
            if digits:
                i = digits[-1]
                out.add(base[:i] + chr(zero + int(base[i])) + base[i + 1 :])
                out.add("".join(chr(zero + int(c)) if c.isascii() and c.isdigit() else c for c in base))
        for odd in ("\n", "\r", "\r\n", "\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\xa0", "\ufeff", "\u3000", "\t", " "):
            out.update((base + odd, odd + base, base[:1] + odd + base[1:]))
        out.update((base.upper(), base + "\u00e9", base + "\u00b2", base + "\U0001f600"))
    return sorted(out)


def test_every_schema_regex_matches_as_pythons_re() -> None:
    import re

    import jsonschema_rs

    from fimishare.ingest.validation import _python_regex

    regexes = _schema_regexes()
    probes = _probes()
    short = [probe for probe in probes if len(probe) <= 12]
    assert len(regexes) > 100 and len(probes) > 1500
    differences = []
    for pattern in sorted(regexes):
        compiled = jsonschema_rs.validator_for({"type": "string", "pattern": _python_regex(pattern)})
        python = re.compile(pattern)
        # a group that ends in * and repeats (the 2.1 type name's "([a-z][a-z0-9]*)+") takes Python's
        # re exponential time on a long run of letters that fails to match: short probes only
        for probe in short if re.search(r"\*\)[*+]", pattern) else probes:
            if compiled.is_valid(probe) != bool(python.search(probe)):
                differences.append((pattern, probe))
    assert not differences, f"{len(differences)} differences, e.g. {differences[:5]}"


# what Python's re makes of constructs the OASIS schemas do not use (yet), and the probes that tell
REGEX_CONSTRUCTS = [
    r"^\d+$",
    r"^\D$",
    r"^\w+$",
    r"^\W$",
    r"^\s$",
    r"^\S$",
    r"^[\d]$",
    r"^[^\d]$",
    r"^[\D]$",
    r"^[\w-]+$",
    r"^[^\s=]+$",
    r"^.$",
    r"^.*$",
    r"^a$",
    r"x$",
    r"^[]a]$",
    r"^[^]a]$",
    r"^a{,2}$",
    r"^a{2$",
    r"^a{}$",
    r"^a{2,}?$",
    r"^\bé",
    r"é\b",
    r"\Bé",
    r"^\x41\u0042\U00000043$",
    r"^\101$",
    r"^\0$",
    r"^[\b]$",
    "^\\\u00e9$",
    r"^[\d-]$",
    r"^[-\d]$",
    r"^\Z",
    r"^a\Z",
    r"\Aa",
    r"^(?P<x>a)(?#comment)$",
    r"^(a)\1$",
    r"^[a&&b]$",
    r"^[a~~b]$",
    r"^a}$",
    r"^a]$",
    r"^\N{DIGIT ONE}$",
    r"^\.$",
    r"^[.]$",
    r"^a+?$",
    r"^a??b$",
    r"^\t\n\r\f\v\a$",
    r"[\s\S]",
    r"^(?=\d)\w+$",
    r"(?<!\d)x",
    r"^[$]$",
    r"^\$$",
    r"^[\1]$",
    r"^[\12]$",
]
REGEX_PROBES = [
    *("", "a", "aa", "\n", "a\n", "\r", "\u2028", "\u2029", "\x85", "\x1c", "\ufeff", "\xa0", " ", "\t\n\r\f\v\x07", "$"),
    *("\u0663", "\uff12", "\U0001d7ce", "\u0966x", "\u00b2", "\u2160", "\u3000", "\u200b", "\U00020000", "\U0001f600"),
    *("é", " é", "aé", "é ", "x", "1", "A", "ABC", "\x00", "\x08", "]", "[", "&", "~", "-", "{", "}", "a{2", "a{}", "a{,2}"),
    *(".", "_", "\u0663x", "3x", "a}", "a]", "b", "ab", "a\r", "x\n", "a-b", "x=1"),
]


@pytest.mark.parametrize("pattern", REGEX_CONSTRUCTS)
def test_regex_constructs_mean_what_they_mean_to_pythons_re(pattern: str) -> None:
    import re

    import jsonschema_rs

    from fimishare.ingest.validation import _python_regex

    compiled = jsonschema_rs.validator_for({"type": "string", "pattern": _python_regex(pattern)})
    with pytest.warns() if re.search(r"\[(\[|a&&|a~~)", pattern) else contextlib.nullcontext():
        python = re.compile(pattern)
    differences = [probe for probe in REGEX_PROBES if compiled.is_valid(probe) != bool(python.search(probe))]
    assert not differences, f"{pattern!r} differs on {differences}"


@pytest.mark.parametrize(
    "pattern", [r"^a*+$", r"(?i)a", r"(?s).", r"(?>a)", "a\\", r"\q", "[a", r"(?(1)a|b)", r"[\8]", r"\N{NO SUCH NAME}"]
)
def test_regex_constructs_that_cannot_be_carried_over_are_refused(pattern: str) -> None:
    from fimishare.ingest.validation import _python_regex

    with pytest.raises(ValueError):
        _python_regex(pattern)
