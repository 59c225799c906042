"""The sharing table of docs/sharing-policy.md, cell by cell."""

from __future__ import annotations

import copy

import pytest
from stix2validator import ValidationOptions, validate_instance

from fimishare import stix
from fimishare.sharing import Channel, Holding, Principal, Recipient, SharingPolicy
from fimishare.sharing import markings as mk

NODE = "identity--00000000-0000-4000-8000-00000000000a"
SRC = "identity--00000000-0000-4000-8000-00000000000b"
CREATOR = "identity--00000000-0000-4000-8000-00000000000c"
NAMED_ORG = "identity--00000000-0000-4000-8000-00000000000d"
OTHER = "identity--00000000-0000-4000-8000-00000000000e"
OTHER2 = "identity--00000000-0000-4000-8000-00000000000f"
SUBORG = "identity--00000000-0000-4000-8000-000000000010"

NAMED_PERSON = "identity--00000000-0000-4000-8000-0000000000f1"  # works for OTHER2, named individually
SUBMITTER = "identity--00000000-0000-4000-8000-0000000000f2"  # works for SUBORG

READERS = {
    "node_analyst": Principal("identity--00000000-0000-4000-8000-0000000000a1", NODE, "analyst"),
    "source_user": Principal("identity--00000000-0000-4000-8000-0000000000b1", SRC, "analyst"),
    "creator_user": Principal("identity--00000000-0000-4000-8000-0000000000c1", CREATOR, "viewer"),
    "named_org_user": Principal("identity--00000000-0000-4000-8000-0000000000d1", NAMED_ORG, "sync"),
    "unnamed_partner": Principal("identity--00000000-0000-4000-8000-0000000000e1", OTHER, "admin"),
    "named_individual": Principal(NAMED_PERSON, OTHER2, "analyst"),
    "submitter": Principal(SUBMITTER, SUBORG, "analyst"),
}
RECIPIENTS = {
    "source_org": Recipient(SRC),
    "creator_org": Recipient(CREATOR),
    "named_org": Recipient(NAMED_ORG),
    "unnamed_org": Recipient(OTHER),
}
ALL_READERS = frozenset(READERS)
ALL_RECIPIENTS = frozenset(RECIPIENTS)

REL = mk.fimishare_marking_definition("REL TO NAMED", releasable_to=[NAMED_ORG, NAMED_PERSON])
REL_B = mk.fimishare_marking_definition("REL TO NAMED+OTHER", releasable_to=[NAMED_ORG, OTHER])
REL_C = mk.fimishare_marking_definition("REL TO OTHER", releasable_to=[OTHER])
CONF = mk.fimishare_marking_definition("CONFIDENTIAL", classification="CONFIDENTIAL")
SECRET = mk.fimishare_marking_definition("SECRET", classification="SECRET")
BOGUS_LEVEL = mk.fimishare_marking_definition("COSMIC", classification="COSMIC")
EXERCISE = mk.fimishare_marking_definition("EX", exercise="BALTIC-SHIELD")
STATEMENT = {
    "type": "marking-definition",
    "spec_version": "2.1",
    "id": "marking-definition--3a1b7e0a-8c1e-4a4f-9e3b-6f1d2c3b4a50",
    "created": "2024-01-01T00:00:00.000Z",
    "definition_type": "statement",
    "definition": {"statement": "Copyright 2024 Example"},
}
UNKNOWN_EXT = {
    "type": "marking-definition",
    "spec_version": "2.1",
    "id": "marking-definition--3a1b7e0a-8c1e-4a4f-9e3b-6f1d2c3b4a51",
    "created": "2024-01-01T00:00:00.000Z",
    "name": "IEP",
    "extensions": {"extension-definition--11111111-2222-4333-8444-555555555555": {"extension_type": "property-extension", "x": 1}},
}
FIMI_EXTRA_KEY = {
    "type": "marking-definition",
    "spec_version": "2.1",
    "id": "marking-definition--3a1b7e0a-8c1e-4a4f-9e3b-6f1d2c3b4a52",
    "created": "2024-01-01T00:00:00.000Z",
    "name": "odd",
    "extensions": {mk.FIMISHARE_MARKING_EXTENSION: {"extension_type": "property-extension", "no_foreign_nationals": True}},
}
DEFS = {
    **mk.default_marking_definitions(),
    **{d["id"]: d for d in (REL, REL_B, REL_C, CONF, SECRET, BOGUS_LEVEL, EXERCISE, STATEMENT, UNKNOWN_EXT, FIMI_EXTRA_KEY)},
}
UNKNOWN_ID = "marking-definition--99999999-9999-4999-8999-999999999999"

