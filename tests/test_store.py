"""The store of record: versions, idempotence, date_added, provenance, observables, atomicity."""

import threading

import orjson
import pytest
from sqlalchemy import select
from support.stix_factory import indicator, sdo

from fimishare.ingest.pipeline import IngestPipeline
from fimishare.sharing import Gate
from fimishare.sharing.markings import fimishare_marking_definition
from fimishare.stix import EntryPath, Outcome
from fimishare.store.accounts import AccountError
from fimishare.store.objects import Provenance
from fimishare.store.schema import object_versions


def provenance(node, path="import"):
    return Provenance(node.store.directory.node_organisation().id, path)


def test_every_version_is_kept_and_the_newest_is_current(node):
    v1 = sdo(description="first")
    v2 = dict(v1, modified="2024-11-02T09:00:00.000Z", description="second")
    report = node.pipeline.ingest_objects([v1, v2], provenance(node))
    assert [o.status for o in report.outcomes] == [Outcome.STORED, Outcome.STORED]
    versions = node.store.objects.versions(v1["id"])
    assert [v.obj["description"] for v in versions] == ["first", "second"]
    assert node.store.objects.latest([v1["id"]])[v1["id"]]["description"] == "second"


def test_same_version_twice_is_stored_once_and_reported_as_success(node):
    obj = sdo()
    first = node.pipeline.ingest_objects([obj], provenance(node))
    again = node.pipeline.ingest_objects([dict(obj)], provenance(node))
    assert first.outcomes[0].status == Outcome.STORED
    assert again.outcomes[0].status == Outcome.UNCHANGED and again.ok
    assert len(node.store.objects.versions(obj["id"])) == 1


def test_same_version_with_other_content_is_rejected_naming_the_object(node):
    obj = sdo(description="original")
    node.pipeline.ingest_objects([obj], provenance(node))
    report = node.pipeline.ingest_objects([dict(obj, description="tampered")], provenance(node))
    outcome = report.outcomes[0]
    assert outcome.status == Outcome.REJECTED
    assert obj["id"] in outcome.problems[0].message and "different content" in outcome.problems[0].message
    assert node.store.objects.latest([obj["id"]])[obj["id"]]["description"] == "original"


def test_full_json_is_kept_verbatim_with_provenance_columns(node):
    obj = sdo("campaign", description="<b>bold</b> テスト", x_custom={"nested": [1, 2.5, None]}, revoked=False)
    node.pipeline.ingest_objects(
        [obj], Provenance(node.store.directory.node_organisation().id, "portal", "identity--0c259417-e3ea-49d3-bb33-f14823a1d4dc")
    )
    with node.store.engine.connect() as connection:
        row = connection.execute(select(object_versions).where(object_versions.c.id == obj["id"])).one()
    assert orjson.loads(row.json) == obj and list(orjson.loads(row.json)) == list(obj)
    assert (row.type, row.spec_version, row.entry_path, row.revoked) == ("campaign", "2.1", "portal", False)
    assert row.submitted_by == "identity--0c259417-e3ea-49d3-bb33-f14823a1d4dc"
    assert row.source_org == node.store.directory.node_organisation().id


def test_date_added_is_unique_and_strictly_increasing_within_one_millisecond(node):
    objects = [sdo() for _ in range(3000)]
    node.pipeline.ingest_objects(objects, provenance(node))
    with node.store.engine.connect() as connection:
        added = connection.execute(select(object_versions.c.date_added_us).order_by(object_versions.c.pk)).scalars().all()
    assert len(added) == len(set(added))
    assert added == sorted(added)


def test_concurrent_writers_get_date_added_in_commit_order(node):
    """Readers paging by added_after must never skip: a later date_added never commits first."""
    errors = []

    def writer():
        try:
            for _ in range(10):
                node.pipeline.ingest_objects([sdo() for _ in range(20)], provenance(node))
        except Exception as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    seen_max = 0
    for thread in threads:
        thread.start()
    # A reader polling while writers commit: each poll may only find values above what it saw.
    while any(t.is_alive() for t in threads):
        with node.store.engine.connect() as connection:
            fresh = (
                connection.execute(select(object_versions.c.date_added_us).where(object_versions.c.date_added_us > seen_max))
                .scalars()
                .all()
            )
        if fresh:
            assert min(fresh) > seen_max
            seen_max = max(fresh)
    for thread in threads:
        thread.join()
    assert not errors
    with node.store.engine.connect() as connection:
        added = connection.execute(select(object_versions.c.date_added_us)).scalars().all()
    assert len(added) == len(set(added))


def test_observable_values_are_indexed_normalised_from_scos_and_patterns(node):
    domain = {
        "type": "domain-name",
        "spec_version": "2.1",
        "id": "domain-name--1a8f4f1c-7fd5-5a5f-9d0a-6c2e9a3e3c55",
        "value": "News-Example.COM",
    }
    ind = indicator("[url:value = 'hxxp://Bad[.]Example/path'] OR [ipv4-addr:value = '203.0.113.7']")
    report = node.pipeline.ingest_objects([domain, ind], provenance(node))
    assert report.ok, report.errors()
    found = node.store.objects.lookup([("domain", "news-example.com"), ("url", "http://bad.example/path"), ("ipv4", "203.0.113.7")])
    assert found[("domain", "news-example.com")] == [domain["id"]]
    assert found[("url", "http://bad.example/path")] == [ind["id"]]
    assert found[("ipv4", "203.0.113.7")] == [ind["id"]]


def test_the_store_tells_the_gate_what_a_decision_depends_on(store):
    """The gate's AccessSource: this node's organisation, the marking-definitions, the access
    classes, and an epoch that moves when either of the last two grows."""
    with pytest.raises(AccountError, match="fimishare init"):
        store.node_organisation_id()
    org = store.directory.add_organisation("EEAS", is_node=True)
    assert store.node_organisation_id() == org.id
    pipeline = IngestPipeline(store.objects, Gate(store))
    source = Provenance(org.id, EntryPath.IMPORT)
    assert store.policy_epoch() == (None, None) and store.marking_definitions() == []

    assert pipeline.ingest_objects([sdo()], source).ok
    no_marking, first_class = store.policy_epoch()
    assert no_marking is None and first_class is not None
    assert list(store.access_classes(0)) == [first_class] and store.access_classes(first_class) == {}

    to_jp = fimishare_marking_definition("REL TO JP", releasable_to=["identity--00000000-0000-4000-8000-0000000000b1"])
    assert pipeline.ingest_objects([to_jp, sdo(object_marking_refs=[to_jp["id"]])], source).ok
    marking_added, newest_class = store.policy_epoch()
    assert marking_added is not None and newest_class > first_class
    assert [(definition["id"], definer) for definition, definer in store.marking_definitions()] == [(to_jp["id"], org.id)]
    assert to_jp["id"] in {ref for access in store.access_classes(first_class).values() for ref in access.object_marking_refs}
