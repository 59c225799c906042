"""A hostile partner ("Rogue", an analyst of a third organisation) tries to change what the
node decides or serves about other organisations' objects, on every entry path.

EU (this node) holds a campaign released to JP only (AMBER with a releasability marking),
a TLP:GREEN campaign every partner reads, and JP's identity. Rogue tries to redefine the
markings, to version EU's objects, visible or hidden, and to rename JP. Each attempt must
fail with a clear refusal (or, for what Rogue may not read, look exactly like posting a new
object), and nothing may change for EU, JP or Rogue's own view.
"""

from __future__ import annotations

import json
import threading
import uuid

import pytest
from click.testing import CliRunner
from support.profile_bundles import ATTACK_T1566_001, fimi_bundle
from support.stix_factory import relationship, sdo

from fimishare.cli import main
from fimishare.ingest.reference import add_organisation
from fimishare.node import Node, initialise
from fimishare.platform import create_app
from fimishare.sharing import Principal
from fimishare.sharing.markings import fimishare_marking_definition
from fimishare.stix import TLP_AMBER, TLP_GREEN, EntryPath, Role, tlp_marking_definition
from fimishare.store.objects import Provenance

PASSWORD = "adversarial-test-password"
TAXII = "application/taxii+json;version=2.1"
LATER = "2025-01-01T00:00:00.000Z"


class Scene:
    def __init__(self, settings):
        self.settings = settings
        self.env = {"FIMISHARE_HOME": str(settings.home), "FIMISHARE_DATABASE_URL": settings.database_url}
        node = Node(settings)
        eu, _, _ = initialise(node, "EU")
        directory = node.store.directory
        self.jp, _ = add_organisation(directory, node.pipeline, "JP")
        self.rogue, _ = add_organisation(directory, node.pipeline, "Rogue")
        for name, org in (("eu-analyst", eu), ("jp-analyst", self.jp), ("rogue-analyst", self.rogue)):
            directory.add_account(name, org=org.id, role=Role.ANALYST, password=PASSWORD)
        self.to_jp = fimishare_marking_definition("REL TO JP", releasable_to=[self.jp.id], created_by_ref=eu.id)
        self.secret = sdo("campaign", name="Released to JP only", object_marking_refs=[TLP_AMBER, self.to_jp["id"]])
        self.open = sdo("campaign", name="Every partner reads this", object_marking_refs=[TLP_GREEN])
        report = node.pipeline.ingest_objects([self.to_jp, self.secret, self.open], Provenance(eu.id, EntryPath.API))
        assert report.ok, report.errors()
        self.jp_identity = node.store.objects.latest([self.jp.id])[self.jp.id]
        self.collection = node.store.collections.find("fimi/partners").id
        self.node_org = eu.id
        node.close()

    def client(self):
        return create_app(self.settings).test_client()

    def post_api(self, objects: list[dict], account: str = "rogue-analyst") -> tuple[int, dict]:
        response = self.client().post("/api/v1/objects", json=objects, auth=(account, PASSWORD))
        return response.status_code, response.get_json()

    def post_taxii(self, objects: list[dict], account: str = "rogue-analyst") -> dict:
        response = self.client().post(
            f"/taxii2/fimi/collections/{self.collection}/objects/",
            data=json.dumps({"objects": objects}),
            auth=(account, PASSWORD),
            headers={"Accept": TAXII, "Content-Type": TAXII},
        )
        assert response.status_code == 202, response.get_data(as_text=True)
        return response.get_json()

    def read(self, object_id: str, account: str) -> dict | None:
        response = self.client().get(f"/api/v1/objects/{object_id}", auth=(account, PASSWORD))
        return response.get_json() if response.status_code == 200 else None

    def import_file(self, path, org: str) -> tuple[int, str]:
        result = CliRunner().invoke(main, ["import", str(path), "--org", org], env=self.env, catch_exceptions=False)
        return result.exit_code, result.output

    def views(self) -> dict[str, dict | None]:
        """What EU, JP and Rogue read of the three objects."""
        return {
            f"{account}:{name}": self.read(obj["id"], account)
            for account in ("eu-analyst", "jp-analyst", "rogue-analyst")
            for name, obj in (("secret", self.secret), ("open", self.open), ("jp", self.jp_identity))
        }

    def policy_reads(self, account_org: str) -> bool:
        node = Node(self.settings)
        try:
            principal = Principal("identity--00000000-0000-4000-8000-0000000000f1", account_org, Role.ANALYST)
            return node.gate.view(principal, node.store.objects.latest_versions([self.secret["id"]])[self.secret["id"]]) is not None
        finally:
            node.close()


