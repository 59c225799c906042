"""The real public data imports as a user would import it, on both databases."""

import os
import signal
import subprocess
import sys
import time

import orjson
from sqlalchemy import func, select
from support.stix_factory import bundle, indicator, sdo

from fimishare import feeds
from fimishare.ingest.parsing import parse_stix
from fimishare.stix import Outcome
from fimishare.stix_profiles.frameworks import framework_of, technique_id
from fimishare.store.objects import Provenance
from fimishare.store.schema import object_versions, observables


def local(node, path="import"):
    return Provenance(node.store.directory.node_organisation().id, path)


def test_disarm_and_attack_import_and_stay_apart_by_creator(node, shared_data):
    report = feeds.import_paths(
        node.pipeline, [shared_data / "disarm" / "DISARM.json", shared_data / "attack" / "mobile-attack-17.1.json"], local(node)
    )
    assert report.ok, report.errors()[:3]
    assert report.stored == 698 + 2148
    patterns = [v.obj for v in node.store.objects.iter_versions(types=["attack-pattern"])]
    disarm = {technique_id(p) for p in patterns if framework_of(p) == "disarm"}
    attack = {technique_id(p) for p in patterns if framework_of(p) == "attack"}
    assert "T0002" in disarm and "T0002" not in attack
    assert len(disarm) == 391 and len(attack) == 188
    # both frameworks cite source_name "mitre-attack": only the creator tells them apart
    assert all(
        any(r.get("source_name") == "mitre-attack" for r in p["external_references"]) for p in patterns if framework_of(p) == "disarm"
    )


def test_a_new_attack_release_adds_versions_and_refuses_silent_rewrites(node, shared_data):
    first = feeds.import_paths(node.pipeline, [shared_data / "attack" / "mobile-attack-17.0.json"], local(node))
    assert first.ok
    second = feeds.import_paths(node.pipeline, [shared_data / "attack" / "mobile-attack-17.1.json"], local(node))
    old = {o["id"]: o for o in orjson.loads((shared_data / "attack" / "mobile-attack-17.0.json").read_bytes())["objects"]}
    new = orjson.loads((shared_data / "attack" / "mobile-attack-17.1.json").read_bytes())["objects"]
    updated = [o for o in new if o["id"] in old and o.get("modified") != old[o["id"]].get("modified")]
    rewritten = [o for o in new if o["id"] in old and o.get("modified") == old[o["id"]].get("modified") and o != old[o["id"]]]
    assert updated and rewritten  # MITRE changed some objects without a new 'modified'
    by_id = {o.id: o for o in second.outcomes}
    assert all(by_id[o["id"]].status == Outcome.STORED for o in updated)
    assert all(by_id[o["id"]].status == Outcome.REJECTED for o in rewritten)
    assert "would never see a change" in by_id[rewritten[0]["id"]].problems[-1].message
    versions = node.store.objects.versions(updated[0]["id"])
    assert [v.obj["modified"] for v in versions] == sorted([old[updated[0]["id"]]["modified"], updated[0]["modified"]])
    # the unchanged rest is recognised as such
    assert second.unchanged == sum(1 for o in new if o["id"] in old and o == old[o["id"]])


def test_oasis_examples_get_the_oasis_verdicts(node, shared_data):
    from stix2validator import ValidationOptions, validate_instance

    paths = sorted((shared_data / "oasis").glob("*.json")) + sorted((shared_data / "oasis" / "threat-reports").glob("*.json"))
    paths = [p for p in paths if p.name != "medallion_default_data.json"]
    report = feeds.import_paths(node.pipeline, paths, local(node))
    stored_or_unchanged = {o.id for o in report.outcomes if o.status != Outcome.REJECTED}
    for path in paths:
        for obj in parse_stix(path.read_bytes(), source=path.name, max_bytes=10**8, max_objects=10**6)[0]:
            oasis_valid = validate_instance(obj, ValidationOptions(version="2.1")).is_valid
            if oasis_valid:
                assert obj["id"] in stored_or_unchanged, obj["id"]


