"""Property tests: the policy never hands out what the table in docs/sharing-policy.md denies.

The oracle below is written independently of fimishare.sharing.policy, straight from the
table, and works on the *generation parameters* (which TLP, who is named, ...) rather than
on parsed markings.
"""

from __future__ import annotations

import copy
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stix2validator import ValidationOptions, validate_instance

from fimishare import stix
from fimishare.sharing import Channel, Holding, Principal, Recipient, SharingPolicy
from fimishare.sharing import markings as mk
from fimishare.sharing.access import access_class_of

NODE = "identity--10000000-0000-4000-8000-000000000000"
ORGS = [NODE] + [f"identity--10000000-0000-4000-8000-00000000000{i}" for i in range(1, 5)]
# people: (user id, org)
PEOPLE = [(f"identity--20000000-0000-4000-8000-0000000000{i:02d}", ORGS[i % len(ORGS)]) for i in range(10)]
PERSON_IDS = [u for u, _ in PEOPLE]
LEVELS = ("UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL", "SECRET")

# id -> TLP name, written out literally (TLP 1.0 ids read as their 2.0 equivalent)
TLP_IDS = {
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": "clear",
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": "green",
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": "amber",
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": "amber+strict",
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": "red",
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "clear",  # TLP 1.0 WHITE
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "green",
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "amber",
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "red",
}
ORDER = ["clear", "green", "amber", "amber+strict", "red"]
UNKNOWN = "marking-definition--99999999-9999-4999-8999-999999999999"

SELECTORS = [
    "name",
    "description",
    "labels",
    "labels.[0]",
    "labels.[1]",
    "labels.[2]",
    "external_references",
    "external_references.[0].url",
    "external_references.[1].url",
]
SENTINELS = {  # property path -> the unique value stored there
    "name": "sentinel-name",
    "description": "sentinel-description",
    "labels.[0]": "sentinel-label-0",
    "labels.[1]": "sentinel-label-1",
    "labels.[2]": "sentinel-label-2",
    "external_references.[0].url": "https://example.org/sentinel-url-0",
    "external_references.[1].url": "https://example.org/sentinel-url-1",
}


# ------------------------------------------------------------------------------- markings
# A marking spec is a tuple: ("tlp", id) | ("rel", frozenset) | ("cls", level) | ("ex",) | ("unknown",)
tlp_spec = st.sampled_from(sorted(TLP_IDS)).map(lambda i: ("tlp", i))
rel_spec = st.frozensets(st.sampled_from(ORGS + PERSON_IDS), min_size=1, max_size=4).map(lambda s: ("rel", s))
cls_spec = st.sampled_from(LEVELS).map(lambda lv: ("cls", lv))
ex_spec = st.just(("ex",))
unknown_spec = st.just(("unknown",))
common_spec = st.one_of(tlp_spec, tlp_spec, tlp_spec, rel_spec, cls_spec, ex_spec)


def marking_object(spec):
    kind = spec[0]
    if kind == "rel":
        return mk.fimishare_marking_definition("REL", releasable_to=sorted(spec[1]))
    if kind == "cls":
        return mk.fimishare_marking_definition(spec[1], classification=spec[1])
    if kind == "ex":
        return mk.fimishare_marking_definition("EX", exercise="EX-1")
    return None


def marking_id(spec):
    if spec[0] == "tlp":
        return spec[1]
    if spec[0] == "unknown":
        return UNKNOWN
    return marking_object(spec)["id"]


@st.composite
def scenarios(draw):
    otype = draw(st.sampled_from(["campaign", "campaign", "campaign", "identity", "attack-pattern"]))
    obj_specs = draw(st.lists(st.one_of(common_spec, unknown_spec) if draw(st.integers(0, 19)) == 0 else common_spec, max_size=4))
    granular = draw(st.lists(st.tuples(common_spec, st.lists(st.sampled_from(SELECTORS), min_size=1, max_size=3, unique=True)), max_size=4))
    source = draw(st.sampled_from([NODE, NODE] + ORGS[1:]))
    creator = draw(st.one_of(st.none(), st.sampled_from(ORGS)))
    submitter = draw(st.one_of(st.none(), st.sampled_from(PERSON_IDS)))
    return otype, obj_specs, granular, source, creator, submitter


