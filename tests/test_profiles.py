import copy
import json

import pytest
from stix2validator import ValidationOptions, validate_instance

from fimishare.stix import Severity, TLP_2_0_EXTENSION, TLP_GREEN
from fimishare.stix_profiles import frameworks
from fimishare.stix import json_path
from fimishare.stix_profiles.profiles import (
    CYBER_EXTENSION,
    FIMI_EXTENSION,
    FIMISHARE_IDENTITY_ID,
    INCIDENT_CORE_EXTENSION,
    OPENCTI_EXTENSION,
    check_object,
    check_objects,
    get_profile,
    load_profiles,
    published_objects,
)

T = "2025-03-10T09:00:00.000Z"
PARTNER = "identity--5a1c7a3e-0f36-4d5e-9a55-3f4a1c8e2b10"
MARKING = [TLP_GREEN]

TLP_GREEN_OBJECT = {
    "type": "marking-definition",
    "spec_version": "2.1",
    "id": TLP_GREEN,
    "created": "2022-10-01T00:00:00.000Z",
    "name": "TLP:GREEN",
    "extensions": {TLP_2_0_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": "green"}},
}


def sdo(type_, uuid, **props):
    obj = {
        "type": type_,
        "spec_version": "2.1",
        "id": f"{type_}--{uuid}",
        "created": T,
        "modified": T,
        "created_by_ref": PARTNER,
        "object_marking_refs": MARKING,
    }
    obj.update(props)
    return obj


def rel(uuid, source, rel_type, target):
    return sdo("relationship", uuid, relationship_type=rel_type, source_ref=source["id"], target_ref=target["id"])


def technique(uuid, creator, external_id, name, url):
    return {
        "type": "attack-pattern",
        "spec_version": "2.1",
        "id": f"attack-pattern--{uuid}",
        "created": "2024-11-22T16:43:58.079Z",
        "modified": "2024-11-22T16:43:58.079Z",
        "created_by_ref": creator,
        "name": name,
        "external_references": [{"source_name": "mitre-attack", "external_id": external_id, "url": url}],
    }


DISARM_T0002 = technique("70717452-f7e3-4ce8-956f-39a4d34c5cfb", frameworks.DISARM_IDENTITY, "T0002",
                         "Facilitate State Propaganda",
                         "https://github.com/DISARMFoundation/DISARMframeworks/blob/main/generated_pages/techniques/T0002.md")
DISARM_T0085_001 = technique("6a3d5c2b-1f4e-4b7a-9c8d-0e1f2a3b4c5d", frameworks.DISARM_IDENTITY, "T0085.001",
                             "Develop AI-Generated Text",
                             "https://github.com/DISARMFoundation/DISARMframeworks/blob/main/generated_pages/techniques/T0085.001.md")
ATTACK_T1566_001 = technique("2e34237d-8574-43f6-aace-ae2915de8597", frameworks.MITRE_IDENTITY, "T1566.001",
                             "Spearphishing Attachment", "https://attack.mitre.org/techniques/T1566/001")


def fimi_bundle():
    partner = {
        "type": "identity", "spec_version": "2.1", "id": PARTNER, "created": T, "modified": T,
        "name": "Example EU partner", "identity_class": "organization", "object_marking_refs": MARKING,
    }
    japan = sdo("location", "0b7c3d9e-2a4f-4c61-8e5d-7f1a2b3c4d5e", name="Japan", country="JP")
    incident = sdo(
        "incident", "8e2f1c4a-6b3d-4e5f-a7c8-9d0e1f2a3b4c",
        name="Coordinated inauthentic network amplifying a fabricated Fukushima water story",
        description="Network of accounts amplifying fabricated claims about ALPS treated water.",
        lang="en",
        extensions={
            INCIDENT_CORE_EXTENSION: {
                "extension_type": "property-extension",
                "determination": "successful-attempt",
                "investigation_status": "open",
                "criticality": 60,
                "detection_methods": ["human-review"],
            },
            FIMI_EXTENSION: {
                "extension_type": "property-extension",
                "target_countries": ["JP", "KR", "DE"],
                "target_audiences": ["Japanese fishing communities", "South Korean public"],
                "languages": ["ja", "ko", "zh-Hans", "en-GB"],
                "platforms": ["x", "facebook", "line", "website"],
                "cooperation_areas": ["hybrid-fimi", "maritime"],
            },
        },
    )
    channel = sdo(
        "channel", "1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b",
        name="example-news.invalid",
        description="Look-alike news site republishing state media content.",
        channel_types=["website"],
        aliases=["Example News"],
        lang="ja",
        extensions={
            OPENCTI_EXTENSION: {"extension_type": "new-sdo"},
            FIMI_EXTENSION: {
                "extension_type": "property-extension",
                "exposure_category": "state-linked",
                "exposure_confidence": 70,
                "languages": ["ja"],
                "platforms": ["website"],
            },
        },
    )
    narrative = sdo(
        "narrative", "2a3b4c5d-6e7f-4809-9a1b-2c3d4e5f6a7b",
        name="Treated water release poisons the Pacific",
        narrative_types=["environment"],
        aliases=["ocean poisoning"],
        extensions={OPENCTI_EXTENSION: {"extension_type": "new-sdo"}},
    )
    subnarrative = sdo(
        "narrative", "3b4c5d6e-7f80-4912-8b2c-3d4e5f6a7b8c",
        name="Japanese seafood is contaminated",
        description="Sub-narrative targeting seafood exports.",
        extensions={OPENCTI_EXTENSION: {"extension_type": "new-sdo"}},
    )
    relationships = [
        rel("a0000000-0000-4000-8000-000000000001", incident, "uses", DISARM_T0002),
        rel("a0000000-0000-4000-8000-000000000002", incident, "uses", DISARM_T0085_001),
        rel("a0000000-0000-4000-8000-000000000003", incident, "uses", channel),
        rel("a0000000-0000-4000-8000-000000000004", incident, "uses", narrative),
        rel("a0000000-0000-4000-8000-000000000005", channel, "related-to", narrative),
        rel("a0000000-0000-4000-8000-000000000006", subnarrative, "subnarrative-of", narrative),
        rel("a0000000-0000-4000-8000-000000000007", incident, "targets", japan),
    ]
    disarm_identity = {
        "type": "identity", "spec_version": "2.1", "id": frameworks.DISARM_IDENTITY,
        "created": "2024-11-22T16:43:58.073Z", "modified": "2024-11-22T16:43:58.073Z",
        "name": "DISARM Foundation", "identity_class": "organization",
    }
    return [TLP_GREEN_OBJECT, partner, disarm_identity, DISARM_T0002, DISARM_T0085_001, japan, incident, channel,
            narrative, subnarrative, *relationships]


def cyber_bundle():
    partner = {
        "type": "identity", "spec_version": "2.1", "id": PARTNER, "created": T, "modified": T,
        "name": "Example EU partner", "identity_class": "organization", "sectors": ["government-national"],
        "object_marking_refs": MARKING,
    }
    mitre = {
        "type": "identity", "spec_version": "2.1", "id": frameworks.MITRE_IDENTITY,
        "created": "2017-06-01T00:00:00.000Z", "modified": "2017-06-01T00:00:00.000Z",
        "name": "The MITRE Corporation", "identity_class": "organization",
    }
    malware = sdo("malware", "4c5d6e7f-8091-4a2b-8c3d-4e5f6a7b8c9d", name="ExampleRAT", is_family=True,
                  malware_types=["remote-access-trojan"])
    tool = sdo("tool", "5d6e7f80-91a2-4b3c-9d4e-5f6a7b8c9d0e", name="Cobalt Strike", tool_types=["remote-access"])
    infrastructure = sdo("infrastructure", "6e7f8091-a2b3-4c4d-8e5f-6a7b8c9d0e1f", name="C2 server",
                         infrastructure_types=["command-and-control"])
    indicator = sdo(
        "indicator", "7f8091a2-b3c4-4d5e-9f6a-7b8c9d0e1f2a",
        name="C2 address", pattern="[ipv4-addr:value = '198.51.100.7']", pattern_type="stix",
        valid_from=T, indicator_types=["malicious-activity"],
        extensions={CYBER_EXTENSION: {"extension_type": "property-extension", "cooperation_areas": ["cyber"]}},
    )
    sighting = sdo(
        "sighting", "8091a2b3-c4d5-4e6f-8a7b-8c9d0e1f2a3b",
        sighting_of_ref=indicator["id"], where_sighted_refs=[PARTNER], count=3,
        first_seen=T, last_seen=T,
        extensions={CYBER_EXTENSION: {"extension_type": "property-extension", "target_countries": ["JP"]}},
    )
    incident = sdo(
        "incident", "91a2b3c4-d5e6-4f7a-9b8c-9d0e1f2a3b4c",
        name="Spearphishing against a ministry",
        extensions={
            INCIDENT_CORE_EXTENSION: {
                "extension_type": "property-extension",
                "determination": "blocked",
                "investigation_status": "closed",
                "recoverability": "regular",
            },
            CYBER_EXTENSION: {
                "extension_type": "property-extension",
                "impact": "minimal",
                "sectors": ["government-national", "defense"],
                "target_countries": ["JP", "BE"],
                "cooperation_areas": ["cyber", "defence-industry"],
            },
        },
    )
    relationships = [
        rel("b0000000-0000-4000-8000-000000000001", incident, "uses", ATTACK_T1566_001),
        rel("b0000000-0000-4000-8000-000000000002", incident, "uses", malware),
        rel("b0000000-0000-4000-8000-000000000003", incident, "uses", tool),
        rel("b0000000-0000-4000-8000-000000000004", indicator, "indicates", malware),
        rel("b0000000-0000-4000-8000-000000000005", malware, "uses", infrastructure),
        rel("b0000000-0000-4000-8000-000000000006", incident, "targets", partner),
    ]
    return [TLP_GREEN_OBJECT, partner, mitre, ATTACK_T1566_001, malware, tool, infrastructure, indicator, sighting,
            incident, *relationships]


def index(objects):
    return {o["id"]: o for o in objects}


def lookup_in(objects):
    idx = index(objects)
    return idx.get


def by_id(objects, prefix):
    return next(o for o in objects if o["id"].startswith(prefix))


def errors(problems):
    return [p for p in problems if p.severity == Severity.ERROR]


def assert_stix_valid(obj):
    result = validate_instance(obj, ValidationOptions(version="2.1"))
    assert result.is_valid, (obj["id"], [str(e) for e in result.errors])


# ---------------------------------------------------------------- complete bundles


@pytest.mark.parametrize("make", [fimi_bundle, cyber_bundle], ids=["fimi", "cyber"])
def test_complete_bundle_is_valid_stix_and_has_no_profile_problems(make):
    objects = make()
    for obj in objects:
        assert_stix_valid(obj)
    results = check_objects(objects)
    assert {oid: [str(p) for p in ps] for oid, ps in results.items() if ps} == {}


def test_profiles_apply_to_what_claims_them():
    fimi, cyber = get_profile("fimi-incident"), get_profile("cyber-incident")
    objects = fimi_bundle()
    lookup = lookup_in(objects)
    incident = by_id(objects, "incident--")
    assert fimi.applies_to(incident) and not cyber.applies_to(incident)
    assert fimi.applies_to(by_id(objects, "channel--")) and fimi.applies_to(by_id(objects, "narrative--"))
    uses = next(o for o in objects if o.get("relationship_type") == "uses" and o["target_ref"] == DISARM_T0002["id"])
    assert fimi.applies_to(uses, lookup)
    assert not fimi.applies_to(uses)  # without a lookup the source cannot be known
    assert not fimi.applies_to(DISARM_T0002)
    c_objects = cyber_bundle()
    assert cyber.applies_to(by_id(c_objects, "incident--")) and not fimi.applies_to(by_id(c_objects, "incident--"))
    assert {p.name for p in load_profiles()} == {"fimi-incident", "cyber-incident"}


# ---------------------------------------------------------------- published objects


def test_published_extension_definitions_are_valid_stix():
    objects = published_objects()
    assert objects[0]["id"] == FIMISHARE_IDENTITY_ID
    ext_defs = {o["id"]: o for o in objects if o["type"] == "extension-definition"}
    assert set(ext_defs) == {FIMI_EXTENSION, CYBER_EXTENSION}
    for obj in objects:
        assert_stix_valid(obj)
    for ext_def in ext_defs.values():
        assert ext_def["created_by_ref"] == FIMISHARE_IDENTITY_ID
        assert ext_def["extension_types"] == ["property-extension"]
        assert ext_def["created"].endswith(".000Z") and ext_def["modified"].endswith(".000Z")
        schema = json.loads(ext_def["schema"])
        assert "$defs" in schema and "incident" in schema["$defs"]
    fimi_schema = json.loads(ext_defs[FIMI_EXTENSION]["schema"])["$defs"]
    assert fimi_schema["channel"]["properties"]["exposure_category"]["enum"] == [
        "official-state-channel", "state-controlled", "state-linked", "state-aligned", "unattributed"]
    assert "cooperation_areas" in fimi_schema["incident"]["required"]
    # each call returns copies
    objects[1]["name"] = "changed"
    assert published_objects()[1]["name"] != "changed"


def test_published_schema_accepts_the_example_extension():
    jsonschema = pytest.importorskip("jsonschema")
    ext_def = next(o for o in published_objects() if o["id"] == FIMI_EXTENSION)
    schema = json.loads(ext_def["schema"])
    incident = by_id(fimi_bundle(), "incident--")
    sub = dict(schema["$defs"]["incident"])
    jsonschema.validate(incident["extensions"][FIMI_EXTENSION], sub)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"extension_type": "property-extension", "cooperation_areas": ["sport"]}, sub)


