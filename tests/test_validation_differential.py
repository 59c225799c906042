"""Our SpecValidator must give the OASIS stix2validator's verdict, object by object.

The OASIS validator is the oracle: ``validate_instance(obj, ValidationOptions(version="2.1"))``.
Where it raises instead of returning a result (malformed input that trips one
of its checks), the verdict counts as "invalid".

The shared-data differential samples the big ATT&CK/DISARM bundles
deterministically (every non-relationship object, every 5th relationship) so
the whole run stays within a couple of minutes (the oracle does ~150
objects/s); every object of the small files is compared.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from fimishare.stix_profiles.problems import ERROR, Problem
from fimishare.stix_profiles.validation import SpecValidator, default_validator

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


def oasis_verdict(obj: Any, options: ValidationOptions) -> bool:
    try:
        return bool(validate_instance(copy.deepcopy(obj), options).is_valid)
    except Exception:  # the reference raises on some malformed input: not accepted
        return False


def our_verdict(validator: SpecValidator, obj: Any) -> bool:
    return not any(p.severity == ERROR for p in validator.validate(obj))


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == ERROR]


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
def test_shared_data_verdicts_match_oasis(shared_data: Path, validator: SpecValidator, options) -> None:
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
            theirs = oasis_verdict(obj, options)
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

INDICATOR = dict(name="bad ip", pattern="[ipv4-addr:value = '198.51.100.1']", pattern_type="stix",
                 valid_from=TS, indicator_types=["malicious-activity"])
MALWARE = dict(name="x", is_family=False, malware_types=["remote-access-trojan"])
TLP_WHITE_20 = {
    "type": "marking-definition", "spec_version": "2.1",
    "id": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
    "created": "2017-01-20T00:00:00.000Z", "definition_type": "tlp", "name": "TLP:WHITE",
    "definition": {"tlp": "white"},
}

# (name, object, expected verdict, expected path of one error or None)
CASES: list[tuple[str, Any, bool, str | None]] = [
    # --- valid, some tricky
    ("valid attack-pattern", sdo("attack-pattern", name="Phishing"), True, None),
    ("valid indicator", sdo("indicator", **INDICATOR), True, None),
    ("valid malware", sdo("malware", **MALWARE), True, None),
    ("valid relationship", sdo("relationship", relationship_type="uses",
                               source_ref=f"malware--{ID}", target_ref=f"attack-pattern--{ID}"), True, None),
    ("custom relationship type is allowed", sdo("relationship", relationship_type="x-my-rel",
                                                source_ref=f"malware--{ID}", target_ref=f"attack-pattern--{ID}"), True, None),
    ("TLP marking definition", TLP_WHITE_20, True, None),
    ("custom x- SDO", sdo("x-acme-widget", name="w", x_acme_size=3), True, None),
    ("custom non-x SDO only warns", sdo("widget-thing", name="w"), True, None),
    ("custom SCO (no created/modified)", {"type": "x-acme-sco", "spec_version": "2.1",
                                         "id": f"x-acme-sco--{ID}", "value": "v"}, True, None),
    ("custom property", sdo("campaign", name="c", x_acme_note="hi", custom_prop_ok=True), True, None),
    ("timestamp with microseconds", sdo("campaign", name="c", created="2024-01-02T03:04:05.678901Z",
                                        modified="2024-01-02T03:04:05.678901Z"), True, None),
    ("modified equals created, different precision", sdo("campaign", name="c", created="2024-01-02T03:04:05.678Z",
                                                         modified="2024-01-02T03:04:05.678000Z"), True, None),
    ("valid SCO ipv4", {"type": "ipv4-addr", "spec_version": "2.1", "id": f"ipv4-addr--{ID}",
                        "value": "198.51.100.3"}, True, None),
    ("valid lang", sdo("note", content="n", object_refs=[IDENTITY], lang="en"), True, None),
    ("valid granular marking", sdo("campaign", name="c", granular_markings=[
        {"marking_ref": TLP_WHITE_20["id"], "selectors": ["name"]}]), True, None),
    ("valid capec reference", sdo("attack-pattern", name="a", external_references=[
        {"source_name": "capec", "external_id": "CAPEC-163"}]), True, None),
    ("valid extension-definition", sdo("extension-definition", name="ext", schema="https://example.com/s.json",
                                      version="1.0", extension_types=["property-extension"],
                                      created_by_ref=IDENTITY), True, None),
    ("valid language-content", sdo("language-content", object_ref=f"campaign--{ID}", object_modified=TS,
                                   contents={"de": {"name": "Kampagne"}}), True, None),
    ("valid software cpe", {"type": "software", "spec_version": "2.1", "id": f"software--{ID}", "name": "o",
                            "cpe": "cpe:2.3:a:microsoft:office:2019:*:*:*:*:*:*:*"}, True, None),
    # --- broken
    ("bad id format", sdo("campaign", name="c", id="campaign--1234"), False, "$.id"),
    ("id type mismatch", sdo("campaign", name="c", id=f"malware--{ID}"), False, "$.id"),
    ("missing name", sdo("campaign"), False, None),
    ("missing created", sdo("campaign", name="c", created=_DROP), False, None),
    ("missing spec_version", sdo("campaign", name="c", spec_version=_DROP), False, None),
    ("created not millisecond precise", sdo("campaign", name="c", created="2024-01-02T03:04:05Z",
                                            modified="2024-01-02T03:04:05Z"), False, "$.created"),
    ("modified before created", sdo("campaign", name="c", modified="2023-01-02T03:04:05.678Z"), False, "$.modified"),
    ("impossible date", sdo("campaign", name="c", created="2023-02-30T03:04:05.678Z",
                            modified="2023-02-30T03:04:05.678Z"), False, "$.created"),
    ("leap second", sdo("campaign", name="c", first_seen="2016-12-31T23:59:60Z"), False, "$.first_seen"),
    ("last_seen before first_seen", sdo("campaign", name="c", first_seen="2024-01-02T00:00:00Z",
                                        last_seen="2023-01-02T00:00:00Z"), False, "$.last_seen"),
    ("wrong spec_version", sdo("campaign", name="c", spec_version="2.2"), False, "$.spec_version"),
    ("invalid pattern", sdo("indicator", **{**INDICATOR, "pattern": "[ipv4-addr:value = '1.2.3.4'"}), False, "$.pattern"),
    ("pattern with bad property name", sdo("indicator", **{**INDICATOR, "pattern": "[ipv4-addr:Value = '1.2.3.4']"}),
     False, "$.pattern"),
    ("pattern_type not stix: not parsed", sdo("indicator", **{**INDICATOR, "pattern": "alert tcp any any",
                                                              "pattern_type": "snort"}), True, None),
    ("missing pattern_type", sdo("indicator", **{**INDICATOR, "pattern_type": _DROP}), False, None),
    ("valid_until before valid_from", sdo("indicator", **INDICATOR, valid_until="2020-01-01T00:00:00Z"),
     False, "$.valid_until"),
    ("invalid hash key", {"type": "file", "spec_version": "2.1", "id": f"file--{ID}", "name": "f",
                          "hashes": {"MD5": "zz"}}, False, None),
    ("capec without external_id", sdo("attack-pattern", name="a", external_references=[{"source_name": "capec"}]),
     False, "$.external_references[0]"),
    ("cve with bad id", sdo("vulnerability", name="v", external_references=[
        {"source_name": "cve", "external_id": "CVE-20-1"}]), False, None),
    ("external reference without any detail", sdo("campaign", name="c", external_references=[
        {"source_name": "acme"}]), False, None),
    ("external reference bad url", sdo("campaign", name="c", external_references=[
        {"source_name": "acme", "url": "not a url"}]), False, None),
    ("empty external_references", sdo("campaign", name="c", external_references=[]), False, None),
    ("marking definition missing definition", {k: v for k, v in TLP_WHITE_20.items() if k != "definition"},
     False, None),
    ("marking definition marks itself", {**TLP_WHITE_20, "object_marking_refs": [TLP_WHITE_20["id"]]},
     False, "$.object_marking_refs[0]"),
    ("granular marking selector to missing property", sdo("campaign", name="c", granular_markings=[
        {"marking_ref": TLP_WHITE_20["id"], "selectors": ["description"]}]), False,
     "$.granular_markings[0].selectors[0]"),
    ("granular marking bad index", sdo("campaign", name="c", aliases=["a"], granular_markings=[
        {"marking_ref": TLP_WHITE_20["id"], "selectors": ["aliases.[3]"]}]), False, None),
    ("bad lang", sdo("campaign", name="c", lang="klingon-xx"), False, "$.lang"),
    ("bad extension key", sdo("campaign", name="c", extensions={"not-an-ext": {"a": 1}}), False, None),
    ("extension-definition key with bad uuid", sdo("campaign", name="c", extensions={
        "extension-definition--1234": {"extension_type": "property-extension"}}), False, None),
    ("custom property name too short", sdo("campaign", name="c", ab="x"), False, None),
    ("custom property with uppercase", sdo("campaign", name="c", Xacme="x"), False, None),
    ("custom property null value", sdo("campaign", name="c", x_acme_null=None), False, None),
    ("custom property empty list", sdo("campaign", name="c", x_acme_list=[]), False, None),
    ("confidence out of range", sdo("campaign", name="c", confidence=101), False, "$.confidence"),
    ("revoked not boolean", sdo("campaign", name="c", revoked="yes"), False, "$.revoked"),
    ("bad created_by_ref", sdo("campaign", name="c", created_by_ref="identity--xyz"), False, "$.created_by_ref"),
    ("relationship missing target_ref", sdo("relationship", relationship_type="uses",
                                            source_ref=f"malware--{ID}"), False, None),
    ("relationship stop before start", sdo("relationship", relationship_type="uses", source_ref=f"malware--{ID}",
                                           target_ref=f"attack-pattern--{ID}", start_time="2024-01-02T00:00:00Z",
                                           stop_time="2024-01-01T00:00:00Z"), False, "$.stop_time"),
    ("sighting of a relationship", sdo("sighting", sighting_of_ref=f"relationship--{ID}"), False, None),
    ("malware without is_family", sdo("malware", name="m"), False, None),
    ("identity reserved property", sdo("identity", name="i", severity="high"), False, None),
    ("bad type name", sdo("Campaign_X", name="c", id=f"campaign-x--{ID}"), False, None),
    ("SCO with bad id", {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--1", "value": "1.2.3.4"},
     False, "$.id"),
    ("SCO domain-name with bad hostname", {"type": "domain-name", "spec_version": "2.1",
                                           "id": f"domain-name--{ID}", "value": "-bad_.example..com"}, False, None),
    ("email-addr bad value", {"type": "email-addr", "spec_version": "2.1", "id": f"email-addr--{ID}",
                              "value": "no-at-sign"}, False, None),
    ("process with UUIDv5 id", {"type": "process", "spec_version": "2.1",
                                "id": "process--5e9a44f5-0a5e-5f1a-9d8c-2f1f6e6b1c11", "pid": 1}, False, "$.id"),
    ("artifact with bad mime type", {"type": "artifact", "spec_version": "2.1", "id": f"artifact--{ID}",
                                     "mime_type": "application/x-not-registered-thing", "url": "https://e.com/a",
                                     "hashes": {"SHA-256": "a" * 64}}, False, "$.mime_type"),
    ("network-traffic end before start", {"type": "network-traffic", "spec_version": "2.1",
                                          "id": f"network-traffic--{ID}", "protocols": ["tcp"],
                                          "start": "2024-01-02T00:00:00Z", "end": "2024-01-01T00:00:00Z"},
     False, "$.end"),
    ("software bad cpe", {"type": "software", "spec_version": "2.1", "id": f"software--{ID}", "name": "o",
                          "cpe": "not-a-cpe"}, False, "$.cpe"),
    ("software bad language", {"type": "software", "spec_version": "2.1", "id": f"software--{ID}", "name": "o",
                               "languages": ["xx-notalang-zzz"]}, False, "$.languages[0]"),
    ("language-content bad key", sdo("language-content", object_ref=f"campaign--{ID}", object_modified=TS,
                                     contents={"xx-bogus": {"name": "n"}}), False, "$.contents.xx-bogus"),
    ("extension-definition missing schema", sdo("extension-definition", name="ext", version="1.0",
                                                extension_types=["property-extension"], created_by_ref=IDENTITY),
     False, None),
    ("timestamp with trailing newline", sdo("campaign", name="c", first_seen="2024-01-02T03:04:05Z\n"), True, None),
    ("labels not list", sdo("campaign", name="c", labels="x"), False, "$.labels"),
]


@pytest.mark.parametrize("name,obj,expected,path", CASES, ids=[c[0] for c in CASES])
def test_corpus_matches_oasis(name: str, obj: Any, expected: bool, path: str | None,
                              validator: SpecValidator, options) -> None:
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