@pytest.fixture
def scene(settings):
    return Scene(settings)


def fimi_bundle_incident() -> dict:
    return next(o for o in fimi_bundle() if o["type"] == "incident")


def newer(obj: dict, **changes) -> dict:
    return {**obj, "modified": LATER, **changes}


def problems_of(body: dict) -> str:
    return " ".join(problem["message"] for outcome in body["objects"] for problem in outcome["problems"])


def test_the_scene_is_as_described(scene):
    views = scene.views()
    assert views["jp-analyst:secret"] and views["eu-analyst:secret"] and views["rogue-analyst:secret"] is None
    assert views["rogue-analyst:open"] == scene.open


def test_a_partner_cannot_redefine_another_organisations_releasability_marking(scene):
    before = scene.views()
    widened = {**scene.to_jp, "created": LATER}
    widened["extensions"] = json.loads(json.dumps(scene.to_jp["extensions"]).replace(scene.jp.id, scene.jp.id + '", "' + scene.rogue.id))
    status, body = scene.post_api([widened])
    assert status == 422 and "never versioned" in problems_of(body) and "new id" in problems_of(body)
    assert not scene.policy_reads(scene.rogue.id) and scene.policy_reads(scene.jp.id)
    assert scene.views() == before


@pytest.mark.parametrize("change", ["drop the releasability", "add an unknown property"])
def test_no_variant_of_a_marking_redefinition_is_stored(scene, change):
    before = scene.views()
    extension = dict(next(iter(scene.to_jp["extensions"].values())))
    if change == "drop the releasability":
        extension["classification"] = "UNCLASSIFIED"
        del extension["releasable_to"]
    else:
        extension["x_widen"] = True
    redefined = {**scene.to_jp, "created": LATER, "extensions": {next(iter(scene.to_jp["extensions"])): extension}}
    status, body = scene.post_api([redefined])
    assert status == 422 and "never versioned" in problems_of(body)
    assert scene.views() == before and scene.policy_reads(scene.jp.id)


def test_the_published_tlp_definitions_are_taken_only_as_published(scene):
    clear_amber = {**tlp_marking_definition("amber"), "extensions": tlp_marking_definition("clear")["extensions"]}
    status, body = scene.post_api([clear_amber])
    assert status == 422 and "only as OASIS publishes it" in problems_of(body)
    status, body = scene.post_api([tlp_marking_definition("amber")])  # the published one: nothing to change
    assert status == 200 and body["unchanged"] == 1


def test_a_partner_cannot_version_another_organisations_object_it_reads(scene):
    before = scene.views()
    status, body = scene.post_api([newer(scene.open, description="rewritten by Rogue", revoked=True)])
    assert status == 422 and "belongs to another organisation" in problems_of(body) and "derived-from" in problems_of(body)
    assert scene.views() == before


def test_a_partner_cannot_rename_another_partner(scene):
    status, body = scene.post_api([{**scene.jp_identity, "modified": "2099-01-01T00:00:00.000Z", "name": "JP (compromised)"}])
    assert status == 422 and "belongs to another organisation" in problems_of(body)
    assert scene.read(scene.jp.id, "eu-analyst")["name"] == "JP"


