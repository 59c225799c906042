"""Collections in the store: filters kept with every write, posted objects, version selection, access classes."""

import threading

import pytest
from support.profile_bundles import cyber_bundle, fimi_bundle
from support.stix_factory import T0, indicator, sdo

from fimishare.sharing.access import Readable
from fimishare.sharing.principals import Grant, Principal
from fimishare.stix import TLP_AMBER, TLP_GREEN, TLP_RED
from fimishare.store.collections import VersionSelector
from fimishare.store.membership import CollectionError, CollectionFilter
from fimishare.store.objects import Provenance
from fimishare.store.timeline import from_timestamp

EVERYTHING = Readable(up_to=2**62)


def provenance(node, entry_path="import"):
    return Provenance(node.store.directory.node_organisation().id, entry_path)


def collection(node, root, alias):
    return next(c for c in node.store.collections.list(root) if c.alias == alias)


def ids_in(node, collection_id, readable=EVERYTHING, **query):
    return [entry.object_id for entry in node.store.collections.entries(collection_id, readable, **query)]


def test_init_makes_a_fimi_a_cyber_and_an_exercise_root(node):
    roots = {root.name: root for root in node.store.collections.roots()}
    assert set(roots) == {"fimi", "cyber", "exercise"}
    assert roots["exercise"].exercise and not roots["fimi"].exercise
    for root in roots:
        (only,) = node.store.collections.list(root)
        partner = Principal("identity--5a1c7a3e-0f36-4d5e-9a55-3f4a1c8e2b10", "identity--5a1c7a3e-0f36-4d5e-9a55-3f4a1c8e2b10", "sync")
        assert only.writable and node.gate.collection_rights(partner, only.grants, only.writable) == (True, True)


def test_each_stored_version_joins_the_collections_its_profile_filter_matches(node):
    fimi = fimi_bundle()
    cyber = [o for o in cyber_bundle() if o["id"] not in {f["id"] for f in fimi}]  # both hold the partner's identity
    report = node.pipeline.ingest_objects(fimi + cyber, provenance(node))
    assert report.ok, report.errors()
    in_fimi = set(ids_in(node, collection(node, "fimi", "partners").id))
    in_cyber = set(ids_in(node, collection(node, "cyber", "partners").id))
    claims_cyber = {o["id"] for o in cyber if "extension-definition--ccf4117d-89bb-44df-b069-ade2e3fe24d9" in (o.get("extensions") or {})}
    incident = next(o["id"] for o in fimi if o["type"] == "incident")
    assert claims_cyber and claims_cyber <= in_cyber and not claims_cyber & in_fimi
    assert incident in in_fimi and incident not in in_cyber
    # Context no profile covers (the partner's identity, the location) travels with both.
    assert {o["id"] for o in fimi if o["type"] in ("identity", "location")} <= in_fimi & in_cyber


def test_a_new_collection_starts_with_what_its_filter_matches(node):
    green = sdo("malware", object_marking_refs=[TLP_GREEN])
    amber = sdo("malware", object_marking_refs=[TLP_AMBER])
    unmarked_tool = sdo("tool")
    assert node.pipeline.ingest_objects([green, amber, unmarked_tool], provenance(node)).ok
    green_malware = node.store.collections.add("cyber", title="green malware", filter=CollectionFilter(types=("malware",), tlp=("green",)))
    assert ids_in(node, green_malware.id) == [green["id"]]
    amber_only = node.store.collections.add("cyber", title="amber", filter=CollectionFilter(markings=(TLP_AMBER,)))
    assert ids_in(node, amber_only.id) == [amber["id"]]
    # The policy reads "no TLP" as GREEN; so does the filter.
    green_tools = node.store.collections.add("cyber", title="green tools", filter=CollectionFilter(types=("tool",), tlp=("green",)))
    assert ids_in(node, green_tools.id) == [unmarked_tool["id"]]
    later = sdo("malware", object_marking_refs=[TLP_GREEN])
    assert node.pipeline.ingest_objects([later], provenance(node)).ok
    assert ids_in(node, green_malware.id) == [green["id"], later["id"]]