POLICY = SharingPolicy(NODE, marking_definitions=DEFS)
OPTS = ValidationOptions(version="2.1")

TLP = {
    "clear": stix.TLP_CLEAR,
    "green": stix.TLP_GREEN,
    "amber": stix.TLP_AMBER,
    "amber+strict": stix.TLP_AMBER_STRICT,
    "red": stix.TLP_RED,
}


def campaign(refs, **extra):
    obj = {
        "type": "campaign",
        "spec_version": "2.1",
        "id": "campaign--6b6f4fa4-6c0c-4b8a-9c51-3f3b0a0e5c11",
        "created": "2024-11-01T00:00:00.000Z",
        "modified": "2024-11-01T00:00:00.000Z",
        "created_by_ref": CREATOR,
        "name": "Operation Doppelganger relay",
        "description": "Cloned news sites amplifying narratives.",
    }
    if refs:
        obj["object_marking_refs"] = list(refs)
    obj.update(extra)
    return obj


def readers_allowed(policy, holding):
    return frozenset(name for name, p in READERS.items() if policy.view(p, holding) is not None)


def recipients_allowed(policy, holding, channel):
    return frozenset(name for name, r in RECIPIENTS.items() if policy.release(holding, r, channel) is not None)


# ----------------------------------------------------------------------------- the table
# (row, markings, source org) -> (readers that read, recipient orgs that receive)
R_HOME = frozenset({"node_analyst", "source_user", "creator_user", "submitter"})
R_NAMED = R_HOME | {"named_org_user", "named_individual"}
TABLE = [
    ("CLEAR", [TLP["clear"]], SRC, ALL_READERS, ALL_RECIPIENTS),
    ("GREEN", [TLP["green"]], SRC, ALL_READERS, ALL_RECIPIENTS),
    ("no TLP", [], SRC, ALL_READERS, ALL_RECIPIENTS),
    ("CLEAR+rel", [TLP["clear"], REL["id"]], SRC, R_NAMED, {"source_org", "creator_org", "named_org"}),
    ("GREEN+rel", [TLP["green"], REL["id"]], SRC, R_NAMED, {"source_org", "creator_org", "named_org"}),
    ("no TLP+rel", [REL["id"]], SRC, R_NAMED, {"source_org", "creator_org", "named_org"}),
    ("AMBER partner", [TLP["amber"]], SRC, R_HOME, {"creator_org"}),
    ("AMBER+rel partner", [TLP["amber"], REL["id"]], SRC, R_NAMED, {"creator_org", "named_org"}),
    ("AMBER local", [TLP["amber"]], NODE, {"node_analyst", "creator_user", "submitter"}, {"creator_org"}),
    (
        "AMBER+rel local",
        [TLP["amber"], REL["id"]],
        NODE,
        {"node_analyst", "creator_user", "submitter", "named_org_user", "named_individual"},
        {"creator_org", "named_org"},
    ),
    ("AMBER+STRICT local", [TLP["amber+strict"]], NODE, {"node_analyst", "creator_user", "submitter"}, {"creator_org"}),
    (
        "AMBER+STRICT+rel local",
        [TLP["amber+strict"], REL["id"]],
        NODE,
        {"node_analyst", "creator_user", "submitter", "named_org_user", "named_individual"},
        {"creator_org", "named_org"},
    ),
    ("AMBER+STRICT partner", [TLP["amber+strict"]], SRC, {"node_analyst", "source_user"}, set()),
    ("AMBER+STRICT+rel partner", [TLP["amber+strict"], REL["id"]], SRC, {"node_analyst", "source_user"}, set()),
    ("RED local", [TLP["red"]], NODE, {"submitter"}, set()),
    ("RED+rel local", [TLP["red"], REL["id"]], NODE, {"submitter", "named_individual"}, set()),
    # partner-received RED: the named individual (OTHER2) and the submitter (SUBORG) are
    # neither of the node nor the source org, so nobody here reads it.
    ("RED partner", [TLP["red"]], SRC, set(), set()),
    ("RED+rel partner", [TLP["red"], REL["id"]], SRC, set(), set()),
]


