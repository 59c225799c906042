"""The gate over a real store: what accounts may do, and decisions that follow what the store holds."""

from __future__ import annotations

import pytest
from support.stix_factory import indicator, sdo

from fimishare.ingest.reference import add_organisation
from fimishare.sharing import EVERY_PARTNER, Gate, Grant, Principal
from fimishare.sharing.gate import EXERCISE_ROOT_REFUSAL
from fimishare.sharing.markings import fimishare_marking_definition
from fimishare.stix import TLP_AMBER, TLP_GREEN, EntryPath, Role
from fimishare.store.objects import Provenance

PERSON = "identity--00000000-0000-4000-8000-0000000000a1"


@pytest.fixture
def partners(node):
    """(node org, JP org, FR org) ids, the partners with their identities stored."""
    jp, _ = add_organisation(node.store.directory, node.pipeline, "JP-NISC")
    fr, _ = add_organisation(node.store.directory, node.pipeline, "FR-ANSSI")
    return node.store.node_organisation_id(), jp.id, fr.id


def principal(org: str, role: str = Role.ANALYST, *, exercise: bool = False) -> Principal:
    return Principal(PERSON, org, role, None, exercise)


def store(node, objects, org, user=None):
    report = node.pipeline.ingest_objects(objects, Provenance(org, EntryPath.API, user))
    assert report.ok, report.errors()


@pytest.mark.parametrize("role, may", [(Role.ADMIN, True), (Role.ANALYST, True), (Role.SYNC, True), (Role.VIEWER, False)])
def test_admins_analysts_and_sync_accounts_submit_and_viewers_only_read(node, partners, role, may):
    assert node.gate.may_submit(principal(partners[1], role)) is may


def test_collection_rights_follow_grants_and_roles(node, partners):
    node_org, jp, fr = partners
    grants = [Grant(jp, can_read=True, can_write=False), Grant(EVERY_PARTNER, can_read=False, can_write=False)]
    rights = node.gate.collection_rights
    assert rights(principal(node_org, Role.VIEWER), grants, writable=True) == (True, False)  # the node's own read all
    assert rights(principal(node_org), grants, writable=True) == (True, True)
    assert rights(principal(node_org), grants, writable=False) == (True, False)
    assert rights(principal(jp), grants, writable=True) == (True, False)
    assert rights(principal(fr), grants, writable=True) == (False, False)
    everyone = [Grant(EVERY_PARTNER, can_read=True, can_write=True)]
    assert rights(principal(fr), everyone, writable=True) == (True, True)
    assert rights(principal(fr, Role.VIEWER), everyone, writable=True) == (True, False)  # viewers never write


def test_a_partner_deletes_only_what_its_own_organisation_added(node, partners):
    node_org, jp, fr = partners
    assert node.gate.may_delete(principal(jp), {jp})
    assert not node.gate.may_delete(principal(jp), {jp, fr})
    assert not node.gate.may_delete(principal(jp, Role.VIEWER), {jp})
    assert node.gate.may_delete(principal(node_org), {jp, fr})
    assert not node.gate.may_delete(principal(node_org, Role.VIEWER), {jp})


def test_an_exercise_root_refuses_real_data_and_takes_markings_posted_with_the_items(node, partners):
    _, jp, _ = partners
    drill_marking = fimishare_marking_definition("DRILL", exercise="EU-JP 2026")
    real = indicator("[domain-name:value = 'real.example']")
    drill = indicator("[domain-name:value = 'drill.example']", object_marking_refs=[drill_marking["id"]])
    items = [drill_marking, real, drill, "not an object"]
    refused = node.gate.refused_by_exercise_root(principal(jp, exercise=True), items)
    assert refused == {1: EXERCISE_ROOT_REFUSAL}  # the marking-definition is reference data; the string fails in ingest
    assert node.gate.refused_by_exercise_root(principal(jp), items) == {}  # a real context takes anything


def test_a_new_releasability_marking_changes_what_a_partner_reads(node, partners):
    """The gate reads the store's marking-definitions again when one is added."""
    node_org, jp, fr = partners
    campaign = sdo("campaign", name="Shared later", object_marking_refs=[TLP_AMBER])
    store(node, [campaign], node_org)
    newest = node.store.objects.latest_versions([campaign["id"]])[campaign["id"]]
    assert node.gate.view(principal(jp), newest) is None
    before = node.gate.readable(principal(jp))

    to_jp = fimishare_marking_definition("REL TO JP", releasable_to=[jp])
    shared = {**campaign, "modified": "2024-11-02T09:00:00.000Z", "object_marking_refs": [TLP_AMBER, to_jp["id"]]}
    store(node, [to_jp, shared], node_org)
    newest = node.store.objects.latest_versions([campaign["id"]])[campaign["id"]]
    assert node.gate.view(principal(jp), newest) == shared
    assert node.gate.view(principal(fr), newest) is None
    after = node.gate.readable(principal(jp))
    assert after.up_to > before.up_to and after.includes(newest.access_class)


def test_views_and_releases_keep_to_what_the_table_allows(node, partners):
    from fimishare.sharing import Channel, Recipient

    node_org, jp, _ = partners
    green, amber = indicator(object_marking_refs=[TLP_GREEN]), indicator(object_marking_refs=[TLP_AMBER])
    store(node, [green, amber], node_org)
    versions = list(node.store.objects.latest_versions([green["id"], amber["id"]]).values())
    assert {copy["id"] for copy, _ in node.gate.views(principal(jp), versions)} == {green["id"]}
    assert {copy["id"] for copy, _ in node.gate.views(principal(node_org), versions)} == {green["id"], amber["id"]}
    released = node.gate.releases(Recipient(jp), versions, Channel.EXPORT)
    assert [copy["id"] for copy, _ in released] == [green["id"]]
    assert "deny" in node.gate.explain(principal(jp), next(v for v in versions if v.obj["id"] == amber["id"]))


def test_the_index_holds_nothing_under_a_granular_marking():
    secret = fimishare_marking_definition("EU ONLY", releasable_to=["identity--00000000-0000-4000-8000-0000000000e1"])
    obj = sdo(
        "campaign",
        name="Operation",
        description="who told us",
        granular_markings=[{"marking_ref": secret["id"], "selectors": ["description"]}],
    )
    copy = Gate.indexed_copy(obj)
    assert "description" not in copy and "granular_markings" not in copy and copy["name"] == "Operation"
    whole = sdo("campaign", name="Operation", granular_markings=[{"marking_ref": secret["id"], "selectors": ["id"]}])
    assert set(Gate.indexed_copy(whole)) == {"id", "type", "spec_version", "created", "modified"}
    assert Gate.indexed_copy(obj) is not obj and obj["description"] == "who told us"