def test_versioning_a_hidden_object_looks_like_posting_a_new_one_and_changes_nothing(scene):
    before = scene.views()
    status, body = scene.post_api([newer(scene.secret, object_marking_refs=[TLP_GREEN], name="leaked")])
    fresh = sdo("campaign", name="A new object of Rogue's", object_marking_refs=[TLP_GREEN])
    _, fresh_body = scene.post_api([fresh])
    assert status == 200 and body["stored"] == 1 and problems_of(body) == ""
    assert (body["stored"], body["rejected"]) == (fresh_body["stored"], fresh_body["rejected"])
    assert scene.views() == before


def test_a_partner_defining_first_a_marking_id_another_organisations_objects_carry_decides_nothing(scene, settings):
    """EU's object carries a releasability marking EU has not stored yet (no one reads it: an
    unknown marking fails closed). Rogue defines that id first, naming itself: the definition
    marks only Rogue's own objects, so Rogue still reads nothing of EU's."""
    pending = fimishare_marking_definition("REL TO JP (pending)", releasable_to=[scene.jp.id], created_by_ref=scene.node_org)
    waiting = sdo("campaign", name="Waiting for its marking", object_marking_refs=[TLP_AMBER, pending["id"]])
    assert scene.post_api([waiting], account="eu-analyst")[0] == 200
    usurped = {**pending, "name": "mine", "extensions": json.loads(json.dumps(pending["extensions"]).replace(scene.jp.id, scene.rogue.id))}
    own = sdo("campaign", name="Rogue's own, under that marking", object_marking_refs=[TLP_AMBER, pending["id"]])
    status, body = scene.post_api([usurped, own])
    assert status == 200 and body["stored"] == 2
    assert scene.read(waiting["id"], "rogue-analyst") is None and scene.read(waiting["id"], "jp-analyst") is None
    assert scene.read(own["id"], "rogue-analyst") == own  # it means what Rogue said, for Rogue's objects
    node = Node(settings)
    stored = node.store.objects.latest_versions([waiting["id"]])[waiting["id"]]
    assert "defined by" in node.gate.explain(
        Principal("identity--00000000-0000-4000-8000-0000000000f1", scene.rogue.id, Role.ANALYST), stored
    )
    node.close()
    status, body = scene.post_api([pending], account="eu-analyst")
    assert status == 422 and "new id" in problems_of(body)  # EU is told, and marks with a new id


def test_the_same_refusals_hold_over_taxii_and_cli_import(scene, tmp_path):
    before = scene.views()
    status = scene.post_taxii([newer(scene.open, name="via TAXII")])
    assert status["failure_count"] == 1 and "belongs to another organisation" in status["failures"][0]["message"]
    bundle = tmp_path / "rogue.json"
    bundle.write_text(json.dumps([newer(scene.open, name="via import"), {**scene.to_jp, "created": LATER, "name": "mine now"}]))
    code, output = scene.import_file(bundle, "Rogue")
    assert code == 1 and "belongs to another organisation" in output and "never versioned" in output
    assert scene.views() == before


def test_the_owner_still_versions_and_revokes_its_own_objects(scene):
    status, body = scene.post_api([newer(scene.open, description="second version")], account="eu-analyst")
    assert status == 200 and body["stored"] == 1
    assert scene.read(scene.open["id"], "jp-analyst")["description"] == "second version"
    status, body = scene.post_api([{**scene.open, "modified": "2025-02-01T00:00:00.000Z", "revoked": True}], account="eu-analyst")
    assert status == 200 and body["stored"] == 1
    status, body = scene.post_api([scene.open], account="rogue-analyst")  # an unchanged copy changes nothing
    assert status == 200 and body["unchanged"] == 1


def _answer(scene, objects: list[dict], hidden: str, stand_in: str) -> list[tuple[str, list[str]]]:
    """What Rogue is told, per object, with the probed id written as "<ref>"."""
    _, body = scene.post_api(objects)
    return [
        (o["status"], sorted(p["message"].replace(hidden, "<ref>").replace(stand_in, "<ref>") for p in o["problems"]))
        for o in body["objects"]
    ]