def test_posted_objects_join_the_collection_even_outside_its_filter(node):
    only_campaigns = node.store.collections.add("cyber", title="campaigns", filter=CollectionFilter(types=("campaign",)))
    elsewhere = node.store.collections.add("cyber", title="tools", filter=CollectionFilter(types=("tool",)))
    tool = sdo("tool")
    assert node.pipeline.ingest_objects([tool], provenance(node, "taxii"), posted_to=only_campaigns.id).ok
    assert ids_in(node, only_campaigns.id) == [tool["id"]]
    # Posting what the store already holds into another collection adds it there, with a
    # date_added later than anything before: partners paging that collection see it.
    other = node.store.collections.add("cyber", title="empty", filter=CollectionFilter(types=("campaign",)))
    newest_before = max(e.date_added_us for e in node.store.collections.entries(elsewhere.id, EVERYTHING))
    report = node.pipeline.ingest_objects([tool], provenance(node, "taxii"), posted_to=other.id)
    assert report.unchanged == 1
    (entry,) = node.store.collections.entries(other.id, EVERYTHING)
    assert entry.object_id == tool["id"] and entry.date_added_us > newest_before


def test_version_selection_first_last_all_and_a_timestamp(node):
    versions = [
        sdo("malware", id="malware--0f0e0d0c-0b0a-4909-8807-060504030201", modified=f"2024-11-0{d}T09:00:00.000Z") for d in (1, 2, 3)
    ]
    assert node.pipeline.ingest_objects(versions, provenance(node)).ok
    cid = collection(node, "cyber", "partners").id
    stamps = [from_timestamp(v["modified"]) for v in versions]

    def modified(selector):
        return [e.modified for e in node.store.collections.entries(cid, EVERYTHING, ids=[versions[0]["id"]], versions=selector)]

    assert modified(VersionSelector()) == [versions[2]["modified"]]
    assert modified(VersionSelector(first=True, last=False)) == [versions[0]["modified"]]
    assert modified(VersionSelector(first=True, last=True)) == [versions[0]["modified"], versions[2]["modified"]]
    assert modified(VersionSelector(all=True)) == [v["modified"] for v in versions]
    assert modified(VersionSelector(last=False, at=(stamps[1],))) == [versions[1]["modified"]]


def test_a_reader_sees_the_latest_version_it_may_read_and_nothing_of_the_rest(node):
    oid = "malware--1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
    green = sdo("malware", id=oid, modified="2024-11-01T09:00:00.000Z", object_marking_refs=[TLP_GREEN])
    red = sdo("malware", id=oid, modified="2024-11-02T09:00:00.000Z", object_marking_refs=[TLP_RED])
    red_only = sdo("malware", object_marking_refs=[TLP_RED])
    assert node.pipeline.ingest_objects([green, red, red_only], provenance(node)).ok
    partner = node.store.directory.add_organisation("JP-NISC")
    reader = Principal("identity--7e57a5f1-0c2d-4e3f-8a9b-0c1d2e3f4a5b", partner.id, "sync")
    readable = node.gate.readable(reader)
    cid = collection(node, "cyber", "partners").id
    seen = node.store.collections.entries(cid, readable, ids=[oid, red_only["id"]])
    assert [(e.object_id, e.modified) for e in seen] == [(oid, green["modified"])]
    assert node.store.collections.entries(cid, readable, ids=[red_only["id"]], versions=VersionSelector(all=True)) == []


def test_collections_added_while_others_write_miss_nothing(node):
    """A version stored while a collection is being made is either in the initial fill or
    matched on its way in: never neither."""
    batches = [[sdo("campaign") for _ in range(20)] for _ in range(10)]
    added = []

    def write():
        for batch in batches:
            assert node.pipeline.ingest_objects(batch, provenance(node)).ok

    writer = threading.Thread(target=write)
    writer.start()
    for i in range(5):
        added.append(node.store.collections.add("fimi", title=f"campaigns {i}", filter=CollectionFilter(types=("campaign",))))
    writer.join()
    everything = {o["id"] for batch in batches for o in batch}
    for made in added:
        assert set(ids_in(node, made.id)) == everything


def test_date_added_in_a_collection_follows_the_order_of_writes(node):
    cid = collection(node, "cyber", "partners").id
    for _ in range(3):
        assert node.pipeline.ingest_objects([indicator() for _ in range(5)], provenance(node)).ok
    added = [e.date_added_us for e in node.store.collections.entries(cid, EVERYTHING)]
    assert added == sorted(added) and len(set(added)) == len(added)