@pytest.mark.parametrize("row, refs, source, readers, _", TABLE, ids=[t[0] for t in TABLE])
@pytest.mark.parametrize("reader", sorted(READERS))
def test_read_cell(row, refs, source, readers, _, reader):
    holding = Holding(campaign(refs), source, SUBMITTER)
    expected = reader in readers
    got = POLICY.view(READERS[reader], holding)
    assert (got is not None) == expected, POLICY.explain(READERS[reader], holding)
    assert POLICY.may_read(READERS[reader], holding) == expected
    if expected:
        assert got == holding.obj


@pytest.mark.parametrize("row, refs, source, _, recipients", TABLE, ids=[t[0] for t in TABLE])
@pytest.mark.parametrize("recipient", sorted(RECIPIENTS))
@pytest.mark.parametrize("channel", list(Channel))
def test_release_cell(row, refs, source, _, recipients, recipient, channel):
    holding = Holding(campaign(refs), source, SUBMITTER)
    got = POLICY.release(holding, RECIPIENTS[recipient], channel)
    assert (got is not None) == (recipient in recipients), POLICY.explain(RECIPIENTS[recipient], holding)


def test_amber_without_creator_or_named_goes_nowhere():
    obj = campaign([TLP["amber"]])
    del obj["created_by_ref"]
    holding = Holding(obj, NODE)
    assert recipients_allowed(POLICY, holding, "sync") == frozenset()


@pytest.mark.parametrize("tlp", ["amber+strict", "red"])
def test_partner_red_and_strict_read_by_node_and_source_people_only(tlp):
    node_named = Principal("identity--00000000-0000-4000-8000-0000000000a9", NODE, "viewer")
    src_submitter = Principal("identity--00000000-0000-4000-8000-0000000000b9", SRC, "sync")
    rel = mk.fimishare_marking_definition("REL", releasable_to=[node_named.user_id, OTHER])
    policy = SharingPolicy(NODE, marking_definitions={**DEFS, rel["id"]: rel})
    holding = Holding(campaign([TLP[tlp], rel["id"]]), SRC, src_submitter.user_id)
    assert policy.may_read(node_named, holding)
    assert policy.may_read(src_submitter, holding)
    assert not policy.may_read(READERS["unnamed_partner"], holding)  # OTHER named, still no
    assert all(policy.release(holding, Recipient(o), "export") is None for o in (SRC, OTHER, NODE, CREATOR))


def test_roles_do_not_override_markings():
    holding = Holding(campaign([TLP["red"]]), NODE, SUBMITTER)
    for role in ("admin", "analyst", "viewer", "sync"):
        assert not POLICY.may_read(Principal("identity--00000000-0000-4000-8000-0000000000a1", NODE, role), holding)


def test_unknown_role_and_channel_rejected():
    with pytest.raises(ValueError):
        Principal("identity--00000000-0000-4000-8000-0000000000a1", NODE, "root")
    with pytest.raises(ValueError):
        POLICY.release(Holding(campaign([]), NODE), RECIPIENTS["named_org"], "email")