def _probes(scene, target: dict) -> dict[str, list[dict]]:
    """Objects of Rogue's that refer to `target`: a technique use under the FIMI profile, a
    sighting of it, a plain relationship to it (fresh ids each time)."""
    incident = {**fimi_bundle_incident(), "id": f"incident--{uuid.uuid4()}"}
    return {
        "uses": [incident, relationship(incident, "uses", target)],
        "sighting": [sdo("sighting", sighting_of_ref=target["id"])],
        "related-to": [relationship(incident, "related-to", target)],
    }


def test_ingest_answers_about_a_hidden_object_are_those_about_an_absent_one(scene, settings):
    """A reference to an object Rogue may not read gets the warnings a reference to no object
    gets: none names its technique id or tells that it exists."""
    hidden_technique = {**ATTACK_T1566_001, "object_marking_refs": [TLP_AMBER, scene.to_jp["id"]]}
    node = Node(settings)
    node.pipeline.ingest_objects([hidden_technique], Provenance(scene.node_org, EntryPath.IMPORT))
    node.close()
    absent_technique = {**hidden_technique, "id": f"attack-pattern--{uuid.uuid4()}"}
    absent_campaign = {**scene.secret, "id": f"campaign--{uuid.uuid4()}"}
    for target, stand_in in ((hidden_technique, absent_technique), (scene.secret, absent_campaign)):
        for name, probe in _probes(scene, target).items():
            absent = [json.loads(json.dumps(o).replace(target["id"], stand_in["id"])) for o in probe]
            absent = [{**o, "id": f"{o['type']}--{uuid.uuid4()}"} for o in absent]
            told = _answer(scene, probe, target["id"], stand_in["id"])
            assert told == _answer(scene, absent, target["id"], stand_in["id"]), (name, told)
            assert "T1566" not in json.dumps(told)
    # What Rogue may read is resolved as ever: a technique it reads is checked, and named.
    readable = {**ATTACK_T1566_001, "id": f"attack-pattern--{uuid.uuid4()}", "object_marking_refs": [TLP_GREEN]}
    told = _answer(scene, [readable, *_probes(scene, readable)["uses"]], readable["id"], readable["id"])
    assert "T1566.001" in json.dumps(told)


def test_a_right_guess_of_a_hidden_version_is_answered_as_a_wrong_one(scene, settings):
    """EU's campaign was AMBER to JP in its first version and is GREEN now: Rogue reads the
    second but not the first, and guessing the first's content must teach it nothing."""
    first = sdo("campaign", name="Told to JP first", object_marking_refs=[TLP_AMBER, scene.to_jp["id"]])
    node = Node(settings)
    node.pipeline.ingest_objects([first, newer(first, object_marking_refs=[TLP_GREEN])], Provenance(scene.node_org, EntryPath.API))
    node.close()
    assert scene.read(first["id"], "rogue-analyst")["modified"] == LATER
    right = _answer(scene, [first], first["id"], first["id"])
    wrong = _answer(scene, [{**first, "name": "A wrong guess"}], first["id"], first["id"])
    assert right == wrong and right[0][0] == "rejected" and "belongs to another organisation" in right[0][1][0]
    # And over an object Rogue reads nothing of, both look like posting a new object.
    right = _answer(scene, [scene.secret], scene.secret["id"], scene.secret["id"])
    wrong = _answer(scene, [{**scene.secret, "name": "A wrong guess"}], scene.secret["id"], scene.secret["id"])
    assert right == wrong == [("stored", [])]
    # JP, who reads the first version, is told it is unchanged.
    assert scene.post_api([first], account="jp-analyst")[1]["unchanged"] == 1


def _post_at_once(node, start: threading.Barrier, org: str, version: dict, reports: dict) -> None:
    start.wait()
    reports[org] = node.pipeline.ingest_objects([version], Provenance(org, EntryPath.API))