# ---------------------------------------------------------------- broken variants


def problems_for(objects, obj):
    return check_object(obj, lookup_in(objects))


def assert_error(problems, path, *words):
    matching = [p for p in errors(problems) if p.path == path]
    assert matching, f"no error at {path}: {[str(p) for p in problems]}"
    text = " ".join(p.message for p in matching)
    for word in words:
        assert word in text, (word, text)


def test_missing_determination():
    objects = fimi_bundle()
    incident = by_id(objects, "incident--")
    del incident["extensions"][INCIDENT_CORE_EXTENSION]["determination"]
    assert_error(problems_for(objects, incident), json_path("extensions", INCIDENT_CORE_EXTENSION, "determination"),
                 "determination")


def test_bad_determination_value_in_cyber_incident():
    objects = cyber_bundle()
    incident = by_id(objects, "incident--")
    incident["extensions"][INCIDENT_CORE_EXTENSION]["determination"] = "confirmed"
    assert_error(problems_for(objects, incident), json_path("extensions", INCIDENT_CORE_EXTENSION, "determination"),
                 "confirmed")


def test_missing_incident_core_extension():
    objects = fimi_bundle()
    incident = by_id(objects, "incident--")
    del incident["extensions"][INCIDENT_CORE_EXTENSION]
    assert_error(problems_for(objects, incident), json_path("extensions", INCIDENT_CORE_EXTENSION), "Incident Core")


