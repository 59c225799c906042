import csv
import json
import re

import pytest

from fimishare.stix_profiles import frameworks
from fimishare.stix_profiles.frameworks import DISARM_PHASES, framework_of, technique_id
from fimishare.stix_profiles.profiles import check_object

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def disarm_objects(shared_data):
    return json.loads((shared_data / "disarm" / "DISARM.json").read_text(encoding="utf-8"))["objects"]


@pytest.fixture(scope="module")
def attack_bundles(shared_data):
    paths = sorted((shared_data / "attack").glob("*.json"))
    assert paths
    return {p.name: json.loads(p.read_text(encoding="utf-8"))["objects"] for p in paths}


def techniques(objects):
    return [o for o in objects if o["type"] == "attack-pattern"]


def test_every_disarm_technique_is_disarm(disarm_objects):
    found = techniques(disarm_objects)
    assert len(found) == 391
    assert all(framework_of(o) == "disarm" for o in found)
    assert all(frameworks.is_disarm_technique(o) and not frameworks.is_attack_technique(o) for o in found)


def test_every_attack_technique_is_attack(attack_bundles):
    for name, objects in attack_bundles.items():
        found = techniques(objects)
        assert found, name
        wrong = [o["id"] for o in found if framework_of(o) != "attack"]
        assert wrong == [], name
        if name.startswith("mobile"):
            # including the ones without created_by_ref (revoked mobile techniques): decided by the reference
            assert any("created_by_ref" not in o for o in found), name


def test_disarm_technique_ids(disarm_objects, shared_data):
    ids = {technique_id(o) for o in techniques(disarm_objects)}
    assert None not in ids
    assert "T0002" in ids and "T0155.007" in ids
    assert all(re.fullmatch(r"T0\d{3}(\.\d{3})?", i) for i in ids)
    with open(shared_data / "disarm" / "red_framework_ids.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    csv_ids = {cell for row in rows[2:] for cell in row if cell}
    assert csv_ids == ids


def test_attack_technique_ids_overlap_disarm_format(attack_bundles, disarm_objects):
    """ICS ATT&CK ids (T08xx) look like DISARM ids: only the creator tells them apart."""
    ics = next(objs for name, objs in attack_bundles.items() if name.startswith("ics"))
    ics_ids = {technique_id(o) for o in techniques(ics)}
    assert "T0817" in ics_ids or any(i and i.startswith("T08") for i in ics_ids)
    mobile = next(objs for name, objs in attack_bundles.items() if name.startswith("mobile"))
    assert all(technique_id(o) for o in techniques(mobile))
    assert any(i and i.startswith("T1") for i in map(technique_id, techniques(mobile)))


def test_disarm_tactics_cover_exactly_the_reference_phases(disarm_objects, shared_data):
    tactics = {technique_id(o): o for o in disarm_objects if o["type"] == "x-mitre-tactic"}
    reference = {t for info in DISARM_PHASES.values() for t in info["tactics"]}
    assert set(tactics) == reference
    assert len(reference) == 16
    assert set(DISARM_PHASES) == {"P01", "P02", "P03", "P04"}
    assert [DISARM_PHASES[p]["name"] for p in sorted(DISARM_PHASES)] == ["Plan", "Prepare", "Execute", "Assess"]
    assert all(framework_of(o) == "disarm" for o in tactics.values())
    # the published red-framework grid (row 1 phases, row 2 tactics) agrees column by column
    with open(shared_data / "disarm" / "red_framework_ids.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert {tactic: phase for phase, tactic in zip(rows[0], rows[1], strict=True)} == frameworks.DISARM_TACTIC_PHASE


def test_disarm_techniques_belong_to_known_tactics(disarm_objects):
    shortnames = {o["x_mitre_shortname"]: technique_id(o) for o in disarm_objects if o["type"] == "x-mitre-tactic"}
    for obj in techniques(disarm_objects):
        for phase in obj.get("kill_chain_phases", []):
            tactic = shortnames[phase["phase_name"]]
            assert frameworks.disarm_phase_of_tactic(tactic) is not None


def test_framework_bundles_pass_the_generic_ingest_rule(disarm_objects, attack_bundles):
    for objects in [disarm_objects, *attack_bundles.values()]:
        for obj in objects:
            assert check_object(obj, lambda _id: None) == [], obj["id"]


def test_framework_of_without_creator_or_reference():
    assert framework_of({"type": "attack-pattern", "name": "x"}) is None
    assert framework_of(None) is None
    other = {
        "type": "attack-pattern",
        "created_by_ref": "identity--00000000-0000-4000-8000-000000000000",
        "external_references": [
            {"source_name": "mitre-attack", "external_id": "T1566", "url": "https://attack.mitre.org/techniques/T1566"}
        ],
    }
    assert framework_of(other) == "attack" and technique_id(other) == "T1566"


def test_profiles_tell_real_techniques_apart(disarm_objects, attack_bundles):
    from fimishare.stix_profiles.profiles import FIMI_EXTENSION, INCIDENT_CORE_EXTENSION

    disarm = next(o for o in techniques(disarm_objects) if technique_id(o) == "T0002")
    ics = next(o for o in techniques(attack_bundles["ics-attack-18.1.json"]) if technique_id(o).startswith("T08"))
    incident = {
        "type": "incident",
        "spec_version": "2.1",
        "id": "incident--8e2f1c4a-6b3d-4e5f-a7c8-9d0e1f2a3b4c",
        "created": "2025-03-10T09:00:00.000Z",
        "modified": "2025-03-10T09:00:00.000Z",
        "name": "x",
        "extensions": {
            INCIDENT_CORE_EXTENSION: {"extension_type": "property-extension", "determination": "suspected", "investigation_status": "new"},
            FIMI_EXTENSION: {"extension_type": "property-extension", "cooperation_areas": ["hybrid-fimi"]},
        },
    }
    index = {o["id"]: o for o in (disarm, ics, incident)}

    def uses(target):
        return {
            "type": "relationship",
            "spec_version": "2.1",
            "id": "relationship--a0000000-0000-4000-8000-000000000001",
            "created": "2025-03-10T09:00:00.000Z",
            "modified": "2025-03-10T09:00:00.000Z",
            "relationship_type": "uses",
            "source_ref": incident["id"],
            "target_ref": target["id"],
        }

    assert check_object(uses(disarm), index.get) == []
    problems = check_object(uses(ics), index.get)
    assert [(p.path, p.severity) for p in problems] == [("$.target_ref", "error")]