def test_meta_csv_feeds_import_with_their_indicators_findable(node, cli, shared_data):
    cli("orgs", "add", "Meta")
    result = cli("import", str(shared_data / "meta-threat-research" / "indicators" / "csv"), "--org", "Meta")
    assert result.exit_code == 0, result.output[-2000:]
    assert "rejected 0" in result.output
    found = node.store.objects.lookup([("domain", "dhakatv.net")])
    assert found[("domain", "dhakatv.net")]
    meta = node.store.directory.organisation("Meta").id
    with node.store.engine.connect() as connection:
        sources = set(connection.execute(select(object_versions.c.source_org).where(object_versions.c.type == "campaign")).scalars())
        campaigns = connection.execute(select(func.count()).where(object_versions.c.type == "campaign")).scalar()
        reports = connection.execute(select(func.count()).where(object_versions.c.type == "report")).scalar()
    assert sources == {meta}
    assert campaigns >= 60 and reports >= 60


def test_large_inputs_analysed_in_parallel_give_the_same_outcomes(node):
    from fimishare.ingest.pipeline import PARALLEL_FROM

    objects = []
    for n in range(PARALLEL_FROM + 500):
        if n % 97 == 0:
            objects.append(sdo(created="2024-11-01T09:00:00Z"))  # invalid
        elif n % 3 == 0:
            objects.append(indicator(f"[domain-name:value = 'host{n}.example']"))
        else:
            objects.append(sdo("campaign", description=f"campaign {n}"))
    objects.append(dict(objects[1]))  # a repeat
    assert node.pipeline.workers >= 1
    node.pipeline.workers = 2
    parallel = node.pipeline.ingest_objects(objects, local(node))
    statuses = [o.status for o in parallel.outcomes]
    assert statuses.count(Outcome.REJECTED) == len([n for n in range(PARALLEL_FROM + 500) if n % 97 == 0])
    assert statuses[-1] == "unchanged"
    assert node.store.objects.lookup([("domain", "host3.example")])[("domain", "host3.example")]
    again = node.pipeline.ingest_objects(objects, local(node))
    assert [o.status for o in again.outcomes if o.status != Outcome.REJECTED] == ["unchanged"] * (
        len(objects) - statuses.count(Outcome.REJECTED)
    )
    node.pipeline.workers = 1
    sequential = node.pipeline.ingest_objects(objects, local(node))
    assert [(o.id, o.status, [p.path for p in o.problems]) for o in sequential.outcomes] == [
        (o.id, o.status, [p.path for p in o.problems]) for o in again.outcomes
    ]


def test_a_killed_import_leaves_only_whole_objects_and_a_rerun_completes_it(node, settings, tmp_path):
    objects = [indicator(f"[domain-name:value = 'k{n}.example']") for n in range(40_000)]
    path = tmp_path / "big.json"
    path.write_bytes(orjson.dumps(bundle(*objects)))
    env = dict(os.environ, FIMISHARE_HOME=str(settings.home), FIMISHARE_DATABASE_URL=settings.database_url)
    command = [sys.executable, "-m", "fimishare.cli", "import", str(path)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120
    while node.store.objects.count() < 5_000 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the importer and its analysis workers, mid-import
    process.wait()
    held = node.store.objects.count()
    assert 0 < held
    with node.store.engine.connect() as connection:
        rows = connection.execute(
            select(object_versions.c.date_added_us, object_versions.c.json).where(object_versions.c.type == "indicator")
        ).all()
        indexed = set(connection.execute(select(observables.c.version_added_us)).scalars())
    # every stored version is whole: its JSON parses and its observable is indexed with it
    assert all(orjson.loads(row.json)["type"] == "indicator" for row in rows)
    assert {row.date_added_us for row in rows} <= indexed
    partial = len(rows)
    assert partial < len(objects), "the import finished before it could be killed"
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert f"stored {len(objects) - partial}, unchanged {partial}, rejected 0" in rerun.stdout