def test_two_organisations_posting_the_first_versions_of_one_id_at_once_cannot_both_hold_it(node):
    """Authority is judged inside the write transaction: of two concurrent first versions
    from two organisations, one is stored and the other refused, every time."""
    directory = node.store.directory
    orgs = [add_organisation(directory, node.pipeline, name)[0].id for name in ("First", "Second")]
    for round_ in range(8):
        object_id = f"campaign--{uuid.uuid4()}"
        start = threading.Barrier(2)
        reports: dict = {}
        versions = [
            (org, sdo("campaign", id=object_id, name=f"{org} round {round_}", modified=f"2025-01-01T00:{minute:02d}:00.000Z"))
            for minute, org in enumerate(orgs)
        ]
        threads = [threading.Thread(target=_post_at_once, args=(node, start, org, version, reports)) for org, version in versions]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(report.stored for report in reports.values()) == [0, 1], round_
        holders = {version.source_org for version in node.store.objects.versions(object_id)}
        assert len(holders) == 1 and len(node.store.objects.versions(object_id)) == 1


@pytest.mark.parametrize("engine", ["embedded", pytest.param("elasticsearch", marks=pytest.mark.elasticsearch)])
def test_search_facets_and_filters_show_nothing_under_a_granular_marking(node, engine, request):
    """An intrusion-set's aliases and a technique's ATT&CK id under a RED granular marking: a
    partner's analyst reads the objects, but neither the values nor a match on them."""
    from fimishare.search import open_engine
    from fimishare.search.indexer import Indexer
    from fimishare.search.query import SearchQuery, parse_filters
    from fimishare.stix import TLP_RED

    search = node.search
    if engine == "elasticsearch":
        from dataclasses import replace

        url = request.getfixturevalue("elasticsearch_url")
        search = open_engine(replace(node.settings, elasticsearch_url=url, elasticsearch_index=f"adversarial-{id(node)}"))
        search.reset()
    red = [{"marking_ref": TLP_RED, "selectors": ["aliases"]}]
    actor = sdo("intrusion-set", name="Storm-1516", aliases=["Hidden Alias"], object_marking_refs=[TLP_GREEN], granular_markings=red)
    technique = sdo(
        "attack-pattern",
        name="Phishing",
        object_marking_refs=[TLP_GREEN],
        external_references=[{"source_name": "mitre-attack", "external_id": "T1566"}],
        granular_markings=[{"marking_ref": TLP_RED, "selectors": ["external_references"]}],
    )
    node_org = node.store.node_organisation_id()
    assert node.pipeline.ingest_objects([actor, technique], Provenance(node_org, EntryPath.API)).ok
    Indexer(node.store, node.gate, search).drain()
    rogue = Principal("identity--00000000-0000-4000-8000-0000000000f1", "identity--00000000-0000-4000-8000-0000000000f2", Role.ANALYST)
    readable = node.gate.readable(rogue)

    everything = search.search(SearchQuery(size=50), readable)
    assert {actor["id"], technique["id"]} <= {hit.id for hit in everything.hits}
    assert "Hidden Alias" not in everything.facets.get("actors", {}) and "Storm-1516" in everything.facets["actors"]
    assert "T1566" not in everything.facets.get("techniques", {})
    assert search.search(SearchQuery(filters=parse_filters(["actor=Hidden Alias"]), size=50), readable).total == 0
    assert search.search(SearchQuery(filters=parse_filters(["technique=T1566"]), size=50), readable).total == 0
    assert search.search(SearchQuery("Hidden Alias", size=50), readable).total == 0
    assert search.search(SearchQuery(filters=parse_filters(["actor=Storm-1516"]), size=50), readable).total == 1
    if engine == "elasticsearch":
        search.drop()


def _token(value) -> str:
    import base64

    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