# ----------------------------------------------------------------------------- combination
@pytest.mark.parametrize(
    "old, new",
    [
        ("marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", "clear"),
        ("marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "green"),
        ("marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", "amber"),
        ("marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", "red"),
    ],
)
@pytest.mark.parametrize("source", [NODE, SRC])
def test_tlp_1_0_reads_as_2_0(old, new, source):
    assert stix.TLP_1_0_TO_2_0[old] == TLP[new]
    h_old = Holding(campaign([old, REL["id"]]), source, SUBMITTER)
    h_new = Holding(campaign([TLP[new], REL["id"]]), source, SUBMITTER)
    assert readers_allowed(POLICY, h_old) == readers_allowed(POLICY, h_new)
    assert recipients_allowed(POLICY, h_old, "sync") == recipients_allowed(POLICY, h_new, "sync")


@pytest.mark.parametrize(
    "refs, same_as",
    [
        (["green", "amber"], "amber"),
        (["amber", "green", "clear"], "amber"),
        (["clear", "green"], "green"),
        (["amber", "red"], "red"),
        (["amber+strict", "amber"], "amber+strict"),
        (["red", "clear"], "red"),
    ],
)
@pytest.mark.parametrize("source", [NODE, SRC])
def test_most_restrictive_tlp_applies(refs, same_as, source):
    h = Holding(campaign([TLP[r] for r in refs] + [REL["id"]]), source, SUBMITTER)
    ref = Holding(campaign([TLP[same_as], REL["id"]]), source, SUBMITTER)
    assert readers_allowed(POLICY, h) == readers_allowed(POLICY, ref)
    assert recipients_allowed(POLICY, h, "export") == recipients_allowed(POLICY, ref, "export")


def test_tlp_1_white_and_2_clear_together_is_clear():
    h = Holding(campaign(["marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", TLP["clear"]]), SRC)
    assert readers_allowed(POLICY, h) == ALL_READERS


def test_several_releasability_markings_intersect():
    # REL_B names {NAMED_ORG, OTHER}, REL_C names {OTHER}: only OTHER is named by both.
    h = Holding(campaign([TLP["green"], REL_B["id"], REL_C["id"]]), SRC)
    assert POLICY.may_read(READERS["unnamed_partner"], h)
    assert not POLICY.may_read(READERS["named_org_user"], h)
    assert recipients_allowed(POLICY, h, "sync") == {"source_org", "creator_org", "unnamed_org"}


@pytest.mark.parametrize(
    "refs",
    [
        [UNKNOWN_ID],
        [TLP["clear"], UNKNOWN_ID],
        [UNKNOWN_EXT["id"]],
        [FIMI_EXTRA_KEY["id"]],
        [BOGUS_LEVEL["id"]],
        [42],
    ],
)
def test_unknown_marking_fails_closed(refs):
    h = Holding(campaign(refs), NODE, SUBMITTER)
    assert readers_allowed(POLICY, h) == frozenset()
    assert recipients_allowed(POLICY, h, "sync") == frozenset()
    assert POLICY.explain(READERS["node_analyst"], h).startswith("deny")


def test_unknown_marking_in_granular_fails_closed():
    h = Holding(campaign([TLP["clear"]], granular_markings=[{"marking_ref": UNKNOWN_ID, "selectors": ["description"]}]), NODE)
    assert readers_allowed(POLICY, h) == frozenset()


def test_marking_missing_from_mapping_fails_closed():
    policy = SharingPolicy(NODE)  # default mapping: TLP only
    h = Holding(campaign([TLP["green"], REL["id"]]), NODE)
    assert not policy.may_read(READERS["node_analyst"], h)
    assert policy.may_read(READERS["node_analyst"], Holding(campaign([TLP["amber"]]), NODE))


def test_statement_marking_restricts_nothing():
    h = Holding(campaign([STATEMENT["id"]]), SRC)
    assert readers_allowed(POLICY, h) == ALL_READERS


# ----------------------------------------------------------------------------- classification
@pytest.mark.parametrize(
    "clearance, conf_ok, secret_ok",
    [
        (None, False, False),
        ("UNCLASSIFIED", False, False),
        ("RESTRICTED", False, False),
        ("CONFIDENTIAL", True, False),
        ("SECRET", True, True),
        ("NOT-A-LEVEL", False, False),
    ],
)
def test_classification(clearance, conf_ok, secret_ok):
    p = Principal("identity--00000000-0000-4000-8000-0000000000a1", NODE, "analyst", clearance)
    r = Recipient(OTHER, clearance)
    conf = Holding(campaign([TLP["green"], CONF["id"]]), NODE)
    secret = Holding(campaign([TLP["clear"], SECRET["id"], CONF["id"]]), NODE)  # highest applies
    assert POLICY.may_read(p, conf) is conf_ok
    assert POLICY.may_read(p, secret) is secret_ok
    assert (POLICY.release(conf, r, "sync") is not None) is conf_ok
    assert (POLICY.release(secret, r, "sync") is not None) is secret_ok


def test_custom_levels_and_unknown_object_level():
    policy = SharingPolicy(NODE, classification_levels=("OPEN", "CONFIDENTIAL", "SECRET"), marking_definitions=DEFS)
    p = Principal("identity--00000000-0000-4000-8000-0000000000a1", NODE, "analyst", "CONFIDENTIAL")
    assert policy.may_read(p, Holding(campaign([CONF["id"]]), NODE))
    assert not policy.may_read(p, Holding(campaign([SECRET["id"]]), NODE))
    top = Principal("identity--00000000-0000-4000-8000-0000000000a1", NODE, "analyst", "SECRET")
    assert not policy.may_read(top, Holding(campaign([BOGUS_LEVEL["id"]]), NODE))


# ----------------------------------------------------------------------------- exercise
EX_P = Principal("identity--00000000-0000-4000-8000-0000000000a1", NODE, "analyst", exercise=True)
REAL_P = Principal("identity--00000000-0000-4000-8000-0000000000a1", NODE, "analyst")


def ref_obj(otype, refs):
    obj = {
        "type": otype,
        "spec_version": "2.1",
        "id": f"{otype}--6b6f4fa4-6c0c-4b8a-9c51-3f3b0a0e5c12",
        "created": "2024-11-01T00:00:00.000Z",
        "modified": "2024-11-01T00:00:00.000Z",
        "name": "n",
    }
    if refs:
        obj["object_marking_refs"] = refs
    return obj


def test_exercise_data_only_in_exercise_context():
    h = Holding(campaign([TLP["green"], EXERCISE["id"]]), NODE)
    assert POLICY.may_read(EX_P, h)
    assert not POLICY.may_read(REAL_P, h)
    assert POLICY.release(h, Recipient(OTHER, exercise=True), "sync") is not None
    assert POLICY.release(h, Recipient(OTHER), "sync") is None


@pytest.mark.parametrize(
    "otype, refs, ok",
    [
        ("campaign", [TLP["clear"]], False),
        ("campaign", [], False),
        ("identity", [TLP["green"]], True),
        ("marking-definition", [], True),
        ("extension-definition", [], True),
        ("attack-pattern", [TLP["clear"]], True),
        ("attack-pattern", [], True),
        ("attack-pattern", ["marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"], True),
        ("attack-pattern", [TLP["green"]], False),
        ("x-mitre-tactic", [TLP["clear"]], True),
        ("x-mitre-tactic", [TLP["amber"]], False),
        ("identity", [TLP["red"]], False),  # references still obey the other rules
    ],
)
def test_exercise_context_sees_only_reference_real_objects(otype, refs, ok):
    h = Holding(ref_obj(otype, refs), NODE)
    assert POLICY.may_read(EX_P, h) is ok
    assert (POLICY.release(h, Recipient(OTHER, exercise=True), "export") is not None) is ok


# ----------------------------------------------------------------------------- granular
def rich(granular, refs=(TLP["green"],)):
    return campaign(
        list(refs),
        labels=["alpha", "bravo", "charlie"],
        external_references=[
            {"source_name": "euvsdisinfo", "url": "https://example.org/a", "external_id": "EVD-1"},
            {"source_name": "blog", "url": "https://example.org/b"},
        ],
        granular_markings=granular,
    )


def valid(obj):
    result = validate_instance(obj, OPTS)
    return result.is_valid, [str(e) for e in result.errors]


@pytest.mark.parametrize(
    "selector, check",
    [
        ("description", lambda v: "description" not in v),
        ("external_references.[0].url", lambda v: v["external_references"][0] == {"source_name": "euvsdisinfo", "external_id": "EVD-1"}),
        (
            "external_references.[1].url",
            lambda v: v["external_references"] == [{"source_name": "euvsdisinfo", "url": "https://example.org/a", "external_id": "EVD-1"}],
        ),
        ("labels.[1]", lambda v: v["labels"] == ["alpha", "charlie"]),
        ("labels", lambda v: "labels" not in v),
        ("name", lambda v: v["name"] == "[REDACTED]"),
    ],
)
def test_granular_redaction(selector, check):
    obj = rich([{"marking_ref": TLP["red"], "selectors": [selector]}, {"marking_ref": TLP["amber"], "selectors": ["labels.[2]"]}])
    before = copy.deepcopy(obj)
    h = Holding(obj, NODE, SUBMITTER)
    v = POLICY.view(READERS["node_analyst"], h)  # node org: AMBER yes, RED no
    assert v is not None and check(v)
    assert v["description" if selector != "description" else "name"] == obj["description" if selector != "description" else "name"]
    assert valid(v) == (True, [])
    assert obj == before
    # selectors pointing at removed content are gone; remaining indices renumbered
    for gm in v.get("granular_markings", []):
        if gm["marking_ref"] == TLP["red"]:
            assert gm["selectors"] == ["name"]
    if selector == "labels.[1]":
        assert {"marking_ref": TLP["amber"], "selectors": ["labels.[1]"]} in v["granular_markings"]
    # the submitter reads everything
    assert POLICY.view(READERS["submitter"], h) == obj


def test_granular_redaction_for_partner_and_release():
    obj = rich([{"marking_ref": TLP["amber"], "selectors": ["description", "labels.[0]", "external_references"]}])
    h = Holding(obj, NODE)
    v = POLICY.view(READERS["unnamed_partner"], h)
    assert "description" not in v and v["labels"] == ["bravo", "charlie"] and "external_references" not in v
    assert "granular_markings" not in v
    assert valid(v) == (True, [])
    assert POLICY.view(READERS["creator_user"], h) == obj
    r = POLICY.release(h, RECIPIENTS["unnamed_org"], "sync")
    assert r == v
    assert POLICY.release(h, RECIPIENTS["creator_org"], "sync") == obj
    assert "redacted" in POLICY.explain(RECIPIENTS["unnamed_org"], h)


def test_granular_ancestor_selector_covers_children():
    obj = rich(
        [
            {"marking_ref": TLP["red"], "selectors": ["external_references"]},
            {"marking_ref": TLP["clear"], "selectors": ["external_references.[0].url"]},
        ]
    )
    v = POLICY.view(READERS["node_analyst"], Holding(obj, NODE))
    assert "external_references" not in v and "granular_markings" not in v
    assert valid(v) == (True, [])


def test_granular_marking_never_widens():
    obj = rich([{"marking_ref": TLP["clear"], "selectors": ["description"]}], refs=[TLP["amber"]])
    h = Holding(obj, NODE)
    assert not POLICY.may_read(READERS["unnamed_partner"], h)
    assert POLICY.view(READERS["node_analyst"], h) == obj


def test_granular_all_removed_external_reference_entry_dropped():
    obj = rich(
        [
            {"marking_ref": TLP["red"], "selectors": ["external_references.[0].url", "external_references.[0].external_id"]},
            {"marking_ref": TLP["amber"], "selectors": ["external_references.[1].url"]},
        ]
    )
    v = POLICY.view(READERS["node_analyst"], Holding(obj, NODE))
    assert v["external_references"] == [{"source_name": "blog", "url": "https://example.org/b"}]
    assert v["granular_markings"] == [{"marking_ref": TLP["amber"], "selectors": ["external_references.[0].url"]}]
    assert valid(v) == (True, [])


def indicator(pattern, pattern_type):
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--6b6f4fa4-6c0c-4b8a-9c51-3f3b0a0e5c13",
        "created": "2024-11-01T00:00:00.000Z",
        "modified": "2024-11-01T00:00:00.000Z",
        "name": "relay domain",
        "pattern": pattern,
        "pattern_type": pattern_type,
        "valid_from": "2024-11-01T00:00:00Z",
        "object_marking_refs": [TLP["green"]],
        "granular_markings": [{"marking_ref": TLP["red"], "selectors": ["pattern"]}],
    }