def test_bad_cooperation_area():
    objects = fimi_bundle()
    incident = by_id(objects, "incident--")
    incident["extensions"][FIMI_EXTENSION]["cooperation_areas"] = ["hybrid-fimi", "sport"]
    assert_error(problems_for(objects, incident), json_path("extensions", FIMI_EXTENSION, "cooperation_areas", 1),
                 "'sport'")


def test_bad_cooperation_area_in_cyber_profile():
    objects = cyber_bundle()
    incident = by_id(objects, "incident--")
    incident["extensions"][CYBER_EXTENSION]["cooperation_areas"] = ["cyber-issues"]
    assert_error(problems_for(objects, incident), json_path("extensions", CYBER_EXTENSION, "cooperation_areas", 0))


def test_missing_cooperation_areas():
    objects = fimi_bundle()
    incident = by_id(objects, "incident--")
    del incident["extensions"][FIMI_EXTENSION]["cooperation_areas"]
    assert_error(problems_for(objects, incident), json_path("extensions", FIMI_EXTENSION, "cooperation_areas"))


def test_bad_exposure_category():
    objects = fimi_bundle()
    channel = by_id(objects, "channel--")
    channel["extensions"][FIMI_EXTENSION]["exposure_category"] = "state-sponsored"
    assert_error(problems_for(objects, channel), json_path("extensions", FIMI_EXTENSION, "exposure_category"),
                 "state-sponsored")