@pytest.mark.parametrize(
    "path, params",
    [
        ("/api/v1/search", {"q": "storm\x00"}),
        ("/api/v1/search", {"filter": "actor=Storm\x00"}),
        ("/api/v1/search", {"after": _token([2**63 + 5, "campaign--x"])}),
        ("/api/v1/search", {"after": _token(["\x00", "campaign--x"])}),
        ("/api/v1/search", {"after": _token([True, "campaign--x"])}),
        ("/api/v1/lookup", {"value": "evil\x00.example"}),
        ("TAXII", {"next": "9999999999999999999-9999999999999999999"}),
        ("TAXII", {"added_after": "9999-99-99T99:99:99Z"}),
    ],
)
def test_hostile_tokens_and_control_characters_get_a_400_naming_the_problem(scene, path, params):
    if path == "TAXII":
        path, headers = f"/taxii2/fimi/collections/{scene.collection}/objects/", {"Accept": TAXII}
    else:
        headers = {}
    response = scene.client().get(path, query_string=params, auth=("rogue-analyst", PASSWORD), headers=headers)
    body = response.get_json()
    assert response.status_code == 400, (response.status_code, body)
    assert (body.get("error") or body.get("description")) not in (None, "", "internal server error")


def test_one_odd_object_loses_nothing_else_in_the_file(node):
    """A file from a partner: the OASIS validator judges each object alone, and so does ingest."""
    from support.stix_factory import indicator

    good = [indicator(), sdo("campaign", name="neighbour")]
    odd_creator = {
        "type": "domain-name",
        "spec_version": "2.1",
        "id": "domain-name--3c10e93f-798e-5a26-a0c1-08156efab7f5",
        "value": "example.com",
        "created_by_ref": ["identity--311b2d2d-f010-4473-83ec-1edf84858f4c"],  # valid for OASIS: custom SCOs may
    }
    odd_markings = [sdo("campaign", name=f"odd {i}", granular_markings=value) for i, value in enumerate(("a string", ["x"], {}, 7))]
    source = Provenance(node.store.node_organisation_id(), EntryPath.IMPORT)
    report = node.pipeline.ingest_objects([good[0], odd_creator, *odd_markings, good[1]], source)
    statuses = {outcome.id: outcome.status for outcome in report.outcomes}
    assert [statuses[obj["id"]] for obj in good] == ["stored", "stored"]
    assert statuses[odd_creator["id"]] == "stored"
    for obj in odd_markings:
        outcome = next(o for o in report.outcomes if o.id == obj["id"])
        assert outcome.status == "rejected" and any(p.path.startswith("$.granular_markings") for p in outcome.problems), outcome
    assert set(node.store.objects.latest([*(o["id"] for o in good), odd_creator["id"]])) == {*(o["id"] for o in good), odd_creator["id"]}


def _odd_file() -> tuple[bytes, list[dict], dict[str, str]]:
    """A list of objects as raw JSON: valid neighbours around objects holding what the store
    could not keep exactly; (bytes, neighbours, {odd object's id: the path it is rejected at})."""
    neighbours = [sdo("campaign", name="first neighbour"), sdo("campaign", name="last neighbour")]
    deep: list = []
    for _ in range(150):
        deep = [deep]
    odd = {
        "huge integer": sdo("campaign", x_count="HUGE"),
        "number past a double": sdo("campaign", x_ratio="INFINITE"),
        "nested 150 deep": sdo("campaign", x_deep=deep),
        "lone surrogate": sdo("campaign", description="\ud800 broken"),
        "huge integer in a list": sdo("campaign", x_counts=[1, 2, "HUGE"]),
    }
    raw = json.dumps([neighbours[0], *odd.values(), neighbours[1]])
    raw = raw.replace('"HUGE"', str(2**64 + 1)).replace('"INFINITE"', "1e400")
    paths = {
        odd["huge integer"]["id"]: "$.x_count",
        odd["number past a double"]["id"]: "$.x_ratio",
        odd["nested 150 deep"]["id"]: "$.x_deep",
        odd["lone surrogate"]["id"]: "$.description",
        odd["huge integer in a list"]["id"]: "$.x_counts[2]",
    }
    return raw.encode(), neighbours, paths