def test_required_stix_pattern_cannot_be_redacted_so_object_withheld():
    h = Holding(indicator("[domain-name:value = 'example.org']", "stix"), NODE)
    assert POLICY.view(READERS["node_analyst"], h) is None
    assert "withheld" in POLICY.explain(READERS["node_analyst"], h)
    assert POLICY.view(READERS["submitter"], Holding(h.obj, NODE, SUBMITTER)) == h.obj


def test_required_opaque_pattern_replaced():
    h = Holding(indicator("title: x\ndetection: {}", "sigma"), NODE)
    v = POLICY.view(READERS["node_analyst"], h)
    assert v["pattern"] == "[REDACTED]"
    assert valid(v) == (True, [])


def test_sco_value_with_format_withheld():
    obj = {
        "type": "domain-name",
        "spec_version": "2.1",
        "id": "domain-name--6b6f4fa4-6c0c-4b8a-9c51-3f3b0a0e5c14",
        "value": "example.org",
        "granular_markings": [{"marking_ref": TLP["red"], "selectors": ["value"]}],
    }
    assert POLICY.view(READERS["node_analyst"], Holding(obj, NODE)) is None


def test_structural_property_marked_withholds():
    obj = rich([{"marking_ref": TLP["red"], "selectors": ["created"]}])
    assert POLICY.view(READERS["node_analyst"], Holding(obj, NODE)) is None