def build(otype, obj_specs, granular, creator):
    obj = {
        "type": otype,
        "spec_version": "2.1",
        "id": f"{otype}--6b6f4fa4-6c0c-4b8a-9c51-3f3b0a0e5c11",
        "created": "2024-11-01T00:00:00.000Z",
        "modified": "2024-11-01T00:00:00.000Z",
        "name": SENTINELS["name"],
        "description": SENTINELS["description"],
        "labels": [SENTINELS["labels.[0]"], SENTINELS["labels.[1]"], SENTINELS["labels.[2]"]],
        "external_references": [
            {"source_name": "src-0", "url": SENTINELS["external_references.[0].url"]},
            {"source_name": "src-1", "url": SENTINELS["external_references.[1].url"]},
        ],
    }
    if otype == "identity":
        obj["identity_class"] = "organization"
    if creator:
        obj["created_by_ref"] = creator
    if obj_specs:
        obj["object_marking_refs"] = list(dict.fromkeys(marking_id(s) for s in obj_specs))
    if granular:
        obj["granular_markings"] = [{"marking_ref": marking_id(s), "selectors": sels} for s, sels in granular]
    defs = dict(mk.default_marking_definitions())
    for s in list(obj_specs) + [g[0] for g in granular]:
        m = marking_object(s)
        if m:
            defs[m["id"]] = m
    return obj, defs


# ------------------------------------------------------------------------------- the oracle
def oracle(kind, org, user, clearance, exercise, specs, otype, obj_specs, source, creator, submitter, node=NODE):
    """The table, literally. ``specs`` are all markings that apply to the content judged;
    ``node`` is this node's organisation (tests/test_authority_properties.py reads with a real node's)."""
    if any(s[0] == "unknown" for s in specs):
        return False
    # exercise separation
    is_exercise = any(s[0] == "ex" for s in specs)
    if is_exercise and not exercise:
        return False
    if exercise and not is_exercise:
        reference = otype == "identity" or (
            otype == "attack-pattern" and all(s[0] == "tlp" and TLP_IDS[s[1]] == "clear" for s in obj_specs)
        )
        if not reference:
            return False
    # classification
    levels = [LEVELS.index(s[1]) for s in specs if s[0] == "cls"]
    mine = LEVELS.index(clearance) if clearance else 0
    if levels and max(levels) > mine:
        return False
    # TLP: the most restrictive; none at all is green
    tlps = [ORDER.index(TLP_IDS[s[1]]) for s in specs if s[0] == "tlp"]
    tlp = ORDER[max(tlps)] if tlps else "green"
    # releasability: every list must name it
    rels = [s[1] for s in specs if s[0] == "rel"]
    named = frozenset.intersection(*rels) if rels else None
    partner = source != node
    if kind == "read":
        if tlp in ("amber+strict", "red") and partner and org not in (node, source):
            return False
        if submitter is not None and user == submitter:
            return True
        if tlp == "red":
            return named is not None and user in named
        if tlp in ("clear", "green") and named is None:
            return True
        if org in (node, source, creator):
            return True
        return named is not None and (org in named or user in named)
    # release (sync / export / taxii)
    if tlp == "red":
        return False
    if tlp == "amber+strict" and partner:
        return False
    if tlp in ("amber", "amber+strict"):
        return org == creator or (named is not None and org in named)
    if named is None:
        return True
    return org in (node, source, creator) or org in named


def covering(path, granular):
    out = []
    for spec, sels in granular:
        if any(path == s or path.startswith(s + ".") for s in sels):
            out.append(spec)
    return out


def check(kind, org, user, clearance, exercise, scenario, result):
    otype, obj_specs, granular, source, creator, submitter = scenario
    args = (otype, obj_specs, source, creator, submitter)
    object_ok = oracle(kind, org, user, clearance, exercise, list(obj_specs), *args)
    # objects here never need withholding for validity (name is replaceable, the rest removable)
    assert (result is not None) == object_ok
    if result is None:
        return
    text = json.dumps(result)
    for path, value in SENTINELS.items():
        # content is visible when its own markings allow it and no selected container it is
        # in (e.g. "labels" for "labels.[0]") is denied: a denied container hides its content
        selected = {s for _, sels in granular for s in sels}
        containers = [p for p in selected if path == p or path.startswith(p + ".")] + [path]
        ok = all(oracle(kind, org, user, clearance, exercise, list(obj_specs) + covering(p, granular), *args) for p in containers)
        if not ok:
            assert value not in text, f"{path} leaked"
            if path == "name":
                assert result["name"] == "[REDACTED]"
        else:
            assert value in text, f"{path} withheld though allowed"
    if result.get("granular_markings") or granular:
        r = validate_instance(result, ValidationOptions(version="2.1"))
        assert r.is_valid, [str(e) for e in r.errors]