@pytest.mark.parametrize("value", [101, -1, 70.5, "70"])
def test_exposure_confidence_out_of_range(value):
    objects = fimi_bundle()
    channel = by_id(objects, "channel--")
    channel["extensions"][FIMI_EXTENSION]["exposure_confidence"] = value
    assert_error(problems_for(objects, channel), json_path("extensions", FIMI_EXTENSION, "exposure_confidence"))


def test_bad_country_code():
    objects = fimi_bundle()
    incident = by_id(objects, "incident--")
    incident["extensions"][FIMI_EXTENSION]["target_countries"] = ["JP", "XX", "jp"]
    problems = problems_for(objects, incident)
    assert_error(problems, json_path("extensions", FIMI_EXTENSION, "target_countries", 1), "ISO 3166")
    assert_error(problems, json_path("extensions", FIMI_EXTENSION, "target_countries", 2), "ISO 3166")
    assert not [p for p in problems if p.path.endswith("target_countries[0]")]


def test_eu_is_accepted_with_a_warning():
    objects = fimi_bundle()
    incident = by_id(objects, "incident--")
    incident["extensions"][FIMI_EXTENSION]["target_countries"] = ["EU"]
    problems = problems_for(objects, incident)
    assert not errors(problems)
    assert [p.severity for p in problems] == [Severity.WARNING]


