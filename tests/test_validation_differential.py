"""Our SpecValidator must give the OASIS stix2validator's verdict, object by object.

The OASIS validator is the oracle: ``validate_instance(obj, ValidationOptions(version="2.0"))``
for a top-level STIX 2.0 object (``spec_version_of(obj) == "2.0"``, bundles
excepted) and ``version="2.1"`` for everything else.  Where it raises instead
of returning a result (malformed input that trips one of its checks), the
verdict counts as "invalid".

The shared-data differential samples the big ATT&CK/DISARM bundles
deterministically (every non-relationship object, every 5th relationship) so
the whole run stays within a couple of minutes (the oracle does ~150
objects/s); every object of the small files is compared.
"""

from __future__ import annotations

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


def our_verdict(validator: SpecValidator, obj: Any) -> bool:
    return not any(p.severity == Severity.ERROR for p in validator.validate(obj))


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == Severity.ERROR]


def assert_corpus_verdict(
    name: str, obj: Any, expected: bool, path: str | None, validator: SpecValidator, options: ValidationOptions
) -> None:
    """The reference and we both give the verdict the corpus expects (so neither
    agreement nor the expectation can be vacuous), with an error at ``path``."""
    theirs = oasis_verdict(obj, options)
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
    compared = 0
    mismatches = []
    for path in files:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
        objects = _sample(list(_stix_objects(doc)))
        for obj in objects:
            ours = our_verdict(validator, obj)
            theirs = oasis_verdict(obj, options_20 if spec_version_of(obj) == "2.0" else options)
            compared += 1
            if ours != theirs:
                mismatches.append((path.name, obj.get("id"), ours, theirs, validator.validate(obj)[:3]))
    assert compared > 3000
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
]


@pytest.mark.parametrize("name,obj,expected,path", CASES, ids=[c[0] for c in CASES])
def test_corpus_matches_oasis(name: str, obj: Any, expected: bool, path: str | None, validator: SpecValidator, options) -> None:
    assert spec_version_of(obj) != "2.0", "the STIX 2.0 corpus is below"
    assert_corpus_verdict(name, obj, expected, path, validator, options)


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


def test_stix20_examples_match_oasis(validator: SpecValidator, options_20) -> None:
    objects = [obj for bundle in _stix20_example_bundles() for obj in _stix_objects(bundle) if spec_version_of(obj) == "2.0"]
    assert len(objects) > 200
    verdicts = [(obj["id"], our_verdict(validator, obj), oasis_verdict(obj, options_20)) for obj in objects]
    mismatches = [v for v in verdicts if v[1] != v[2]]
    assert not mismatches, f"{len(mismatches)} verdict mismatches, e.g. {mismatches[:5]}"
    assert all(ours for _, ours, _ in verdicts), "the OASIS examples are valid STIX 2.0"


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
    ("observed-data with observables that have no ids", observed20(OBSERVABLES_20), True, None),
    ("valid_until equal to valid_from (2.1 wants later)", sdo20("indicator", **INDICATOR_20, valid_until=TS), True, None),
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
    ("no lang rule in 2.0", sdo20("campaign", name="c", lang="klingon-xx"), True, None),
    (
        "no cpe rule outside observables in 2.0",
        sdo20("tool", name="t", labels=["remote-access"], cpe="see cpe:2.3:a:acme:widget:1.0:*:*:*:*:*:*:*"),
        True,
        None,
    ),
    (
        "no network-traffic end/start rule in 2.0",
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
        True,
        None,
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
def test_stix20_corpus_matches_oasis(name: str, obj: Any, expected: bool, path: str | None, validator: SpecValidator, options_20) -> None:
    assert spec_version_of(obj) == "2.0"
    assert_corpus_verdict(name, obj, expected, path, validator, options_20)


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


def test_stix20_bundle_members_get_the_2_1_must_checks(validator: SpecValidator, options, options_20) -> None:
    member = sdo20("campaign", name="c", lang="klingon-xx")
    bundle = {"type": "bundle", "id": f"bundle--{ID}", "spec_version": "2.0", "objects": [member]}
    assert oasis_verdict(bundle, options) is False  # the reference runs the 2.1 lang rule on members
    assert oasis_verdict(bundle, options_20) is True
    assert any(p.path == "$.objects[0].lang" for p in errors(validator.validate(bundle)))
    assert our_verdict(validator, member) is True  # on its own it is STIX 2.0, which has no lang rule