def test_values_the_store_cannot_keep_exactly_reject_their_object_alone(scene, tmp_path):
    """Integers beyond 64 bits (read as floats by the JSON parser), numbers past a double,
    lone surrogates and deep nesting: each rejects its own object with the path, on every
    entry path; the neighbours are stored, and no value is ever rounded."""
    raw, neighbours, paths = _odd_file()
    path = tmp_path / "odd.json"
    path.write_bytes(b"\xef\xbb\xbf" + raw)  # as Windows tools write it: the byte order mark is skipped
    code, output = scene.import_file(path, "Rogue")
    assert code == 1
    for object_id, where in paths.items():
        assert f"{object_id}" in output and where in output, (object_id, where, output)
    assert all(scene.read(obj["id"], "rogue-analyst") for obj in neighbours)

    response = scene.client().post("/api/v1/objects", data=raw, content_type="application/json", auth=("rogue-analyst", PASSWORD))
    body = response.get_json()
    assert response.status_code == 422, body
    rejected = {o["id"]: o["problems"][0]["path"] for o in body["objects"] if o["status"] == "rejected"}
    assert rejected == paths
    assert "64 bits" in problems_of(body) and "nested deeper than" in problems_of(body) and "surrogate" in problems_of(body)

    taxii = scene.client().post(
        f"/taxii2/fimi/collections/{scene.collection}/objects/",
        data=b'{"objects": ' + raw + b"}",
        auth=("rogue-analyst", PASSWORD),
        headers={"Accept": TAXII, "Content-Type": TAXII},
    )
    status = taxii.get_json()
    assert taxii.status_code == 202, status
    assert {failure["id"] for failure in status["failures"]} == set(paths)
    for object_id in paths:
        assert scene.read(object_id, "rogue-analyst") is None


@pytest.mark.parametrize(
    "envelope, named",
    [
        ({"type": "bundle", "id": "bundle--1234"}, "$.id"),
        ({"type": "bundle", "id": "campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}, "$.id"),
        ({"type": "bundle"}, "'id'"),
    ],
)
def test_a_bundle_whose_envelope_is_not_valid_stix_is_refused_whole(scene, tmp_path, envelope, named):
    inside = sdo("campaign", name="inside a broken bundle", object_marking_refs=[TLP_GREEN])
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps({**envelope, "objects": [inside]}))
    code, output = scene.import_file(path, "Rogue")
    assert code == 1 and "not a valid STIX bundle" in output and named in output
    status, body = scene.post_api({**envelope, "objects": [inside]})
    assert status == 422 and "not a valid STIX bundle" in " ".join(body["errors"])
    assert scene.read(inside["id"], "eu-analyst") is None


def test_the_api_holds_a_partner_to_the_taxii_roots_body_limit(scene):
    """A partner's analyst may not post through the API what the TAXII roots would refuse;
    an administrator of this node may (bulk loads), up to the node's own limit."""
    node = Node(scene.settings)
    root_limit = max(root.max_content_length for root in node.store.collections.roots())
    node.store.directory.add_account("eu-admin", org=scene.node_org, role=Role.ADMIN, password=PASSWORD)
    node.close()
    assert root_limit < scene.settings.max_bundle_bytes
    big = sdo("campaign", name="big", description="x" * root_limit, object_marking_refs=[TLP_GREEN])
    for account in ("rogue-analyst", "eu-analyst"):
        status, body = scene.post_api([big], account=account)
        assert status == 413 and f"{root_limit:,} bytes" in body["error"], body
    assert scene.read(big["id"], "eu-analyst") is None
    status, body = scene.post_api([big], account="eu-admin")
    assert status == 200 and body["stored"] == 1