def test_bad_language_tags():
    objects = fimi_bundle()
    incident = by_id(objects, "incident--")
    incident["lang"] = "ja_JP"
    incident["extensions"][FIMI_EXTENSION]["languages"] = ["ja", "Japanese language"]
    problems = problems_for(objects, incident)
    assert_error(problems, "$.lang", "BCP 47")
    assert_error(problems, json_path("extensions", FIMI_EXTENSION, "languages", 1), "BCP 47")


def test_unknown_platform_is_only_a_warning():
    objects = fimi_bundle()
    incident = by_id(objects, "incident--")
    incident["extensions"][FIMI_EXTENSION]["platforms"] = ["x", "myspace"]
    problems = problems_for(objects, incident)
    assert not errors(problems)
    assert [p.path for p in problems] == [json_path("extensions", FIMI_EXTENSION, "platforms", 1)]


def test_undeclared_property_in_closed_extension():
    objects = fimi_bundle()
    incident = by_id(objects, "incident--")
    incident["extensions"][FIMI_EXTENSION]["exposure_category"] = "state-linked"  # channel-only property
    assert_error(problems_for(objects, incident), json_path("extensions", FIMI_EXTENSION, "exposure_category"))


def test_fimi_uses_attack_technique_is_an_error():
    objects = fimi_bundle() + [ATTACK_T1566_001]
    incident = by_id(objects, "incident--")
    uses = rel("a0000000-0000-4000-8000-0000000000ff", incident, "uses", ATTACK_T1566_001)
    assert_error(problems_for(objects, uses), "$.target_ref", "DISARM", "T1566.001")


