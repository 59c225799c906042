import copy
import json

import pytest
from stix2validator import ValidationOptions, validate_instance
from support.profile_bundles import (
    ATTACK_T1566_001,
    DISARM_T0002,
    PARTNER,
    TLP_GREEN_OBJECT,
    cyber_bundle,
    fimi_bundle,
    rel,
    sdo,
    technique,
)

from fimishare.stix import Severity, json_path
from fimishare.stix_profiles import frameworks
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
        "official-state-channel",
        "state-controlled",
        "state-linked",
        "state-aligned",
        "unattributed",
    ]
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
    assert_error(problems_for(objects, incident), json_path("extensions", INCIDENT_CORE_EXTENSION, "determination"), "determination")


def test_bad_determination_value_in_cyber_incident():
    objects = cyber_bundle()
    incident = by_id(objects, "incident--")
    incident["extensions"][INCIDENT_CORE_EXTENSION]["determination"] = "confirmed"
    assert_error(problems_for(objects, incident), json_path("extensions", INCIDENT_CORE_EXTENSION, "determination"), "confirmed")


def test_missing_incident_core_extension():
    objects = fimi_bundle()
    incident = by_id(objects, "incident--")
    del incident["extensions"][INCIDENT_CORE_EXTENSION]
    assert_error(problems_for(objects, incident), json_path("extensions", INCIDENT_CORE_EXTENSION), "Incident Core")


def test_bad_cooperation_area():
    objects = fimi_bundle()
    incident = by_id(objects, "incident--")
    incident["extensions"][FIMI_EXTENSION]["cooperation_areas"] = ["hybrid-fimi", "sport"]
    assert_error(problems_for(objects, incident), json_path("extensions", FIMI_EXTENSION, "cooperation_areas", 1), "'sport'")


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
    assert_error(problems_for(objects, channel), json_path("extensions", FIMI_EXTENSION, "exposure_category"), "state-sponsored")


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
    uses = rel("a0000000-0000-4000-8000-0000000000fe", incident, "uses", {"id": "attack-pattern--00000000-0000-4000-8000-000000000000"})
    problems = problems_for(objects, uses)
    assert not errors(problems)
    assert [(p.path, p.severity) for p in problems] == [("$.target_ref", Severity.WARNING)]


def test_cyber_uses_disarm_technique_is_an_error():
    objects = cyber_bundle() + [DISARM_T0002]
    incident = by_id(objects, "incident--")
    uses = rel("b0000000-0000-4000-8000-0000000000ff", incident, "uses", DISARM_T0002)
    assert_error(problems_for(objects, uses), "$.target_ref", "MITRE ATT&CK", "T0002")


def test_ics_attack_technique_with_t0_id_is_still_attack():
    ics = technique(
        "3b2c1d0e-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
        frameworks.MITRE_IDENTITY,
        "T0817",
        "Drive-by Compromise",
        "https://attack.mitre.org/techniques/T0817",
    )
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
    new_sdo = sdo(
        "event", "c0000000-0000-4000-8000-000000000003", name="Election", extensions={OPENCTI_EXTENSION: {"extension_type": "new-sdo"}}
    )
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
        channel["extensions"]["extension-definition--11111111-2222-4333-8444-555555555555"] = {"extension_type": "new-sdo"}
    assert_error(problems_for(objects, channel), json_path("extensions", OPENCTI_EXTENSION), "unknown type without an extension", "channel")


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
        "extension_type": "property-extension",
        "id": "8e2f1c4a-0000-4000-8000-000000000000",
        "type": "Incident",
    }
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
    assert_error(check_object(incident, lookup_in(objects)), json_path("extensions", INCIDENT_CORE_EXTENSION, "impact_refs", 0), "impact")
