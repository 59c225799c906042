"""Bad input gets a clear error naming the object and the JSON path, and loses nothing else."""

import orjson
import pytest
from support.stix_factory import bundle, indicator, relationship, sdo

from fimishare.stix import Outcome, Severity
from fimishare.store.objects import Provenance


@pytest.fixture
def ingest(node):
    source = Provenance(node.store.directory.node_organisation().id, "api")

    def run(data, **kwargs):
        raw = data if isinstance(data, bytes) else orjson.dumps(data)
        return node.pipeline.ingest_bytes(raw, source, source="upload.json")

    return run


def statuses(report):
    return {o.id: o.status for o in report.outcomes}


def test_malformed_json_is_one_clear_error_and_stores_nothing(ingest, node):
    before = node.store.objects.count()
    report = ingest(b'{"type": "bundle", "objects": [ {"type": "malware",, } ]}')
    assert report.input_errors and "upload.json: malformed JSON" in report.input_errors[0]
    assert "line 1" in report.input_errors[0]
    assert node.store.objects.count() == before


def test_a_bare_list_of_objects_is_accepted(ingest, node):
    a, b = sdo(), sdo("campaign")
    report = ingest([a, b])
    assert statuses(report) == {a["id"]: Outcome.STORED, b["id"]: Outcome.STORED}


def test_wrong_spec_version_is_rejected_the_rest_is_stored(ingest, node):
    good, old = sdo(), sdo(spec_version="2.0")
    report = ingest(bundle(good, old))
    assert statuses(report) == {good["id"]: Outcome.STORED, old["id"]: Outcome.REJECTED}
    problem = next(o for o in report.outcomes if o.id == old["id"]).problems[0]
    assert problem.path == "$.spec_version" and "'2.0'" in problem.message
    assert node.store.objects.latest([old["id"]]) == {}


def test_unknown_type_without_an_extension_is_rejected(ingest):
    odd = sdo("hacktivist-cell", name="x")
    report = ingest(bundle(odd, sdo()))
    outcome = next(o for o in report.outcomes if o.id == odd["id"])
    assert outcome.status == Outcome.REJECTED
    assert any("hacktivist-cell" in p.message for p in outcome.problems)
    assert report.stored == 1


def test_invalid_pattern_is_rejected_with_the_pattern_path(ingest):
    bad = indicator("[domain-name:value = 'unterminated]")
    report = ingest(bundle(bad))
    outcome = report.outcomes[0]
    assert outcome.status == Outcome.REJECTED
    assert any(p.path == "$.pattern" for p in outcome.problems), outcome.problems


def test_spec_errors_name_object_and_path(ingest):
    bad = sdo(created="2024-11-01T09:00:00Z")  # not millisecond-precise
    report = ingest(bundle(bad))
    assert report.outcomes[0].status == Outcome.REJECTED
    assert any(p.object_id == bad["id"] and p.path == "$.created" for p in report.outcomes[0].problems)


def test_dangling_refs_are_warnings_and_the_object_is_stored(ingest):
    campaign = sdo("campaign")
    rel = relationship(campaign, "uses", {"id": "attack-pattern--6b1f4c3e-5c3b-4d7a-8e0f-7f3b1d2c9a11"})
    report = ingest(bundle(campaign, rel))
    assert statuses(report) == {campaign["id"]: Outcome.STORED, rel["id"]: Outcome.STORED}
    warnings = [p for p in report.warnings() if p.object_id == rel["id"]]
    assert [w.path for w in warnings] == ["$.target_ref"]
    assert "attack-pattern--6b1f4c3e" in warnings[0].message and warnings[0].severity == Severity.WARNING


def test_refs_resolved_from_the_store_are_not_dangling(ingest):
    campaign = sdo("campaign")
    ingest(bundle(campaign))
    report = ingest(bundle(relationship(campaign, "related-to", campaign)))
    assert report.warnings() == []


def test_oversized_bundle_is_refused_whole(node):
    source = Provenance(node.store.directory.node_organisation().id, "api")
    node.pipeline.max_bytes = 1000
    report = node.pipeline.ingest_bytes(orjson.dumps(bundle(*[sdo() for _ in range(20)])), source, source="big.json")
    assert report.outcomes == [] and "over the limit of 1,000 bytes" in report.input_errors[0]


def test_duplicate_ids_in_one_bundle(ingest, node):
    obj = sdo(description="one")
    same = dict(obj)
    conflicting = dict(obj, description="two")
    report = ingest(bundle(obj, same, conflicting))
    assert [o.status for o in report.outcomes] == [Outcome.STORED, Outcome.UNCHANGED, Outcome.REJECTED]
    assert "duplicate of object 0" in report.outcomes[2].problems[0].message
    assert node.store.objects.latest([obj["id"]])[obj["id"]]["description"] == "one"


def test_markup_in_text_is_stored_inert_with_a_warning(ingest, node):
    obj = sdo("campaign", description='<script>alert("x")</script><img src=x onerror=alert(1)>')
    report = ingest(bundle(obj))
    assert report.outcomes[0].status == Outcome.STORED
    assert any(w.path == "$.description" and "stored as text" in w.message for w in report.warnings())
    assert node.store.objects.latest([obj["id"]])[obj["id"]]["description"] == obj["description"]


def test_objects_that_are_not_objects_are_rejected_by_position(ingest):
    report = ingest([sdo(), 42, {"id": "x"}])
    assert [o.status for o in report.outcomes] == [Outcome.STORED, Outcome.REJECTED, Outcome.REJECTED]
    assert report.outcomes[1].problems[0].path == "$[1]"
    assert "no string 'type'" in report.outcomes[2].problems[0].message