def test_fimi_uses_unresolvable_technique_is_a_warning():
    objects = fimi_bundle()
    incident = by_id(objects, "incident--")
    uses = rel("a0000000-0000-4000-8000-0000000000fe", incident, "uses",
               {"id": "attack-pattern--00000000-0000-4000-8000-000000000000"})
    problems = problems_for(objects, uses)
    assert not errors(problems)
    assert [(p.path, p.severity) for p in problems] == [("$.target_ref", Severity.WARNING)]


def test_cyber_uses_disarm_technique_is_an_error():
    objects = cyber_bundle() + [DISARM_T0002]
    incident = by_id(objects, "incident--")
    uses = rel("b0000000-0000-4000-8000-0000000000ff", incident, "uses", DISARM_T0002)
    assert_error(problems_for(objects, uses), "$.target_ref", "MITRE ATT&CK", "T0002")


def test_ics_attack_technique_with_t0_id_is_still_attack():
    ics = technique("3b2c1d0e-4f5a-4b6c-8d7e-9f0a1b2c3d4e", frameworks.MITRE_IDENTITY, "T0817", "Drive-by Compromise",
                    "https://attack.mitre.org/techniques/T0817")
    objects = fimi_bundle() + [ics]
    uses = rel("a0000000-0000-4000-8000-0000000000fd", by_id(objects, "incident--"), "uses", ics)
    assert_error(problems_for(objects, uses), "$.target_ref", "MITRE ATT&CK")
    c_objects = cyber_bundle() + [ics]
    uses = rel("b0000000-0000-4000-8000-0000000000fd", by_id(c_objects, "incident--"), "uses", ics)
    assert problems_for(c_objects, uses) == []


def test_undeclared_relationship_is_a_warning():
    objects = fimi_bundle()
    narrative = by_id(objects, "narrative--")
    odd = rel("a0000000-0000-4000-8000-0000000000fc", narrative, "subnarrative-of", by_id(objects, "channel--"))
    problems = problems_for(objects, odd)
    assert [(p.path, p.severity) for p in problems] == [("$.relationship_type", Severity.WARNING)]


def test_unknown_type_without_extension():
    obj = sdo("disinfo-post", "c0000000-0000-4000-8000-000000000001", name="post")
    problems = check_object(obj, lambda _id: None)
    assert_error(problems, "$.type", "unknown type without an extension", "disinfo-post")


def test_custom_types_allowed_with_prefix_or_new_sdo_extension():
    x_type = sdo("x-fimishare-note", "c0000000-0000-4000-8000-000000000002", name="n")
    assert check_object(x_type, lambda _id: None) == []
    new_sdo = sdo("event", "c0000000-0000-4000-8000-000000000003", name="Election",
                  extensions={OPENCTI_EXTENSION: {"extension_type": "new-sdo"}})
    assert check_object(new_sdo, lambda _id: None) == []
    for obj in (by_id(fimi_bundle(), "incident--"), TLP_GREEN_OBJECT):
        assert errors(check_object(obj, lambda _id: None)) == []


@pytest.mark.parametrize("variant", ["no-extensions", "property-extension", "other-extension"])
def test_channel_without_opencti_extension(variant):
    objects = fimi_bundle()
    channel = copy.deepcopy(by_id(objects, "channel--"))
    if variant == "no-extensions":
        del channel["extensions"]
    elif variant == "property-extension":
        channel["extensions"][OPENCTI_EXTENSION] = {"extension_type": "property-extension"}
    else:
        del channel["extensions"][OPENCTI_EXTENSION]
        channel["extensions"]["extension-definition--11111111-2222-4333-8444-555555555555"] = {
            "extension_type": "new-sdo"}
    assert_error(problems_for(objects, channel), json_path("extensions", OPENCTI_EXTENSION),
                 "unknown type without an extension", "channel")