people = st.sampled_from(PEOPLE)
clearances = st.one_of(st.none(), st.sampled_from(LEVELS))
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(scenarios(), people, st.sampled_from(["admin", "analyst", "viewer", "sync"]), clearances, st.booleans())
def test_view_never_shows_what_the_table_denies(scenario, person, role, clearance, exercise):
    otype, obj_specs, granular, source, creator, submitter = scenario
    obj, defs = build(otype, obj_specs, granular, creator)
    before = copy.deepcopy(obj)
    policy = SharingPolicy(NODE, LEVELS, defs)
    user, org = person
    result = policy.view(Principal(user, org, role, clearance, exercise), Holding(obj, source, submitter))
    assert obj == before, "view mutated its input"
    check("read", org, user, clearance, exercise, scenario, result)


@SETTINGS
@given(scenarios(), st.sampled_from(ORGS), clearances, st.booleans())
def test_release_never_sends_what_the_table_denies(scenario, org, clearance, exercise):
    otype, obj_specs, granular, source, creator, submitter = scenario
    obj, defs = build(otype, obj_specs, granular, creator)
    before = copy.deepcopy(obj)
    policy = SharingPolicy(NODE, LEVELS, defs)
    holding = Holding(obj, source, submitter)
    recipient = Recipient(org, clearance, exercise)
    results = [policy.release(holding, recipient, ch) for ch in Channel]
    assert obj == before, "release mutated its input"
    assert results[0] == results[1]
    tlps = {TLP_IDS[s[1]] for s in obj_specs if s[0] == "tlp"}
    if "red" in tlps or ("amber+strict" in tlps and source != NODE):
        assert results[0] is None
    check("release", org, None, clearance, exercise, scenario, results[0])


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from(sorted(TLP_IDS)), min_size=1, max_size=3),
    st.sampled_from(ORGS[1:]),
    st.sampled_from(ORGS),
    st.one_of(st.none(), st.sampled_from(PERSON_IDS)),
)
def test_partner_red_and_amber_strict_never_released(tlp_ids, source, org, submitter):
    if not {"red", "amber+strict"} & {TLP_IDS[i] for i in tlp_ids}:
        tlp_ids = tlp_ids + [stix.TLP_AMBER_STRICT]
    rel = mk.fimishare_marking_definition("REL", releasable_to=ORGS)
    policy = SharingPolicy(NODE, marking_definitions={**mk.default_marking_definitions(), rel["id"]: rel})
    obj = {
        "type": "campaign",
        "spec_version": "2.1",
        "id": "campaign--6b6f4fa4-6c0c-4b8a-9c51-3f3b0a0e5c11",
        "created": "2024-11-01T00:00:00.000Z",
        "modified": "2024-11-01T00:00:00.000Z",
        "name": "n",
        "created_by_ref": org,
        "object_marking_refs": tlp_ids + [rel["id"]],
    }
    for ch in Channel:
        assert policy.release(Holding(obj, source, submitter), Recipient(org, "SECRET"), ch) is None


@settings(max_examples=200, deadline=None)
@given(
    scenarios(),
    st.sampled_from(ORGS[1:]),
    st.sampled_from([stix.TLP_RED, stix.TLP_AMBER_STRICT, "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"]),
    people,
    clearances,
)
def test_partner_red_and_amber_strict_read_only_by_node_and_source_orgs(scenario, source, restrictive, person, clearance):
    otype, obj_specs, granular, _, creator, submitter = scenario
    obj_specs = [*obj_specs, ("tlp", restrictive)]
    obj, defs = build(otype, obj_specs, granular, creator)
    user, org = person
    result = SharingPolicy(NODE, LEVELS, defs).view(Principal(user, org, "admin", clearance), Holding(obj, source, submitter))
    if org not in (NODE, source):
        assert result is None
    check("read", org, user, clearance, False, (otype, obj_specs, granular, source, creator, submitter), result)


@SETTINGS
@given(scenarios(), people, st.sampled_from(["admin", "analyst", "viewer", "sync"]), clearances, st.booleans(), st.sampled_from(ORGS))
def test_the_access_class_decides_as_the_object_does(scenario, person, role, clearance, exercise, recipient_org):
    """Queries filter by access class (TAXII, the API): the class must decide exactly as the
    object-level policy, and granular markings may only narrow that further."""
    otype, obj_specs, granular, source, creator, submitter = scenario
    obj, defs = build(otype, obj_specs, granular, creator)
    policy = SharingPolicy(NODE, LEVELS, defs)
    holding = Holding(obj, source, submitter)
    access = access_class_of(obj, source, submitter)
    principal = Principal(person[0], person[1], role, clearance, exercise)
    recipient = Recipient(recipient_org, clearance, exercise)
    read = policy.view(principal, holding)
    released = policy.release(holding, recipient, Channel.SYNC)
    if granular:
        assert read is None or policy.may_read_class(principal, access)
        assert released is None or policy.may_release_class(recipient, access)
    else:
        assert policy.may_read_class(principal, access) == (read is not None)
        assert policy.may_release_class(recipient, access) == (released is not None)
