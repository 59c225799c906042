"""TAXII 2.1 at /taxii2/ over real HTTP: `fimishare serve` (gunicorn) on loopback.

The partners' side is what a partner would run: taxii2-client (and stix2's TAXII data source
and sink over it); raw `requests` where exact status codes, headers and bodies matter.

One server per database kind for the whole module. Every test makes its own objects (fresh
ids) and, where it counts what a collection holds, its own collection, whose filter (a
marking no object carries) keeps everything out but what is posted into it; so the tests do
not depend on each other's order. Tests of one module run one at a time in a process, so
counting rows in the store before and after a request measures that request alone.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import orjson
import pytest
import requests
from sqlalchemy import create_engine, func, select
from stix2 import Filter
from stix2 import v21 as stix
from stix2.datastore.taxii import TAXIICollectionSink, TAXIICollectionSource
from support.live_server import TAXII, node_cli, serving, taxii_request
from support.services import DATABASE_KINDS, new_database
from support.stix_factory import T0, bundle, indicator, relationship, sdo
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages

from fimishare.config import Settings
from fimishare.node import Node
from fimishare.sharing import Holding
from fimishare.sharing.markings import fimishare_marking_definition
from fimishare.sharing.principals import Principal
from fimishare.stix import TLP_AMBER, TLP_AMBER_STRICT, TLP_GREEN, TLP_RED
from fimishare.store.layout import DEFAULT_MAX_CONTENT_LENGTH
from fimishare.store.schema import collection_entries, object_versions, taxii_statuses, timelines
from fimishare.store.timeline import STORE_TIMELINE, from_timestamp, to_timestamp

STIX = "application/stix+json;version=2.1"
STIX_MEDIA_TYPES = [STIX, "application/stix+json;version=2.0"]
PASSWORD = "correct horse battery"
SMALL_ROOT_MAX = 2000
BULK_OBJECTS = 10_000
T1 = "2024-11-02T09:00:00.000Z"


# --------------------------------------------------------------------------- the node


@dataclass
class Account:
    name: str
    secret: str  # API key (machine accounts) or password
    identity: str
    org: str  # the organisation's name
    role: str

    @property
    def auth(self) -> tuple[str, str]:
        return (self.name, self.secret)


@dataclass
class TaxiiNode:
    base: str
    env: dict[str, str]
    cli: object
    engine: object
    orgs: dict[str, str]  # name -> identity id
    accounts: dict[str, Account]
    collections: dict[str, str]  # "root/alias" -> id
    session: requests.Session = field(default_factory=requests.Session)

    # -- raw HTTP ------------------------------------------------------------

    def request(self, method: str, path: str, account: str | None = "jp-sync", **options) -> requests.Response:
        """One request to /taxii2/<path> (see live_server.taxii_request for the options)."""
        auth = self.accounts[account].auth if account else None
        return taxii_request(self.session, method, f"{self.base}/taxii2/{path}", auth, **options)

    def get(self, path: str, account: str = "jp-sync", **params) -> tuple[dict, requests.structures.CaseInsensitiveDict]:
        response = self.request("GET", path, account, params=params)
        assert response.status_code == 200, (path, params, response.text)
        assert response.headers["Content-Type"] == TAXII
        return response.json(), response.headers

    def post(self, collection: str, objects: list, account: str = "jp-sync") -> dict:
        """POST an envelope into ``collection`` ("root/alias" or "root/<id>"); the status resource."""
        response = self.request("POST", f"{self.path(collection)}objects/", account, body={"objects": objects})
        assert response.status_code == 202, response.text
        assert response.headers["Content-Type"] == TAXII
        status = response.json()
        assert status["status"] == "complete" and status["pending_count"] == 0
        return status

    def path(self, collection: str) -> str:
        """'root/alias' (or 'root/<id>') -> 'root/collections/<id>/'."""
        root, _, name = collection.partition("/")
        return f"{root}/collections/{self.collections.get(collection, name)}/"

    def pages(self, collection: str, endpoint: str = "objects", account: str = "jp-sync", **params) -> list[tuple[dict, dict]]:
        """Every page (body, headers) of a paged endpoint, following `next`."""
        found = []
        for _ in range(10_000):
            body, headers = self.get(f"{self.path(collection)}{endpoint}/", account, **params)
            found.append((body, headers))
            if not body.get("more"):
                assert "next" not in body
                return found
            assert body["next"]
            params = {**params, "next": body["next"]}
        raise AssertionError("paging did not end")

    def everything(self, collection: str, endpoint: str = "objects", account: str = "jp-sync", **params) -> list[dict]:
        key = "versions" if endpoint.endswith("versions") else "objects"
        return [item for body, _ in self.pages(collection, endpoint, account, **params) for item in body.get(key, [])]

    # -- taxii2-client ---------------------------------------------------------

    def client_collection(self, collection: str, account: str = "jp-sync") -> Collection:
        return Collection(
            f"{self.base}/taxii2/{self.path(collection)}", user=self.accounts[account].name, password=self.accounts[account].secret
        )

    # -- the node's side -----------------------------------------------------------

    def new_collection(self, root: str = "fimi", *grants: str, marking: str | None = None) -> str:
        """A collection only what is posted into it fills (its filter wants a marking no object
        carries, unless ``marking`` is given); every partner reads and writes it unless ``grants``
        (CLI options) say otherwise. Registered as, and returned as, "root/<id>"."""
        grants = grants or ("--read", "*", "--write", "*")
        marking = marking or f"marking-definition--{uuid.uuid4()}"
        collection_id = self.cli(
            "collections", "add", "--root", root, "--title", f"test {uuid.uuid4().hex[:8]}", "--marking", marking, *grants
        ).strip()
        self.collections[f"{root}/{collection_id}"] = collection_id
        return f"{root}/{collection_id}"

    def stored(self) -> tuple[int, int, int]:
        """(versions, collection entries, TAXII statuses) in the store: a request that is refused must change none."""
        with self.engine.connect() as connection:
            return tuple(
                connection.execute(select(func.count()).select_from(table)).scalar()
                for table in (object_versions, collection_entries, taxii_statuses)
            )

    def now(self) -> str:
        """The last date_added the store gave: everything stored later is added_after it."""
        with self.engine.connect() as connection:
            last = connection.execute(select(timelines.c.last_added_us).where(timelines.c.name == STORE_TIMELINE)).scalar()
        return to_timestamp(last or 1)

    def import_objects(self, tmp_path, objects: list[dict]) -> None:
        """`fimishare import FILE`: the objects come from this node's own organisation."""
        path = tmp_path / f"import-{uuid.uuid4().hex[:8]}.json"
        path.write_bytes(orjson.dumps(bundle(*objects)))
        output = self.cli("import", str(path))
        assert f"stored {len(objects)}, unchanged 0, rejected 0" in output, output