def test_narrative_without_opencti_extension():
    objects = fimi_bundle()
    narrative = by_id(objects, "narrative--")
    del narrative["extensions"]
    assert_error(problems_for(objects, narrative), json_path("extensions", OPENCTI_EXTENSION), "narrative")


def test_channel_without_exposure_extension_is_a_warning_and_name_required():
    objects = fimi_bundle()
    channel = by_id(objects, "channel--")
    del channel["extensions"][FIMI_EXTENSION]
    problems = problems_for(objects, channel)
    assert [(p.path, p.severity) for p in problems] == [(json_path("extensions", FIMI_EXTENSION), Severity.WARNING)]
    del channel["name"]
    assert_error(problems_for(objects, channel), "$.name")


def test_cyber_sighting_refs():
    # (patterns are the spec validator's: tests/test_validation_differential.py)
    objects = cyber_bundle()
    sighting = by_id(objects, "sighting--")
    sighting["where_sighted_refs"] = [PARTNER, "malware--4c5d6e7f-8091-4a2b-8c3d-4e5f6a7b8c9d"]
    assert_error(problems_for(objects, sighting), "$.where_sighted_refs[1]", "identity")


def test_problems_name_the_object():
    objects = fimi_bundle()
    incident = by_id(objects, "incident--")
    incident["extensions"][FIMI_EXTENSION]["cooperation_areas"] = ["sport"]
    problems = problems_for(objects, incident)
    assert problems and all(p.object_id == incident["id"] for p in problems)


def test_hybrid_incident_may_use_both_frameworks():
    objects = fimi_bundle() + [ATTACK_T1566_001]
    incident = by_id(objects, "incident--")
    incident["extensions"][CYBER_EXTENSION] = {"extension_type": "property-extension", "cooperation_areas": ["cyber"]}
    assert check_object(incident, lookup_in(objects)) == []
    lookup = lookup_in(objects)
    for target in (ATTACK_T1566_001, DISARM_T0002):
        uses = rel("a0000000-0000-4000-8000-0000000000fb", incident, "uses", target)
        assert errors(check_object(uses, lookup)) == [], target["id"]


def test_opencti_property_extension_on_standard_objects_is_accepted():
    objects = fimi_bundle()
    incident = by_id(objects, "incident--")
    incident["extensions"][OPENCTI_EXTENSION] = {
        "extension_type": "property-extension", "id": "8e2f1c4a-0000-4000-8000-000000000000", "type": "Incident"}
    assert check_object(incident, lookup_in(objects)) == []


def test_profile_declaration_errors_fail_at_load():
    from fimishare.stix_profiles.profiles import PROFILES_DIR, Profile

    data = json.loads((PROFILES_DIR / "fimi.json").read_text())
    Profile(copy.deepcopy(data))
    broken = copy.deepcopy(data)
    broken["extensions"][FIMI_EXTENSION]["properties_by_type"]["incident"]["platforms"]["items"]["vocabulary"] = "nope"
    with pytest.raises(ValueError, match="undeclared vocabulary"):
        Profile(broken)


def test_incident_core_impact_refs_need_not_resolve():
    objects = cyber_bundle()
    incident = by_id(objects, "incident--")
    core = incident["extensions"][INCIDENT_CORE_EXTENSION]
    core["impact_refs"] = ["impact--0d4e1c2b-3a5f-4b6c-8d7e-9f0a1b2c3d4e"]
    assert check_object(incident, lookup_in(objects)) == []
    core["impact_refs"] = ["malware--4c5d6e7f-8091-4a2b-8c3d-4e5f6a7b8c9d"]
    assert_error(check_object(incident, lookup_in(objects)),
                 json_path("extensions", INCIDENT_CORE_EXTENSION, "impact_refs", 0), "impact")