def test_removing_from_a_collection_keeps_the_store_and_other_collections(node):
    tool = sdo("tool", modified=T0)
    assert node.pipeline.ingest_objects([tool], provenance(node)).ok
    fimi, cyber = collection(node, "fimi", "partners").id, collection(node, "cyber", "partners").id
    assert node.store.collections.remove(cyber, [(tool["id"], from_timestamp(T0))]) == 1
    assert tool["id"] not in ids_in(node, cyber) and tool["id"] in ids_in(node, fimi)
    assert node.store.objects.latest([tool["id"]])


def test_bad_collection_requests_say_what_is_wrong(node):
    with pytest.raises(CollectionError, match="no API root 'nowhere'"):
        node.store.collections.add("nowhere", title="x")
    node.store.collections.add("fimi", title="x", alias="dup")
    with pytest.raises(CollectionError, match="already has a collection with alias 'dup'"):
        node.store.collections.add("fimi", title="y", alias="dup")
    with pytest.raises(CollectionError, match="unknown TLP level"):
        CollectionFilter(tlp=("amber-ish",))
    with pytest.raises(CollectionError, match="API root name"):
        node.store.collections.add_root("taxii2", title="clash with discovery")
    with pytest.raises(CollectionError, match="no collection"):
        node.store.collections.grant("00000000-0000-4000-8000-000000000000", Grant("*", True, False))


def test_the_exercise_collection_takes_exercise_data_and_reference_objects_only(node):
    from fimishare.sharing.markings import fimishare_marking_definition

    marking = fimishare_marking_definition("Exercise KIZUNA-26", exercise="KIZUNA-26")
    scenario = sdo("campaign", object_marking_refs=[marking["id"]])
    real = sdo("campaign")
    actor = sdo("identity", identity_class="organization", name="Exercise red team")
    assert node.pipeline.ingest_objects([marking, scenario, real, actor], provenance(node)).ok
    exercise = ids_in(node, collection(node, "exercise", "joint-exercise").id)
    assert scenario["id"] in exercise and marking["id"] in exercise and actor["id"] in exercise
    assert real["id"] not in exercise
    later = node.store.collections.add("exercise", title="again", filter=CollectionFilter(exercise=True))
    assert set(ids_in(node, later.id)) >= {scenario["id"], marking["id"]} and real["id"] not in ids_in(node, later.id)


def test_exercise_data_that_came_before_its_marking_definition_joins_when_the_definition_comes(node):
    from fimishare.sharing.markings import fimishare_marking_definition

    marking = fimishare_marking_definition("Exercise KIZUNA-27", exercise="KIZUNA-27")
    scenario = sdo("campaign", object_marking_refs=[marking["id"]])
    assert node.pipeline.ingest_objects([scenario], provenance(node)).ok
    cid = collection(node, "exercise", "joint-exercise").id
    assert scenario["id"] not in ids_in(node, cid)
    newest_before = max(e.date_added_us for e in node.store.collections.entries(cid, EVERYTHING))
    assert node.pipeline.ingest_objects([marking], provenance(node)).ok
    joined = {e.object_id: e.date_added_us for e in node.store.collections.entries(cid, EVERYTHING)}
    # A reader who paged the collection before must still find it: it comes with a new date_added.
    assert joined[scenario["id"]] > newest_before


def test_the_last_version_follows_late_older_versions_and_removals(node):
    oid = "malware--2b3c4d5e-6f70-4a81-92a3-b4c5d6e7f809"
    v1, v2, v3 = (sdo("malware", id=oid, modified=f"2024-11-0{d}T09:00:00.000Z") for d in (1, 2, 3))
    cid = collection(node, "cyber", "partners").id

    def last():
        return [e.modified for e in node.store.collections.entries(cid, EVERYTHING, ids=[oid])]

    assert node.pipeline.ingest_objects([v2], provenance(node)).ok
    assert node.pipeline.ingest_objects([v1], provenance(node)).ok  # an older version arriving later
    assert last() == [v2["modified"]]
    assert node.pipeline.ingest_objects([v3], provenance(node)).ok
    assert last() == [v3["modified"]]
    node.store.collections.remove(cid, [(oid, from_timestamp(v3["modified"]))])
    assert last() == [v2["modified"]]