def _account(cli, name: str, org: str, role: str, password: str | None = None) -> Account:
    args = ["users", "add", name, "--org", org, "--role", role] + (["--password", password] if password else [])
    lines = cli(*args).strip().splitlines()
    _, identity, _ = lines[0].split("\t")
    secret = password or lines[1].split("\t")[1]
    return Account(name, secret, identity, org, role)


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def taxii(request, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp(f"taxii-{request.param}")
    database_url, drop = new_database(request.param, tmp_path)
    env = {"FIMISHARE_HOME": str(tmp_path / "home"), "FIMISHARE_DATABASE_URL": database_url}
    engine = create_engine(database_url)
    try:
        cli = node_cli(env)
        cli("init", "--org-name", "EEAS")
        orgs = {}
        for name in ("JP-NISC", "FR-VIGINUM"):
            org_name, org_id = cli("orgs", "add", name).strip().split("\t")
            orgs[org_name] = org_id
        accounts = {
            account.name: account
            for account in (
                _account(cli, "jp-sync", "JP-NISC", "sync"),
                _account(cli, "jp-viewer", "JP-NISC", "viewer"),
                _account(cli, "fr-sync", "FR-VIGINUM", "sync"),
                _account(cli, "eeas-sync", "EEAS", "sync"),
                _account(cli, "analyst1", "EEAS", "analyst", PASSWORD),
            )
        }
        cli("roots", "add", "small", "--title", "Small posts only", "--max-content-length", str(SMALL_ROOT_MAX))
        cli("collections", "add", "--root", "small", "--title", "Small", "--alias", "small", "--read", "*", "--write", "*")
        cli(
            "collections",
            "add",
            "--root",
            "fimi",
            "--title",
            "VIGINUM only",
            "--alias",
            "fr-only",
            "--marking",
            f"marking-definition--{uuid.uuid4()}",
            "--read",
            "FR-VIGINUM",
            "--write",
            "FR-VIGINUM",
        )
        cli(
            "collections",
            "add",
            "--root",
            "fimi",
            "--title",
            "NISC reads, VIGINUM writes",
            "--alias",
            "jp-reads",
            "--marking",
            f"marking-definition--{uuid.uuid4()}",
            "--read",
            "JP-NISC",
            "--read",
            "FR-VIGINUM",
            "--write",
            "FR-VIGINUM",
        )
        listed = json.loads(cli("collections", "list", "--json"))
        collections = {f"{c['api_root']}/{c['alias']}": c["id"] for c in listed if c["alias"]}
        with serving(env, tmp_path) as base:
            node = TaxiiNode(base, env, cli, engine, orgs, accounts, collections)
            yield node
            node.session.close()
    finally:
        engine.dispose()
        drop()


# --------------------------------------------------------------------------- helpers


def assert_taxii_error(response: requests.Response, status: int) -> dict:
    """A TAXII error message (section 3.6.1): the status, the TAXII media type, title, description and http_status."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["Content-Type"] == TAXII, response.headers
    body = response.json()
    assert isinstance(body, dict), body
    assert isinstance(body.get("title"), str) and body["title"], body
    assert isinstance(body.get("description"), str) and body["description"], body
    assert body.get("http_status") == str(status), body
    return body


def version_of(obj: dict) -> str:
    return obj.get("modified") or obj["created"]


def ids(items: list[dict]) -> list[str]:
    return [item["id"] for item in items]


def campaign(**props) -> dict:
    return sdo("campaign", **props)


def domain_indicator(**props) -> dict:
    return indicator(f"[domain-name:value = '{uuid.uuid4().hex[:12]}.example']", **props)


# --------------------------------------------------------------------------- 1. discovery, roots, collections


def test_discovery_and_api_roots(taxii):
    body, _ = taxii.get("", "jp-sync")
    roots = [f"{taxii.base}/taxii2/{name}/" for name in ("fimi", "cyber", "exercise", "small")]
    assert body["api_roots"] == roots
    assert body["default"] == roots[0]
    assert body["title"] == "EEAS fimishare" and body["description"]

    # The same through taxii2-client, signing in with the account name and API key.
    jp = taxii.accounts["jp-sync"]
    server = Server(f"{taxii.base}/taxii2/", user=jp.name, password=jp.secret)
    assert [root.url for root in server.api_roots] == roots
    assert server.default.url == roots[0]
    fimi = server.api_roots[0]
    assert fimi.title == "FIMI" and fimi.versions == [TAXII]
    assert fimi.max_content_length == DEFAULT_MAX_CONTENT_LENGTH
    small = ApiRoot(roots[3], user=jp.name, password=jp.secret)
    assert small.max_content_length == SMALL_ROOT_MAX
    small.close()
    server.close()

    body, _ = taxii.get("exercise/", "fr-sync")
    assert body == {
        "title": "Joint exercises",
        "description": body["description"],
        "versions": [TAXII],
        "max_content_length": DEFAULT_MAX_CONTENT_LENGTH,
    }


def test_collections_and_rights_as_each_account_sees_them(taxii):
    def listed(account: str, root: str = "fimi") -> dict[str, tuple[bool, bool]]:
        body, _ = taxii.get(f"{root}/collections/", account)
        for collection in body["collections"]:
            assert collection["media_types"] == STIX_MEDIA_TYPES and collection["title"]
        return {c["id"]: (c["can_read"], c["can_write"]) for c in body["collections"]}

    partners, fr_only, jp_reads = (taxii.collections[f"fimi/{alias}"] for alias in ("partners", "fr-only", "jp-reads"))
    mine = taxii.new_collection("fimi", "--read", "JP-NISC", "--write", "JP-NISC").split("/")[1]
    ours = {partners, fr_only, jp_reads, mine}  # other tests add collections for every partner

    def rights(account: str) -> dict[str, tuple[bool, bool]]:
        return {k: v for k, v in listed(account).items() if k in ours}

    assert rights("jp-sync") == {partners: (True, True), jp_reads: (True, False), mine: (True, True)}
    assert rights("jp-viewer") == {partners: (True, False), jp_reads: (True, False), mine: (True, False)}  # viewers never write
    assert rights("fr-sync") == {partners: (True, True), fr_only: (True, True), jp_reads: (True, True)}
    assert rights("eeas-sync") == dict.fromkeys(ours, (True, True))  # the node's own accounts use every collection
    assert listed("fr-sync", "exercise") == {taxii.collections["exercise/joint-exercise"]: (True, True)}

    body, _ = taxii.get(taxii.path("fimi/partners"), "jp-sync")
    assert body == {
        "id": partners,
        "title": "FIMI shared with EU and Japanese partners",
        "alias": "partners",
        "can_read": True,
        "can_write": True,
        "media_types": STIX_MEDIA_TYPES,
    }

    # No grant: the collection is not there for the partner, exactly like one that does not exist.
    unknown = str(uuid.uuid4())
    for endpoint in ("", "objects/", "manifest/", f"objects/indicator--{uuid.uuid4()}/"):
        hidden = assert_taxii_error(taxii.request("GET", f"fimi/collections/{fr_only}/{endpoint}", "jp-sync"), 404)
        missing = assert_taxii_error(taxii.request("GET", f"fimi/collections/{unknown}/{endpoint}", "jp-sync"), 404)
        assert hidden == {**missing, "description": missing["description"].replace(unknown, fr_only)}
    before = taxii.stored()
    assert_taxii_error(taxii.request("POST", f"fimi/collections/{fr_only}/objects/", body={"objects": [campaign()]}), 404)

    # A read-only grant: can_write false, and posting is forbidden.
    refused = campaign()
    body = assert_taxii_error(taxii.request("POST", taxii.path("fimi/jp-reads") + "objects/", body={"objects": [refused]}), 403)
    assert "write" in body["description"].lower()
    assert taxii.stored() == before
    # ... while the organisation with the write grant posts there.
    status = taxii.post("fimi/jp-reads", [campaign()], "fr-sync")
    assert status["success_count"] == 1


def test_grants_change_what_a_partner_sees(taxii):
    collection = taxii.new_collection("cyber", "--read", "FR-VIGINUM")
    collection_id = collection.split("/")[1]

    def jp_rights():
        body, _ = taxii.get("cyber/collections/", "jp-sync")
        return {c["id"]: (c["can_read"], c["can_write"]) for c in body["collections"]}.get(collection_id)

    assert jp_rights() is None
    assert_taxii_error(taxii.request("GET", taxii.path(collection)), 404)

    taxii.cli("collections", "grant", collection_id, "JP-NISC", "--read", "--no-write")
    assert jp_rights() == (True, False)
    assert taxii.request("GET", taxii.path(collection) + "objects/").status_code == 200
    assert_taxii_error(taxii.request("POST", taxii.path(collection) + "objects/", body={"objects": [campaign()]}), 403)

    taxii.cli("collections", "grant", collection_id, "JP-NISC", "--read", "--write")
    assert jp_rights() == (True, True)
    obj = campaign()
    assert taxii.post(collection, [obj])["success_count"] == 1
    assert ids(taxii.everything(collection, account="fr-sync")) == [obj["id"]]

    taxii.cli("collections", "grant", collection_id, "JP-NISC", "--no-read", "--no-write")
    assert jp_rights() is None
    assert_taxii_error(taxii.request("GET", taxii.path(collection) + "objects/"), 404)


# --------------------------------------------------------------------------- 2. adding and reading, every filter


@dataclass
class Posted:
    """A new collection after two posts: four objects, then a second version of the malware."""

    collection: str
    client: Collection
    malware_v1: dict
    malware_v2: dict
    ind: dict
    camp: dict
    rel: dict
    first: object  # taxii2-client's status of the first post
    second: dict  # the second post's status resource

    @property
    def everything(self) -> dict[str, dict]:
        return {o["id"]: o for o in self.client.get_objects()["objects"]}


@pytest.fixture(scope="module")
def posted(taxii):
    collection = taxii.new_collection()
    client = taxii.client_collection(collection)
    malware_v1 = sdo("malware", modified=T0)
    ind = domain_indicator()
    camp = campaign()
    rel = relationship(ind, "indicates", malware_v1)
    first = client.add_objects({"objects": [malware_v1, ind, camp, rel]})
    malware_v2 = dict(malware_v1, modified=T1, description="second version")
    second = taxii.post(collection, [malware_v2])
    yield Posted(collection, client, malware_v1, malware_v2, ind, camp, rel, first, second)
    client.close()


def test_a_post_says_what_it_stored_and_reading_gives_the_last_version_of_each(taxii, posted):
    client, first = posted.client, posted.first
    assert (client.can_read, client.can_write) == (True, True)
    malware_v1, ind, camp, rel = posted.malware_v1, posted.ind, posted.camp, posted.rel
    assert (first.status, first.total_count, first.success_count, first.failure_count) == ("complete", 4, 4, 0)
    assert sorted((s["id"], s["version"]) for s in first.successes) == sorted(
        (o["id"], version_of(o)) for o in (malware_v1, ind, camp, rel)
    )
    assert posted.second["success_count"] == 1
    everything = posted.everything
    assert set(everything) == {malware_v1["id"], ind["id"], camp["id"], rel["id"]}
    assert everything[malware_v1["id"]] == posted.malware_v2  # the last version, as posted
    assert everything[ind["id"]] == ind


def test_added_after(taxii, posted):
    client, collection, malware_v1 = posted.client, posted.collection, posted.malware_v1
    # added_after: what was added after the first post's last object.
    _, headers = taxii.get(taxii.path(collection) + "objects/", limit=4, **{"match[version]": "first"})
    first_post_last = headers["X-TAXII-Date-Added-Last"]
    envelope = client.get_objects(added_after=first_post_last)
    assert [(o["id"], o["modified"]) for o in envelope["objects"]] == [(malware_v1["id"], T1)]
    assert envelope["more"] is False
    assert client.get_objects(added_after=to_timestamp(from_timestamp(taxii.now()) + 1)) == {}


def test_match_id_and_match_type(posted):
    client, ind, camp, rel, malware_v1 = posted.client, posted.ind, posted.camp, posted.rel, posted.malware_v1
    # match[id], one and several; match[type], one and several.
    assert ids(client.get_objects(id=ind["id"])["objects"]) == [ind["id"]]
    assert sorted(ids(client.get_objects(id=[ind["id"], camp["id"]])["objects"])) == sorted([ind["id"], camp["id"]])
    assert client.get_objects(id=f"indicator--{uuid.uuid4()}") == {}
    assert ids(client.get_objects(type="indicator")["objects"]) == [ind["id"]]
    assert sorted(ids(client.get_objects(type="indicator,campaign")["objects"])) == sorted([ind["id"], camp["id"]])
    assert sorted(ids(client.get_objects(type=["relationship", "malware"])["objects"])) == sorted([rel["id"], malware_v1["id"]])
    assert client.get_objects(type="threat-actor") == {}


def test_match_version(posted):
    client, malware_v1 = posted.client, posted.malware_v1

    # match[version]: first, last, all, an explicit version, and combinations.
    def malware_versions(version):
        objects = client.get_objects(id=malware_v1["id"], version=version).get("objects", [])
        return [o["modified"] for o in objects]

    assert malware_versions("first") == [T0]
    assert malware_versions("last") == [T1]
    assert malware_versions("all") == [T0, T1]
    assert malware_versions(T0) == [T0]
    assert malware_versions(T1) == [T1]
    assert malware_versions("first,last") == [T0, T1]
    assert malware_versions("2024-11-03T09:00:00.000Z") == []
    assert len(client.get_objects(version="all")["objects"]) == 5
    assert len(client.get_objects(version="first")["objects"]) == 4


def test_match_spec_version(posted):
    client = posted.client
    # match[spec_version]
    assert len(client.get_objects(spec_version="2.1")["objects"]) == 4
    assert client.get_objects(spec_version="2.0") == {}


def test_one_object_and_its_versions(taxii, posted):
    client, collection, malware_v1, malware_v2, ind = (posted.client, posted.collection, posted.malware_v1, posted.malware_v2, posted.ind)
    # Get one object, and its versions.
    assert client.get_object(malware_v1["id"]) == {"objects": [malware_v2], "more": False}
    assert client.get_object(malware_v1["id"], version="all")["objects"] == [malware_v1, malware_v2]
    assert client.get_object(malware_v1["id"], version=T0)["objects"] == [malware_v1]
    assert client.object_versions(malware_v1["id"]) == {"versions": [T0, T1], "more": False}
    assert client.object_versions(ind["id"]) == {"versions": [ind["modified"]], "more": False}
    versions_pages = taxii.pages(collection, f"objects/{malware_v1['id']}/versions", limit=1)
    assert [(body["versions"], body["more"]) for body, _ in versions_pages] == [([T0], True), ([T1], False)]
    assert versions_pages[0][1]["X-TAXII-Date-Added-Last"] < versions_pages[1][1]["X-TAXII-Date-Added-First"]


def test_the_manifest(taxii, posted):
    collection, malware_v1, ind, camp, rel = posted.collection, posted.malware_v1, posted.ind, posted.camp, posted.rel
    # The manifest: one record per version, the media type, and the date_added headers.
    manifest, headers = taxii.get(taxii.path(collection) + "manifest/", **{"match[version]": "all"})
    records = manifest["objects"]
    assert manifest["more"] is False
    assert sorted((r["id"], r["version"]) for r in records) == sorted(
        [(malware_v1["id"], T0), (malware_v1["id"], T1)] + [(o["id"], version_of(o)) for o in (ind, camp, rel)]
    )
    assert {r["media_type"] for r in records} == {STIX}
    dates = [r["date_added"] for r in records]
    assert dates == sorted(dates) and len(set(dates)) == len(dates)
    assert (headers["X-TAXII-Date-Added-First"], headers["X-TAXII-Date-Added-Last"]) == (dates[0], dates[-1])
    assert taxii.get(taxii.path(collection) + "manifest/", **{"match[type]": "malware"})[0]["objects"] == [
        next(r for r in records if r["version"] == T1)
    ]


def test_limit_and_next(taxii, posted):
    client, collection = posted.client, posted.collection
    records = taxii.get(taxii.path(collection) + "manifest/", **{"match[version]": "all"})[0]["objects"]
    # limit and next: pages of two, in date_added order, each with its own headers.
    seen = []
    pages = taxii.pages(collection, "manifest", limit=2, **{"match[version]": "all"})
    assert [len(body["objects"]) for body, _ in pages] == [2, 2, 1]
    assert [body["more"] for body, _ in pages] == [True, True, False]
    for body, headers in pages:
        page_dates = [r["date_added"] for r in body["objects"]]
        assert (headers["X-TAXII-Date-Added-First"], headers["X-TAXII-Date-Added-Last"]) == (page_dates[0], page_dates[-1])
        seen += [(r["id"], r["version"]) for r in body["objects"]]
    assert seen == [(r["id"], r["version"]) for r in records]
    # ... the objects endpoint pages the same way, with the same headers as the manifest's records.
    object_pages = taxii.pages(collection, "objects", limit=2, **{"match[version]": "all"})
    assert [(o["id"], version_of(o)) for body, _ in object_pages for o in body["objects"]] == seen
    assert [h["X-TAXII-Date-Added-Last"] for _, h in object_pages] == [h["X-TAXII-Date-Added-Last"] for _, h in pages]
    # ... and taxii2-client's pager reaches the same objects.
    paged = [o for envelope in as_pages(client.get_objects, per_request=3) for o in envelope.get("objects", [])]
    assert sorted(ids(paged)) == sorted(posted.everything)


def test_the_status_resource(taxii, posted):
    first, second = posted.first, posted.second
    # The status resource says what the POST said, to the organisation that posted only.
    status_path = f"fimi/status/{first.id}/"
    body, _ = taxii.get(status_path, "jp-sync")
    assert (body["total_count"], body["success_count"], body["failure_count"], body["pending_count"]) == (4, 4, 0, 0)
    assert body["id"] == first.id and body["status"] == "complete"
    assert body["successes"] == first.successes
    assert taxii.get(f"fimi/status/{second['id']}/", "jp-viewer")[0] == second  # the same organisation
    assert_taxii_error(taxii.request("GET", status_path, "fr-sync"), 404)
    assert_taxii_error(taxii.request("GET", status_path, "eeas-sync"), 404)
    assert_taxii_error(taxii.request("GET", f"cyber/status/{first.id}/", "jp-sync"), 404)  # another API root
    assert_taxii_error(taxii.request("GET", f"fimi/status/{uuid.uuid4()}/", "jp-sync"), 404)


def test_one_broken_object_among_good_ones_fails_alone_with_its_reason(taxii):
    collection = taxii.new_collection("cyber")
    good = [domain_indicator(), campaign()]
    broken_time = domain_indicator(created="yesterday")
    broken_pattern = indicator("[domain-name:value = ", id=f"indicator--{uuid.uuid4()}")
    status = taxii.post(collection, [good[0], broken_time, good[1], broken_pattern, "not an object"])
    assert (status["total_count"], status["success_count"], status["failure_count"]) == (5, 2, 3)
    assert sorted(ids(status["successes"])) == sorted(ids(good))
    failures = {f["id"]: f for f in status["failures"]}
    assert set(failures) == {broken_time["id"], broken_pattern["id"], "objects[4]"}
    assert "$.created" in failures[broken_time["id"]]["message"] and "yesterday" in failures[broken_time["id"]]["message"]
    assert "pattern" in failures[broken_pattern["id"]]["message"]
    assert failures["objects[4]"]["message"]
    assert taxii.get(f"cyber/status/{status['id']}/")[0] == status

    assert sorted(ids(taxii.everything(collection))) == sorted(ids(good))
    for broken in (broken_time, broken_pattern):
        assert_taxii_error(taxii.request("GET", taxii.path(collection) + f"objects/{broken['id']}/", "eeas-sync"), 404)


def test_deleting_takes_versions_out_of_one_collection(taxii):
    collection = taxii.new_collection()
    mine_v1 = campaign(modified=T0)
    mine_v2 = dict(mine_v1, modified=T1, description="v2")
    theirs = campaign()
    assert taxii.post(collection, [mine_v1, mine_v2])["success_count"] == 2
    assert taxii.post(collection, [theirs], "fr-sync")["success_count"] == 1
    path = taxii.path(collection) + "objects/"

    # A partner deletes only what its own organisation added.
    assert_taxii_error(taxii.request("DELETE", path + f"{theirs['id']}/", "jp-sync"), 403)
    assert_taxii_error(taxii.request("DELETE", path + f"{mine_v1['id']}/", "jp-viewer"), 403)
    assert_taxii_error(taxii.request("DELETE", path + f"campaign--{uuid.uuid4()}/", "jp-sync"), 404)
    response = taxii.request("DELETE", path + f"{mine_v1['id']}/", "jp-sync", params={"match[version]": T0})
    assert response.status_code == 200, response.text
    assert taxii.get(path + f"{mine_v1['id']}/versions/", "fr-sync")[0]["versions"] == [T1]
    assert taxii.request("DELETE", path + f"{mine_v1['id']}/", "jp-sync").status_code == 200
    assert_taxii_error(taxii.request("GET", path + f"{mine_v1['id']}/", "jp-sync"), 404)
    # The node's own accounts delete any version they can see.
    assert taxii.request("DELETE", path + f"{theirs['id']}/", "eeas-sync").status_code == 200
    assert taxii.get(path, "eeas-sync")[0] == {}
    # The store keeps them, and so do the other collections that hold them.
    partners = taxii.path("fimi/partners") + "objects/"
    assert taxii.get(partners + f"{mine_v1['id']}/versions/", "jp-sync")[0]["versions"] == [T0, T1]
    assert ids(taxii.get(partners + f"{theirs['id']}/", "jp-sync")[0]["objects"]) == [theirs["id"]]


# --------------------------------------------------------------------------- 3. paging while others post


def test_paging_through_ten_thousand_objects_while_another_partner_posts(taxii, tmp_path):
    statement = {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": f"marking-definition--{uuid.uuid4()}",
        "created": T0,
        "definition_type": "statement",
        "definition": {"statement": "Bulk test data; no restriction."},
    }
    # The collection takes what carries the statement: the 10,000 imported objects, and what is posted into it.
    bulk = taxii.new_collection("cyber", marking=statement["id"])
    originals = [campaign(object_marking_refs=[statement["id"], TLP_GREEN]) for _ in range(BULK_OBJECTS)]
    taxii.import_objects(tmp_path, [statement, *originals])

    posted: list[str] = []
    problems: list[str] = []
    paging_done = threading.Event()
    first_page = threading.Event()

    def post_meanwhile():
        with requests.Session() as session:
            first_page.wait(60)
            while not paging_done.is_set():
                batch = [campaign() for _ in range(5)]
                response = session.post(
                    f"{taxii.base}/taxii2/{taxii.path(bulk)}objects/",
                    auth=taxii.accounts["jp-sync"].auth,
                    headers={"Accept": TAXII, "Content-Type": TAXII},
                    data=json.dumps({"objects": batch}),
                    timeout=60,
                )
                if response.status_code != 202 or response.json()["success_count"] != 5:
                    problems.append(response.text)
                    return
                posted.extend(ids(batch))

    poster = threading.Thread(target=post_meanwhile, daemon=True)
    poster.start()
    seen: list[tuple[str, str]] = []
    params = {"limit": 100}
    pages = 0
    started = time.monotonic()
    try:
        while True:
            body, headers = taxii.get(taxii.path(bulk) + "objects/", "fr-sync", **params)
            first_page.set()
            pages += 1
            objects = body.get("objects", [])
            assert len(objects) <= 100
            seen += [(o["id"], o["modified"]) for o in objects]
            last_added = headers.get("X-TAXII-Date-Added-Last", params.get("added_after"))
            if not body["more"]:
                break
            params = {"limit": 100, "next": body["next"]}
            assert pages < 1000
    finally:
        paging_done.set()
        poster.join(60)
    elapsed = time.monotonic() - started
    assert not problems, problems
    assert posted, "nothing was posted while paging"

    original_ids = {o["id"] for o in originals}
    counts = Counter(object_id for object_id, _ in seen)
    assert {object_id: counts[object_id] for object_id in original_ids if counts[object_id] != 1} == {}
    assert len(seen) == len(set(seen)), "an (id, version) came twice"
    assert set(counts) <= original_ids | set(posted)
    during = len(set(posted) & set(counts))

    # Whatever was posted but not reached yet follows after the last page's last date_added.
    for body, _ in taxii.pages(bulk, "objects", "fr-sync", limit=1000, added_after=last_added):
        seen += [(o["id"], o["modified"]) for o in body.get("objects", [])]
    assert len(seen) == len(set(seen))
    assert set(posted) <= {object_id for object_id, _ in seen}

    # A limit over the server's page size gets a page of that size (1000), and `more`.
    body, _ = taxii.get(taxii.path(bulk) + "objects/", "fr-sync", limit=5000)
    assert len(body["objects"]) == 1000 and body["more"] is True
    print(
        f"paged {BULK_OBJECTS} objects in {pages} pages in {elapsed:.1f} s; "
        f"{len(posted)} posted meanwhile, {during} of them seen while paging"
    )


# --------------------------------------------------------------------------- 4. stix2's TAXII data source and sink


def test_stix2_taxii_collection_source_and_sink(taxii):
    collection = taxii.new_collection()
    client = taxii.client_collection(collection)
    sink, source = TAXIICollectionSink(client), TAXIICollectionSource(client)

    malware = stix.Malware(name="PlugX", is_family=True, created=T0, modified=T0)
    first_indicator = stix.Indicator(
        pattern=f"[domain-name:value = '{uuid.uuid4().hex[:10]}.example']",
        pattern_type="stix",
        valid_from=T0,
        object_marking_refs=[TLP_GREEN],
    )
    second_indicator = stix.Indicator(
        pattern=f"[ipv4-addr:value = '198.51.100.{uuid.uuid4().int % 250 + 1}']",
        pattern_type="stix",
        valid_from=T0,
        object_marking_refs=[TLP_GREEN],
    )
    rel = stix.Relationship(first_indicator, "indicates", malware)
    sink.add(stix.Bundle(malware, first_indicator, second_indicator, rel))
    sink.add(malware.new_version(description="Remote access tool", modified=T1))

    got = source.get(first_indicator.id)
    assert got.id == first_indicator.id and got.pattern == first_indicator.pattern
    assert source.get(malware.id).description == "Remote access tool"
    assert source.get(f"malware--{uuid.uuid4()}") is None

    found = source.query([Filter("type", "=", "indicator")])
    assert sorted(o.id for o in found) == sorted([first_indicator.id, second_indicator.id])
    assert [o.id for o in source.query([Filter("type", "=", "relationship")])] == [rel.id]

    versions = source.all_versions(malware.id)
    assert sorted(str(v.modified) for v in versions) == ["2024-11-01 09:00:00+00:00", "2024-11-02 09:00:00+00:00"]
    assert all(v.name == "PlugX" for v in versions)
    client.close()


# --------------------------------------------------------------------------- 5. who reads what


@pytest.fixture
def marked(taxii, tmp_path):
    """Objects under TLP and releasability: the node's own (imported) and NISC's (posted), and the
    last of them a GREEN control everybody reads. One object was GREEN and is AMBER for NISC
    only since its second version: VIGINUM reads the first version as the last one. Two carry
    granular markings: RED on an indicator's STIX pattern withholds it from every partner;
    AMBER-for-NISC on a description leaves VIGINUM the object without it."""
    jp = taxii.orgs["JP-NISC"]
    only_jp = fimishare_marking_definition(f"NISC only {uuid.uuid4().hex[:6]}", releasable_to=[jp])
    jp_sync = taxii.accounts["jp-sync"].identity
    only_jp_sync = fimishare_marking_definition(f"jp-sync only {uuid.uuid4().hex[:6]}", releasable_to=[jp_sync])
    start = taxii.now()
    posted = {
        "jp_red": domain_indicator(object_marking_refs=[TLP_RED]),
        "jp_amber_strict": domain_indicator(object_marking_refs=[TLP_AMBER_STRICT]),
        "jp_amber": domain_indicator(object_marking_refs=[TLP_AMBER]),
    }
    assert taxii.post("fimi/partners", list(posted.values()), "jp-sync")["success_count"] == 3
    imported = {
        "red": domain_indicator(object_marking_refs=[TLP_RED]),
        "red_for_jp_sync": domain_indicator(object_marking_refs=[TLP_RED, only_jp_sync["id"]]),
        "amber_strict_for_jp": domain_indicator(object_marking_refs=[TLP_AMBER_STRICT, only_jp["id"]]),
        "amber_for_jp": domain_indicator(object_marking_refs=[TLP_AMBER, only_jp["id"]]),
        "green_for_jp": domain_indicator(object_marking_refs=[TLP_GREEN, only_jp["id"]]),
        "amber": campaign(object_marking_refs=[TLP_AMBER]),
        "reclassified": sdo("malware", modified=T0, object_marking_refs=[TLP_GREEN]),
        "granular_withheld": domain_indicator(granular_markings=[{"marking_ref": TLP_RED, "selectors": ["pattern"]}]),
        "granular_redacted": sdo(
            "malware",
            description="attributed to a named unit",
            object_marking_refs=[TLP_GREEN],
            granular_markings=[
                {"marking_ref": TLP_AMBER, "selectors": ["description"]},
                {"marking_ref": only_jp["id"], "selectors": ["description"]},
            ],
        ),
        "green": domain_indicator(object_marking_refs=[TLP_GREEN]),  # the last one added: see the `more` checks
    }
    reclassified_v2 = dict(
        imported["reclassified"], modified=T1, object_marking_refs=[TLP_AMBER, only_jp["id"]], description="attributed since"
    )
    imported = {name: imported[name] for name in [*imported][:-1]} | {"reclassified_v2": reclassified_v2, "green": imported["green"]}
    taxii.import_objects(tmp_path, [only_jp, only_jp_sync, *imported.values()])
    objects = {**posted, **imported}
    objects.pop("reclassified_v2")
    readers = {
        "jp-sync": {
            "jp_red",
            "jp_amber_strict",
            "jp_amber",
            "red_for_jp_sync",
            "amber_strict_for_jp",
            "amber_for_jp",
            "green_for_jp",
            "reclassified",
            "granular_redacted",
            "green",
        },
        "jp-viewer": {
            "jp_amber_strict",
            "jp_amber",
            "amber_strict_for_jp",
            "amber_for_jp",
            "green_for_jp",
            "reclassified",
            "granular_redacted",
            "green",
        },
        "fr-sync": {"reclassified", "granular_redacted", "green"},
    }
    return start, objects, readers, (only_jp, only_jp_sync)


@pytest.mark.parametrize("account", ["fr-sync", "jp-viewer", "jp-sync"])
def test_marked_objects_reach_only_their_readers_through_every_endpoint(taxii, marked, account):
    start, objects, readers, definitions = marked
    readable = {objects[name]["id"] for name in readers[account]}
    hidden = {objects[name]["id"] for name in objects} - readable
    assert hidden, "every account is refused something here"
    objects_path = taxii.path("fimi/partners") + "objects/"
    manifest_path = taxii.path("fimi/partners") + "manifest/"

    got = taxii.everything("fimi/partners", "objects", account, added_after=start)
    assert set(ids(got)) == readable | {d["id"] for d in definitions}
    for limit in (1, 2, 3):  # pages short of rows the account may not read are topped up, and `more` is still right
        assert taxii.everything("fimi/partners", "objects", account, added_after=start, limit=limit) == got
    records = taxii.everything("fimi/partners", "manifest", account, added_after=start, **{"match[version]": "all"})
    assert set(ids(records)) == readable | {d["id"] for d in definitions}
    assert not hidden & set(
        ids(
            taxii.everything(
                "fimi/partners", "objects", account, added_after=start, **{"match[type]": "indicator,campaign", "match[version]": "first"}
            )
        )
    )

    # A page of one whose only readable object is the last one added: nothing hidden makes `more` true.
    green = objects["green"]
    for path in (objects_path, manifest_path):
        body, headers = taxii.get(
            path,
            account,
            added_after=start,
            limit=1,
            **{"match[type]": "indicator,campaign", "match[id]": ",".join(hidden | {green["id"]})},
        )
        assert ids(body["objects"]) == [green["id"]] and body["more"] is False and "next" not in body
        body, _ = taxii.get(path, account, limit=1, **{"match[id]": ",".join(hidden)})
        assert body == {}
        if account == "fr-sync":  # all it may read of these is the last one
            body, _ = taxii.get(path, account, added_after=start, limit=1, **{"match[type]": "indicator,campaign"})
            assert ids(body["objects"]) == [green["id"]] and body["more"] is False

    unknown = f"indicator--{uuid.uuid4()}"
    for object_id in hidden:
        # Asking for it by id looks exactly like asking for an id that does not exist.
        for path in (objects_path, manifest_path):
            for version in ("last", "all", "first"):
                assert taxii.get(path, account, **{"match[id]": object_id, "match[version]": version})[0] == {}
        for endpoint in (f"{object_id}/", f"{object_id}/versions/"):
            body = assert_taxii_error(taxii.request("GET", objects_path + endpoint, account), 404)
            twin = assert_taxii_error(taxii.request("GET", objects_path + endpoint.replace(object_id, unknown), account), 404)
            assert body == {**twin, "description": twin["description"].replace(unknown, object_id)}
        assert_taxii_error(taxii.request("GET", objects_path + f"{object_id}/", account, params={"match[version]": "all"}), 404)
    for object_id in readable:
        assert ids(taxii.get(objects_path + f"{object_id}/", account)[0]["objects"]) == [object_id]
        assert taxii.get(objects_path + f"{object_id}/versions/", account)[0]["versions"]

    # A version the account may not read is not there, also not when finding an object's last version.
    reclassified = objects["reclassified"]["id"]
    expected = [T0] if account == "fr-sync" else [T0, T1]
    assert taxii.get(objects_path + f"{reclassified}/versions/", account)[0] == {"versions": expected, "more": False}
    for params in ({}, {"match[version]": "all"}, {"match[version]": "last"}, {"match[version]": T1}):
        body = taxii.get(objects_path + f"{reclassified}/", account, **params)[0]
        version = params.get("match[version]", "last")
        wanted = {"all": expected, "last": expected[-1:], T1: expected[1:]}[version]
        assert [o["modified"] for o in body.get("objects", [])] == wanted, params
        if account == "fr-sync":
            assert "attributed since" not in json.dumps(body)
    for endpoint in (objects_path, manifest_path):
        body = taxii.get(endpoint, account, added_after=start, **{"match[id]": reclassified, "match[version]": "all"})[0]
        assert [version_of(o) if "modified" in o or "created" in o else o["version"] for o in body["objects"]] == expected

    # Granular markings: a property the account may not read is taken out of what it gets.
    redacted = objects["granular_redacted"]
    served = [taxii.get(objects_path + f"{redacted['id']}/", account)[0]["objects"][0], next(o for o in got if o["id"] == redacted["id"])]
    for copy in served:
        if account == "fr-sync":
            assert "description" not in copy and "attributed" not in json.dumps(copy)
        else:
            assert copy["description"] == redacted["description"]

    # The exercise root shows none of it: real data is not for an exercise context.
    exercise = taxii.path("exercise/joint-exercise") + "objects/"
    assert not (readable | hidden) & set(ids(taxii.everything("exercise/joint-exercise", "objects", account, added_after=start)))
    assert_taxii_error(taxii.request("GET", exercise + f"{green['id']}/", account), 404)


def test_exercise_root_takes_and_shows_exercise_data_only(taxii):
    exercise_marking = fimishare_marking_definition(f"exercise {uuid.uuid4().hex[:6]}", exercise="BALTIC-SHIELD-2025")
    drill = campaign(object_marking_refs=[exercise_marking["id"]])
    drill_indicator = domain_indicator(object_marking_refs=[TLP_GREEN, exercise_marking["id"]])
    real = campaign()
    status = taxii.post("exercise/joint-exercise", [exercise_marking, drill, real, drill_indicator], "jp-sync")
    assert (status["success_count"], status["failure_count"]) == (3, 1)
    assert status["failures"][0]["id"] == real["id"]
    assert "exercise marking" in status["failures"][0]["message"]
    assert_taxii_error(taxii.request("GET", taxii.path("fimi/partners") + f"objects/{real['id']}/", "eeas-sync"), 404)

    # Partners read the exercise data in the exercise root only.
    exercise_path = taxii.path("exercise/joint-exercise") + "objects/"
    for account in ("fr-sync", "jp-viewer"):
        assert ids(taxii.get(exercise_path + f"{drill['id']}/", account)[0]["objects"]) == [drill["id"]]
        assert_taxii_error(taxii.request("GET", taxii.path("fimi/partners") + f"objects/{drill['id']}/", account), 404)

    # Everything a partner reads in the exercise root is exercise-marked or a reference object
    # (as the exercise root would judge it, had JP, who defined the marking, posted it all).
    node = Node(Settings.from_env(taxii.env))
    in_exercise = node.store.directory.account("jp-sync").principal(exercise=True)
    seen = taxii.everything("exercise/joint-exercise", "objects", "fr-sync")
    assert {drill["id"], drill_indicator["id"], exercise_marking["id"]} <= set(ids(seen))
    assert node.gate.refused_by_exercise_root(in_exercise, seen) == {}
    node.store.engine.dispose()


def test_posting_a_changed_copy_does_not_tell_a_partner_the_hidden_object_exists(taxii, tmp_path):
    amber = domain_indicator(object_marking_refs=[TLP_AMBER])
    taxii.import_objects(tmp_path, [amber])
    assert_taxii_error(taxii.request("GET", taxii.path("fimi/partners") + f"objects/{amber['id']}/", "fr-sync"), 404)
    unknown = domain_indicator(object_marking_refs=[TLP_AMBER])
    # The partner posts a changed copy of the hidden object, and an object nobody has, the same way.
    hidden = taxii.post("fimi/partners", [dict(amber, description="a guess")], "fr-sync")
    fresh = taxii.post("fimi/partners", [dict(unknown, description="a guess")], "fr-sync")
    assert (hidden["success_count"], hidden["failure_count"]) == (fresh["success_count"], fresh["failure_count"]) == (1, 0)


# --------------------------------------------------------------------------- 6. bad requests


def test_bad_requests_are_refused_with_a_taxii_error_and_store_nothing(taxii):
    collection = taxii.new_collection()
    objects_path = taxii.path(collection) + "objects/"
    good = campaign()
    envelope = {"objects": [good]}
    before = taxii.stored()

    def refused(status: int, method: str, path: str, account: str | None = "jp-sync", **kwargs) -> dict:
        body = assert_taxii_error(taxii.request(method, path, account, **kwargs), status)
        assert taxii.stored() == before, (method, path, kwargs)
        return body

    # Media types.
    refused(406, "GET", objects_path, accept="application/json")
    refused(406, "GET", objects_path, accept="application/taxii+json;version=2.0")
    refused(406, "GET", "", accept=None)
    refused(406, "POST", objects_path, body=envelope, accept="application/json")
    refused(415, "POST", objects_path, body=envelope, content_type="application/json")
    refused(415, "POST", objects_path, body=envelope, content_type=STIX)
    refused(415, "POST", objects_path, body=envelope, content_type=None)

    # Bodies that are not a TAXII envelope.
    refused(400, "POST", objects_path, body=b'{"objects": [')
    refused(400, "POST", objects_path, body=b"\xff\xfe not json")
    refused(422, "POST", objects_path, body=[good])
    refused(422, "POST", objects_path, body={"objects": {"id": good["id"]}})

    # Over the API root's max_content_length.
    small = taxii.path("small/small") + "objects/"
    big = campaign(description="x" * SMALL_ROOT_MAX)
    body = refused(413, "POST", small, body={"objects": [big]})
    assert body["description"]
    fits = campaign(description="short")
    assert len(json.dumps({"objects": [fits]})) < SMALL_ROOT_MAX
    assert taxii.post("small/small", [fits])["success_count"] == 1
    before = taxii.stored()

    # Filter values this server did not give or does not know.
    for params in (
        {"added_after": "yesterday"},
        {"added_after": "2024-11-01T09:00:00"},
        {"match[version]": "newest"},
        {"match[version]": "first,"},
        {"match[spec_version]": "3.0"},
        {"limit": "0"},
        {"limit": "-5"},
        {"limit": "abc"},
        {"next": "xyz"},
        {"next": "-1"},
        {"match[type]": "Not A Type"},
        {"match[id]": "indicator"},
        {"match[color]": "red"},
    ):
        for endpoint in (objects_path, taxii.path(collection) + "manifest/"):
            description = refused(400, "GET", endpoint, params=params)["description"]
            assert list(params)[0].split("[")[0] in description or "limit" in description or "parameters" in description, description
    refused(400, "GET", objects_path + f"{good['id']}/", params={"match[type]": "campaign"})
    refused(400, "GET", objects_path + f"{good['id']}/versions/", params={"match[version]": "all"})

    # What does not exist, or is not there for this account.
    unknown_collection, unknown_object = str(uuid.uuid4()), f"campaign--{uuid.uuid4()}"
    for path in (
        "nowhere/",
        "nowhere/collections/",
        f"nowhere/collections/{unknown_collection}/objects/",
        f"fimi/collections/{unknown_collection}/",
        f"fimi/collections/{unknown_collection}/objects/",
        f"fimi/collections/{unknown_collection}/manifest/",
        objects_path + f"{unknown_object}/",
        objects_path + f"{unknown_object}/versions/",
        f"fimi/status/{uuid.uuid4()}/",
        "taxii2/",
    ):
        refused(404, "GET", path)
    refused(404, "POST", f"fimi/collections/{unknown_collection}/objects/", body=envelope)
    refused(404, "POST", f"nowhere/collections/{unknown_collection}/objects/", body=envelope)
    refused(404, "DELETE", objects_path + f"{unknown_object}/")
    refused(405, "PUT", objects_path, body=envelope)

    # Credentials.
    for account, headers in (
        (None, {}),
        (None, {"Authorization": "Bearer not-a-key"}),
        (None, {"Authorization": "Bearer "}),
        (None, {"Authorization": "Basic bm90IGJhc2U2NA=="}),
        (None, {"Authorization": "Digest x"}),
    ):
        for method, path, kwargs in (("GET", "", {}), ("GET", objects_path, {}), ("POST", objects_path, {"body": envelope})):
            refused(401, method, path, account, headers=headers, **kwargs)
    for name, secret in (
        ("jp-sync", "wrong key"),
        ("jp-sync", taxii.accounts["fr-sync"].secret),
        ("nobody", "x"),
        ("analyst1", PASSWORD + "!"),
    ):
        response = taxii.session.get(f"{taxii.base}/taxii2/", auth=(name, secret), headers={"Accept": TAXII}, timeout=30)
        assert_taxii_error(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Basic ")
    response = taxii.request("GET", objects_path, None)
    assert "Basic realm=" in response.headers["WWW-Authenticate"] and "Bearer" in response.headers["WWW-Authenticate"]
    # ... while good ones of each kind work: an API key alone as a bearer token, a person's password.
    key = taxii.accounts["jp-sync"].secret
    assert taxii.request("GET", objects_path, None, headers={"Authorization": f"Bearer {key}"}).status_code == 200
    assert taxii.request("GET", "", "analyst1").status_code == 200

    # Roles and grants.
    refused(403, "POST", objects_path, "jp-viewer", body=envelope)
    refused(403, "POST", taxii.path("fimi/jp-reads") + "objects/", body=envelope)

    assert taxii.get(objects_path, "eeas-sync")[0] == {}  # nothing reached the collection either


# --------------------------------------------------------------------------- 7. a partner syncs everything it may read


def test_a_partner_with_a_url_a_name_and_a_key_syncs_everything_it_may_read(taxii, marked):
    start, objects, readers, definitions = marked
    jp = taxii.accounts["jp-sync"]
    node = Node(Settings.from_env(taxii.env))
    roots = {root.name: root for root in node.store.collections.roots()}

    server = Server(f"{taxii.base}/taxii2/", user=jp.name, password=jp.secret)
    synced: dict[str, set[tuple[str, str]]] = {}
    for api_root in server.api_roots:
        for collection in api_root.collections:
            if not collection.can_read:
                continue
            got = [o for envelope in as_pages(collection.get_objects, per_request=1000) for o in envelope.get("objects", [])]
            pairs = [(o["id"], version_of(o)) for o in got]
            assert len(pairs) == len(set(pairs)) == len({object_id for object_id, _ in pairs})  # the last version of each, once
            synced[collection.id] = set(pairs)

            # What the policy, asked object by object, lets this account read of what the collection holds.
            root = roots[api_root.url.rstrip("/").rsplit("/", 1)[1]]
            principal = Principal(jp.identity, taxii.orgs["JP-NISC"], jp.role, None, exercise=root.exercise)
            newest: dict[str, str] = {}
            with taxii.engine.connect() as connection:
                rows = connection.execute(
                    select(object_versions.c.json, object_versions.c.source_org, object_versions.c.submitted_by)
                    .join(collection_entries, collection_entries.c.version_added_us == object_versions.c.date_added_us)
                    .where(collection_entries.c.collection_id == collection.id)
                )
                for row in rows:
                    obj = orjson.loads(row.json)
                    if node.gate.view(principal, Holding(obj, row.source_org, row.submitted_by)) is not None:
                        version = version_of(obj)
                        newest[obj["id"]] = max(newest.get(obj["id"], version), version, key=from_timestamp)
            assert synced[collection.id] == set(newest.items()), collection.title
    server.close()
    node.store.engine.dispose()

    partners = {object_id for object_id, _ in synced[taxii.collections["fimi/partners"]]}
    assert {objects[name]["id"] for name in readers["jp-sync"]} <= partners
    assert not {objects[name]["id"] for name in set(objects) - readers["jp-sync"]} & partners
    assert taxii.collections["fimi/fr-only"] not in synced
    assert taxii.collections["fimi/jp-reads"] in synced