def test_fast_path_copies_shallowly_and_never_returns_input():
    obj = rich([], refs=[TLP["green"]])
    del obj["granular_markings"]
    v = POLICY.view(READERS["unnamed_partner"], Holding(obj, SRC))
    assert v == obj and v is not obj
    assert v["labels"] is obj["labels"]  # no deep copy on the common path
    r = POLICY.release(Holding(obj, SRC), RECIPIENTS["unnamed_org"], Channel.EXPORT)
    assert r == obj and r is not obj


def test_explain_is_one_line():
    for h in (Holding(campaign([TLP["red"]]), NODE, SUBMITTER), Holding(campaign([TLP["green"]]), NODE)):
        for who in (*READERS.values(), *RECIPIENTS.values()):
            line = POLICY.explain(who, h)
            assert "\n" not in line and line.split(" ", 1)[0] in ("allow", "deny")
    assert "never released" in POLICY.explain(RECIPIENTS["named_org"], Holding(campaign([TLP["red"]]), NODE))


# ----------------------------------------------------------------------------- marking objects
def test_tlp_2_0_definitions_as_published():
    defs = stix.tlp_marking_definitions()
    assert [d["name"] for d in defs] == ["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"]
    assert defs[0] == {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        "created": "2022-10-01T00:00:00.000Z",
        "name": "TLP:CLEAR",
        "extensions": {
            "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {"extension_type": "property-extension", "tlp_2_0": "clear"}
        },
    }
    assert [d["extensions"][stix.TLP_2_0_EXTENSION]["tlp_2_0"] for d in defs] == ["clear", "green", "amber", "amber+strict", "red"]
    assert [d["id"] for d in defs] == [TLP[k] for k in ("clear", "green", "amber", "amber+strict", "red")]
    for d in defs + stix.tlp_1_0_marking_definitions():
        assert valid(d) == (True, [])


def test_fimishare_marking_definitions_valid():
    for d in (REL, CONF, EXERCISE, mk.fimishare_marking_definition("all", releasable_to=[NODE], classification="SECRET", exercise="X")):
        assert valid(d) == (True, [])
        assert "definition_type" not in d
        assert d["extensions"][mk.FIMISHARE_MARKING_EXTENSION]["extension_type"] == "property-extension"
    assert mk.fimishare_marking_definition("a", exercise="X")["id"] == mk.fimishare_marking_definition("a", exercise="X")["id"]
    with pytest.raises(ValueError):
        mk.fimishare_marking_definition("empty")
    with pytest.raises(ValueError):
        mk.fimishare_marking_definition("bad", releasable_to=["org-a"])
