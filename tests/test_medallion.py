"""Migrating from medallion, with medallion's own test data as the conformance fixture.

A node is seeded with `fimishare taxii import-medallion` from ../shared/data/oasis/
medallion_default_data.json and served by `fimishare serve`; every test then asks over HTTP,
as a partner would, what a TAXII 2.1 server must answer on that data. The file's one STIX
2.0 object (a malware version without spec_version) lacks the `labels` STIX 2.0 requires, so
the OASIS validator's 2.0 rules reject it; the node also migrates a copy of the file with
that object repaired, as API root "repaired", where the two malware versions share one
date_added.

Tests that write use their own objects in the file's collection "for testing adding
objects": the others read collections nothing writes to, so they hold in any order.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from base64 import b64encode
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from support.live_server import TAXII, free_port, node_cli, serving, taxii_request
from support.services import DATABASE_KINDS, new_database
from support.stix_factory import indicator

from fimishare.cli import main
from fimishare.stix import spec_version_of
from fimishare.taxii_server.medallion_data import MedallionDataError

FILE_ROOTS = ("api1", "api2", "trustgroup1")
HIGH_VALUE = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"  # the collection holding the file's objects
ADDING = "365fed99-08fa-fdcd-a1b3-fb247eb41d01"  # "for testing adding objects": read and write
WRITE_ONLY = "472c94ae-3113-4e3e-a4dd-a9f4ac7471d4"
READ_ONLY = "52892447-4d7e-4f70-b94d-d7f22742ff63"
SECRET = "64993447-4d7e-4f70-b94d-d7f33742ee63"  # neither read nor write
STATUS_ID = "2d086da7-4bdc-4f91-900e-d77486753710"
INCOMPLETE_STATUS_ID = "2d086da7-4bdc-4f91-900e-f4566be4b780"  # has total_objects where TAXII wants total_count
MALWARE = "malware--c0931cc6-c75e-47e5-9036-78fabc95d4ec"
URL_INDICATOR = "indicator--6770298f-0fd8-471a-ab8c-1c658a46574e"
REPAIRED_ROOT = "repaired"
REPAIRED = "0e0cbc5a-6c1b-4d5c-9d5b-0e5d7b5a0001"  # the high value collection, repaired


def medallion_file(shared_data: Path) -> Path:
    return shared_data / "oasis" / "medallion_default_data.json"


def version_of(item: dict) -> str:
    return item.get("modified") or item["created"]


def is_stix_2_0(obj: dict) -> bool:
    return spec_version_of(obj) == "2.0"


def repaired(data: dict) -> dict:
    """Only trustgroup1's high value collection, as root "repaired": the STIX 2.0 malware gets the
    labels STIX 2.0 requires, and the collection a new id."""
    collection = copy.deepcopy(next(c for c in data["trustgroup1"]["collections"] if c["id"] == HIGH_VALUE))
    collection["id"] = REPAIRED
    for obj in collection["objects"]:
        if is_stix_2_0(obj):
            obj["labels"] = obj["malware_types"]
    information = {**data["trustgroup1"]["information"], "title": "Repaired copy"}
    return {"/discovery": data["/discovery"], REPAIRED_ROOT: {"information": information, "status": [], "collections": [collection]}}


class MedallionNode:
    def __init__(self, base: str, accounts: dict[str, tuple[str, str]], data: dict, env: dict, cli):
        self.base = base
        self.accounts = accounts
        self.data = data
        self.env = env
        self.cli = cli
        self.session = requests.Session()

    def request(self, method: str, path: str, account: str | None = "medallion", **options) -> requests.Response:
        auth = self.accounts[account] if account else None
        return taxii_request(self.session, method, f"{self.base}/taxii2/{path}", auth, **options)

    def get(self, path: str, account: str = "medallion", **params) -> tuple[dict, requests.structures.CaseInsensitiveDict]:
        response = self.request("GET", path, account, params=params)
        assert response.status_code == 200, (path, params, response.text)
        assert response.headers["Content-Type"] == TAXII
        return response.json(), response.headers

    def objects(
        self, collection: str = HIGH_VALUE, root: str = "trustgroup1", endpoint: str = "objects", account="medallion", **params
    ) -> tuple[list[dict], requests.structures.CaseInsensitiveDict]:
        body, headers = self.get(f"{root}/collections/{collection}/{endpoint}/", account, **params)
        return body.get("objects", []), headers

    def post(self, objects: list, collection: str = ADDING, account: str = "medallion") -> dict:
        response = self.request("POST", f"trustgroup1/collections/{collection}/objects/", account, body={"objects": objects})
        assert response.status_code == 202, response.text
        return response.json()

    def file_collection(self, collection_id: str = HIGH_VALUE, root: str = "trustgroup1") -> dict:
        data = self.data if root != REPAIRED_ROOT else repaired(self.data)
        return next(c for c in data[root]["collections"] if c["id"] == collection_id)


def _run(env: dict, *args: str):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def medallion(request, tmp_path_factory, shared_data):
    tmp_path = tmp_path_factory.mktemp(f"medallion-{request.param}")
    database_url, drop = new_database(request.param, tmp_path)
    env = {"FIMISHARE_HOME": str(tmp_path / "home"), "FIMISHARE_DATABASE_URL": database_url}
    path = medallion_file(shared_data)
    data = json.loads(path.read_text())
    try:
        cli = node_cli(env)
        cli("init", "--org-name", "EEAS")
        migrated = _run(env, "taxii", "import-medallion", str(path))
        # The STIX 2.0 malware is rejected, so the command says so and exits 1; the rest is there.
        assert migrated.exit_code == 1, migrated.output
        key = next(line.split("\t")[1] for line in migrated.stdout.splitlines() if line.startswith("api key\t"))
        repaired_path = tmp_path / "repaired.json"
        repaired_path.write_text(json.dumps(repaired(data)))
        assert "rejected 0" in cli("taxii", "import-medallion", str(repaired_path), "--account", "medallion")
        cli("orgs", "add", "JP-NISC")
        other_key = cli("users", "add", "jp-sync", "--org", "JP-NISC", "--role", "sync").strip().splitlines()[1].split("\t")[1]
        admin_key = cli("users", "add", "eeas-admin", "--org", "EEAS", "--role", "admin").strip().splitlines()[1].split("\t")[1]
        accounts = {"medallion": ("medallion", key), "jp-sync": ("jp-sync", other_key), "eeas-admin": ("eeas-admin", admin_key)}
        with serving(env, tmp_path) as base:
            node = MedallionNode(base, accounts, data, env, cli)
            yield node
            node.session.close()
    finally:
        drop()


# --------------------------------------------------------------------------- the migration command


def test_the_migration_reports_the_rejected_stix_2_0_object_and_keeps_the_rest(shared_data, tmp_path):
    env = {"FIMISHARE_HOME": str(tmp_path / "home")}
    node_cli(env)("init")
    result = _run(env, "taxii", "import-medallion", str(medallion_file(shared_data)))
    assert result.exit_code == 1
    rejected = [line for line in result.stderr.splitlines() if line.startswith("rejected:")]
    assert len(rejected) == 1 and MALWARE in rejected[0] and "labels" in rejected[0], result.stderr
    assert "stored 7, unchanged 0, rejected 1" in result.stdout
    assert (
        "migrated API roots api1, api2, trustgroup1 (default /taxii2/trustgroup1/), 5 collections with 7 versions, "
        "2 status resources" in result.stdout
    )
    assert f"status {INCOMPLETE_STATUS_ID}: no total_count" in result.stderr


def test_a_file_that_cannot_be_migrated_changes_nothing(shared_data, tmp_path):
    env = {"FIMISHARE_HOME": str(tmp_path / "home")}
    cli = node_cli(env)
    cli("init")
    roots_before = cli("roots", "list")
    data = json.loads(medallion_file(shared_data).read_text())
    broken = copy.deepcopy(data)
    broken["trustgroup1"]["collections"][2]["manifest"][3]["date_added"] = "yesterday"
    broken["trustgroup1"]["collections"][1]["can_write"] = "yes"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    result = _run(env, "taxii", "import-medallion", str(path))
    assert result.exit_code == 1
    assert "$['trustgroup1'].collections[2].manifest[3].date_added: 'yesterday' is not a timestamp" in result.output
    assert "$['trustgroup1'].collections[1].can_write: expected true or false, not 'yes'" in result.output
    assert cli("roots", "list") == roots_before
    assert not any(obj["id"] == URL_INDICATOR for obj in json.loads(cli("export"))["objects"])

    path.write_text("{not json")
    result = _run(env, "taxii", "import-medallion", str(path))
    assert result.exit_code == 1 and "malformed JSON" in result.output

    # Migrating twice: the second run names what exists and writes nothing.
    assert _run(env, "taxii", "import-medallion", str(medallion_file(shared_data))).exit_code == 1
    roots_after_first = cli("roots", "list")
    again = _run(env, "taxii", "import-medallion", str(medallion_file(shared_data)))
    assert again.exit_code == 1
    assert "API root 'api1' exists already" in again.output and f"collection '{HIGH_VALUE}' exists already" in again.output
    assert f"status '{STATUS_ID}' exists already" in again.output
    assert cli("roots", "list") == roots_after_first


def test_round_trip_through_export_gives_back_the_files_objects(shared_data, tmp_path):
    """import-medallion, then `fimishare export --all-versions`: object for object, the file's
    objects come back unchanged, except the one the STIX 2.0 rules reject."""
    env = {"FIMISHARE_HOME": str(tmp_path / "home")}
    cli = node_cli(env)
    cli("init")
    _run(env, "taxii", "import-medallion", str(medallion_file(shared_data)))
    exported = json.loads(cli("export", "--all-versions"))["objects"]
    by_version = {(obj["id"], version_of(obj)): obj for obj in exported}
    data = json.loads(medallion_file(shared_data).read_text())
    in_file = [obj for root in FILE_ROOTS for c in data[root]["collections"] for obj in c["objects"]]
    assert len(in_file) == 8
    for obj in in_file:
        key = (obj["id"], version_of(obj))
        if is_stix_2_0(obj):
            assert key not in by_version
        else:
            assert by_version[key] == obj
    # And nothing else of theirs: every other exported object is one `init` made.
    file_ids = {obj["id"] for obj in in_file}
    assert sorted(version_of(obj) for obj in exported if obj["id"] in file_ids) == sorted(
        version_of(obj) for obj in in_file if not is_stix_2_0(obj)
    )


# --------------------------------------------------------------------------- discovery, roots, collections


def test_discovery_lists_the_migrated_roots_and_their_default(medallion):
    body, _ = medallion.get("")
    roots = [url.removeprefix(medallion.base) for url in body["api_roots"]]
    assert {f"/taxii2/{name}/" for name in FILE_ROOTS} <= set(roots)
    assert body["default"] == f"{medallion.base}/taxii2/trustgroup1/"


@pytest.mark.parametrize("root", FILE_ROOTS)
def test_api_root_information_is_the_files(medallion, root):
    body, _ = medallion.get(f"{root}/")
    information = medallion.data[root]["information"]
    assert body == {
        "title": information["title"],
        "description": information["description"],
        "versions": [TAXII],
        "max_content_length": information["max_content_length"],
    }
    assert body["max_content_length"] == 9765625


def test_collections_keep_their_ids_titles_descriptions_and_rights(medallion):
    body, _ = medallion.get("trustgroup1/collections/")
    listed = {c["id"]: c for c in body["collections"]}
    expected = {c["id"]: c for c in medallion.data["trustgroup1"]["collections"] if c["can_read"] or c["can_write"]}
    assert set(listed) == set(expected) == {WRITE_ONLY, ADDING, HIGH_VALUE, READ_ONLY}
    for collection_id, collection in expected.items():
        got = listed[collection_id]
        assert (got["title"], got.get("description"), got["can_read"], got["can_write"]) == (
            collection["title"],
            collection.get("description"),
            collection["can_read"],
            collection["can_write"],
        )
        assert "application/stix+json;version=2.0" in got["media_types"]
    one, _ = medallion.get(f"trustgroup1/collections/{READ_ONLY}/")
    assert one == listed[READ_ONLY]
    # One the file lets no one read or write is not shown to medallion's users at all.
    assert medallion.request("GET", f"trustgroup1/collections/{SECRET}/").status_code == 404
    # api1 has no collections; a partner with no grant sees none of the file's.
    assert medallion.get("api1/collections/")[0] == {}
    assert medallion.get("trustgroup1/collections/", "jp-sync")[0] == {}
    # This node's own accounts see and read every collection, and write those the file lets anyone write.
    body, _ = medallion.get("trustgroup1/collections/", "eeas-admin")
    assert {c["id"]: (c["can_read"], c["can_write"]) for c in body["collections"]} == {
        WRITE_ONLY: (True, True),
        ADDING: (True, True),
        HIGH_VALUE: (True, True),
        READ_ONLY: (True, False),
        SECRET: (True, False),
    }


# --------------------------------------------------------------------------- objects and manifests


def accepted_manifest(medallion, collection_id=HIGH_VALUE, root="trustgroup1") -> list[dict]:
    """The file's manifest entries whose objects were migrated, in date_added order (stable for ties)."""
    collection = medallion.file_collection(collection_id, root)
    rejected = {(obj["id"], version_of(obj)) for obj in collection["objects"] if is_stix_2_0(obj) and "labels" not in obj}
    entries = [e for e in collection["manifest"] if (e["id"], e["version"]) not in rejected]
    return sorted(entries, key=lambda e: e["date_added"])


def test_the_manifest_is_the_files_with_its_date_added_values(medallion):
    records, headers = medallion.objects(endpoint="manifest", **{"match[version]": "all"})
    expected = accepted_manifest(medallion)
    assert len(records) == 7
    assert records == expected
    assert headers["X-TAXII-Date-Added-First"] == "2014-05-08T09:00:00.000000Z" == expected[0]["date_added"]
    assert headers["X-TAXII-Date-Added-Last"] == "2017-12-31T13:49:53.935000Z" == expected[-1]["date_added"]


def test_objects_come_in_date_added_order_newest_version_of_each(medallion):
    objects, headers = medallion.objects()
    file_objects = medallion.file_collection()["objects"]
    newest = {}
    for obj in file_objects:
        if not is_stix_2_0(obj) and (obj["id"] not in newest or version_of(obj) > version_of(newest[obj["id"]])):
            newest[obj["id"]] = obj
    dates = {(e["id"], e["version"]): e["date_added"] for e in accepted_manifest(medallion)}
    expected = sorted(newest.values(), key=lambda obj: dates[(obj["id"], version_of(obj))])
    assert objects == expected
    assert [obj["id"] for obj in objects][-1] == URL_INDICATOR  # its last version was added last, in 2017-12
    assert headers["X-TAXII-Date-Added-First"] == "2014-05-08T09:00:00.000000Z"
    assert headers["X-TAXII-Date-Added-Last"] == "2017-12-31T13:49:53.935000Z"


def test_added_after_takes_what_was_added_strictly_later(medallion):
    after = "2016-11-03T12:30:59.001000Z"  # the date_added of the URL indicator's first version
    records, headers = medallion.objects(endpoint="manifest", added_after=after, **{"match[version]": "all"})
    assert records == [e for e in accepted_manifest(medallion) if e["date_added"] > after]
    assert headers["X-TAXII-Date-Added-First"] == "2016-12-27T13:49:59.000000Z"
    assert medallion.objects(added_after="2017-12-31T13:49:53.935000Z")[0] == []


def test_limit_and_next_page_through_the_collection_without_repeats_or_gaps(medallion):
    expected = accepted_manifest(medallion)
    seen, params, pages = [], {"limit": "2", "match[version]": "all"}, 0
    while True:
        body, headers = medallion.get(f"trustgroup1/collections/{HIGH_VALUE}/manifest/", **params)
        page = body["objects"]
        assert len(page) <= 2
        assert headers["X-TAXII-Date-Added-First"] == page[0]["date_added"]
        assert headers["X-TAXII-Date-Added-Last"] == page[-1]["date_added"]
        seen += page
        pages += 1
        if not body.get("more"):
            assert "next" not in body
            break
        params["next"] = body["next"]
    assert seen == expected and pages == 4


def test_versions_sharing_one_date_added_are_all_paged(medallion):
    """In the repaired copy both malware versions have date_added 2017-01-27T13:49:59.997000Z:
    paging one at a time by `next` returns each once (OpenCTI #4537 lost such objects)."""
    expected = accepted_manifest(medallion, REPAIRED, REPAIRED_ROOT)
    assert len(expected) == 8
    shared = [e for e in expected if e["id"] == MALWARE]
    assert len(shared) == 2 and shared[0]["date_added"] == shared[1]["date_added"]
    seen, params = [], {"limit": "1", "match[version]": "all", "match[spec_version]": "2.0,2.1"}
    while True:
        body, _ = medallion.get(f"{REPAIRED_ROOT}/collections/{REPAIRED}/manifest/", **params)
        seen += body["objects"]
        if not body.get("more"):
            break
        params["next"] = body["next"]
    assert sorted(seen, key=lambda e: (e["date_added"], e["id"], e["version"])) == sorted(
        expected, key=lambda e: (e["date_added"], e["id"], e["version"])
    )
    assert len(seen) == len({(e["id"], e["version"]) for e in seen}) == 8


def test_match_id_and_type(medallion):
    objects, _ = medallion.objects(**{"match[id]": f"{URL_INDICATOR},{MALWARE}"})
    assert sorted(obj["id"] for obj in objects) == sorted([URL_INDICATOR, MALWARE])
    objects, _ = medallion.objects(**{"match[type]": "indicator"})
    assert sorted(obj["id"] for obj in objects) == sorted([URL_INDICATOR, "indicator--cd981c25-8042-4166-8945-51178443bdac"])
    objects, _ = medallion.objects(**{"match[type]": "indicator,marking-definition", "match[id]": URL_INDICATOR})
    assert [obj["id"] for obj in objects] == [URL_INDICATOR]
    one, _ = medallion.get(f"trustgroup1/collections/{HIGH_VALUE}/objects/{URL_INDICATOR}/")
    assert [version_of(obj) for obj in one["objects"]] == ["2017-01-27T13:49:53.935Z"]


@pytest.mark.parametrize(
    "version, expected",
    [
        ("first", ["2016-11-03T12:30:59.000Z"]),
        ("last", ["2017-01-27T13:49:53.935Z"]),
        ("all", ["2016-11-03T12:30:59.000Z", "2016-12-25T12:30:59.444Z", "2017-01-27T13:49:53.935Z"]),
        ("2016-12-25T12:30:59.444Z", ["2016-12-25T12:30:59.444Z"]),
        ("first,last", ["2016-11-03T12:30:59.000Z", "2017-01-27T13:49:53.935Z"]),
    ],
)
def test_match_version(medallion, version, expected):
    objects, _ = medallion.objects(**{"match[id]": URL_INDICATOR, "match[version]": version})
    assert [version_of(obj) for obj in objects] == expected
    # The same through the object's own endpoint.
    body, _ = medallion.get(f"trustgroup1/collections/{HIGH_VALUE}/objects/{URL_INDICATOR}/", **{"match[version]": version})
    assert [version_of(obj) for obj in body["objects"]] == expected


def test_versions_lists_every_version_in_date_added_order(medallion):
    body, headers = medallion.get(f"trustgroup1/collections/{HIGH_VALUE}/objects/{URL_INDICATOR}/versions/")
    assert body["versions"] == ["2016-11-03T12:30:59.000Z", "2016-12-25T12:30:59.444Z", "2017-01-27T13:49:53.935Z"]
    assert headers["X-TAXII-Date-Added-First"] == "2016-11-03T12:30:59.001000Z"
    assert headers["X-TAXII-Date-Added-Last"] == "2017-12-31T13:49:53.935000Z"
    limited, _ = medallion.get(f"trustgroup1/collections/{HIGH_VALUE}/objects/{URL_INDICATOR}/versions/", limit="2")
    assert limited["versions"] == body["versions"][:2] and limited["more"] is True
    rest, _ = medallion.get(f"trustgroup1/collections/{HIGH_VALUE}/objects/{URL_INDICATOR}/versions/", next=limited["next"])
    assert rest["versions"] == body["versions"][2:]


# --------------------------------------------------------------------------- STIX 2.0 beside 2.1


def test_match_spec_version_serves_stix_2_0_objects_as_2_0(medallion):
    """The malware has a STIX 2.1 version (2017) and a newer STIX 2.0 one (2018). Without
    match[spec_version] only each object's newest STIX version counts (TAXII 2.1 section 3.5)."""
    path = f"{REPAIRED_ROOT}/collections/{REPAIRED}/objects/{MALWARE}/"
    default, _ = medallion.get(path)
    assert [(obj.get("spec_version"), obj["modified"]) for obj in default["objects"]] == [("2.1", "2017-01-27T13:49:53.997Z")]
    stix_2_0, _ = medallion.get(path, **{"match[spec_version]": "2.0"})
    [served] = stix_2_0["objects"]
    assert "spec_version" not in served and served["modified"] == "2018-02-23T18:30:00.000Z"
    assert served == next(obj for obj in medallion.file_collection(REPAIRED, REPAIRED_ROOT)["objects"] if is_stix_2_0(obj))
    both, _ = medallion.get(path, **{"match[spec_version]": "2.0,2.1"})
    assert [obj["modified"] for obj in both["objects"]] == ["2018-02-23T18:30:00.000Z"]  # the last of either
    every, _ = medallion.get(path, **{"match[spec_version]": "2.0,2.1", "match[version]": "all"})
    assert sorted(obj["modified"] for obj in every["objects"]) == ["2017-01-27T13:49:53.997Z", "2018-02-23T18:30:00.000Z"]

    manifest, _ = medallion.objects(
        REPAIRED, REPAIRED_ROOT, "manifest", **{"match[id]": MALWARE, "match[spec_version]": "2.0,2.1", "match[version]": "all"}
    )
    assert {(r["version"], r["media_type"]) for r in manifest} == {
        ("2017-01-27T13:49:53.997Z", "application/stix+json;version=2.1"),
        ("2018-02-23T18:30:00.000Z", "application/stix+json;version=2.0"),
    }
    versions, _ = medallion.get(f"{path}versions/")
    assert versions["versions"] == ["2017-01-27T13:49:53.997Z"]
    versions, _ = medallion.get(f"{path}versions/", **{"match[spec_version]": "2.0"})
    assert versions["versions"] == ["2018-02-23T18:30:00.000Z"]
    # In the original file's collection the 2.0 version was rejected: nothing answers 2.0.
    assert medallion.objects(**{"match[spec_version]": "2.0"})[0] == []
    assert len(medallion.objects(**{"match[spec_version]": "2.1"})[0]) == 5


def stix_2_0_indicator(**props) -> dict:
    return {
        "type": "indicator",
        "id": f"indicator--{uuid.uuid4()}",
        "created": "2017-03-01T10:00:00.000Z",
        "modified": "2017-03-01T10:00:00.000Z",
        "labels": ["malicious-activity"],
        "name": "2.0 from a partner",
        "pattern": "[domain-name:value = 'stix20.example']",
        "valid_from": "2017-03-01T10:00:00Z",
        **props,
    }


def test_partners_post_stix_2_0_objects_which_the_2_0_rules_check(medallion):
    good = stix_2_0_indicator()
    unlabelled = {key: value for key, value in stix_2_0_indicator().items() if key != "labels"}
    status = medallion.post([good, unlabelled])
    assert status["success_count"] == 1 and [s["id"] for s in status["successes"]] == [good["id"]]
    [failure] = status["failures"]
    assert failure["id"] == unlabelled["id"] and "labels" in failure["message"]
    [served], _ = medallion.objects(ADDING, **{"match[id]": good["id"]})
    assert served == good
    [record], _ = medallion.objects(ADDING, endpoint="manifest", **{"match[id]": good["id"]})
    assert record["media_type"] == "application/stix+json;version=2.0"


def test_sco_versions_are_their_date_added(medallion):
    """An observable has no created or modified: its one version is its date_added."""
    sco = {"type": "domain-name", "spec_version": "2.1", "id": f"domain-name--{uuid.uuid4()}", "value": f"{uuid.uuid4().hex[:10]}.example"}
    assert medallion.post([sco])["success_count"] == 1
    assert medallion.post([sco])["success_count"] == 1  # the same again: unchanged
    [record], _ = medallion.objects(ADDING, endpoint="manifest", **{"match[id]": sco["id"], "match[version]": "all"})
    assert record["version"] == record["date_added"]
    versions, _ = medallion.get(f"trustgroup1/collections/{ADDING}/objects/{sco['id']}/versions/")
    assert versions["versions"] == [record["version"]]
    for version in ("first", "last", "all", record["version"]):
        objects, _ = medallion.objects(ADDING, **{"match[id]": sco["id"], "match[version]": version})
        assert objects == [sco], version
    assert medallion.objects(ADDING, **{"match[id]": sco["id"], "match[version]": "2017-01-01T00:00:00.000Z"})[0] == []


def test_an_older_version_added_late_is_not_served_as_the_current_one(medallion):
    """added_after with match[version]=last: the object's last version, if it was added after
    (docs/taxii-conformance.md, row 7; medallion would serve the older version)."""
    newer = indicator("[domain-name:value = 'late.example']", created="2024-01-01T00:00:00.000Z", modified="2024-02-01T00:00:00.000Z")
    older = {**newer, "modified": "2024-01-01T00:00:00.000Z"}
    assert medallion.post([newer])["success_count"] == 1
    [record], _ = medallion.objects(ADDING, endpoint="manifest", **{"match[id]": newer["id"]})
    assert medallion.post([older])["success_count"] == 1
    after = {"added_after": record["date_added"], "match[id]": newer["id"]}
    assert medallion.objects(ADDING, **after)[0] == []
    assert medallion.objects(ADDING, **after, **{"match[version]": "all"})[0] == [older]
    assert medallion.objects(ADDING, **{"match[id]": newer["id"]})[0] == [newer]


# --------------------------------------------------------------------------- deleting


def test_delete_by_version_and_by_spec_version(medallion):
    object_id = f"indicator--{uuid.uuid4()}"
    first = indicator(
        "[domain-name:value = 'deleted.example']", id=object_id, created="2024-01-01T00:00:00.000Z", modified="2024-01-01T00:00:00.000Z"
    )
    second = {**first, "modified": "2024-02-01T00:00:00.000Z"}
    old_style = stix_2_0_indicator(id=object_id, created="2024-01-01T00:00:00.000Z", modified="2024-03-01T00:00:00.000Z")
    assert medallion.post([first, second, old_style])["success_count"] == 3
    path = f"trustgroup1/collections/{ADDING}/objects/{object_id}/"

    def versions(spec="2.0,2.1"):
        return medallion.get(f"{path}versions/", **{"match[spec_version]": spec})[0].get("versions", [])

    assert versions() == ["2024-01-01T00:00:00.000Z", "2024-02-01T00:00:00.000Z", "2024-03-01T00:00:00.000Z"]
    assert medallion.request("DELETE", path, params={"match[version]": "2024-01-01T00:00:00.000Z"}).status_code == 200
    assert versions() == ["2024-02-01T00:00:00.000Z", "2024-03-01T00:00:00.000Z"]
    assert medallion.request("DELETE", path, params={"match[spec_version]": "2.0"}).status_code == 200
    assert versions() == ["2024-02-01T00:00:00.000Z"]
    assert versions("2.0") == []
    assert medallion.request("DELETE", path).status_code == 200
    assert medallion.request("GET", f"{path}versions/").status_code == 404
    assert medallion.request("DELETE", path).status_code == 404

    # Without filters, every version of every STIX version goes (medallion deletes the last only).
    assert medallion.post([first, old_style])["success_count"] == 2
    assert versions() == ["2024-01-01T00:00:00.000Z", "2024-03-01T00:00:00.000Z"]
    assert medallion.request("DELETE", path).status_code == 200
    assert medallion.request("GET", f"{path}versions/", params={"match[spec_version]": "2.0,2.1"}).status_code == 404


def test_migrated_versions_are_deleted_by_this_nodes_accounts_only(medallion):
    """The file's objects belong to this node now: a partner may delete only what it posted."""
    migrated = next(obj for obj in medallion.file_collection()["objects"] if obj["type"] == "relationship")
    assert medallion.post([migrated])["success_count"] == 1  # the stored version joins the collection too
    path = f"trustgroup1/collections/{ADDING}/objects/{migrated['id']}/"
    refused = medallion.request("DELETE", path)
    assert refused.status_code == 403 and "only versions its own organisation added" in refused.json()["description"]
    assert medallion.request("DELETE", path, "eeas-admin").status_code == 200
    assert medallion.request("GET", path).status_code == 404
    # Only out of that collection: the high value collection keeps it.
    assert medallion.objects(**{"match[id]": migrated["id"]})[0] == [migrated]


# --------------------------------------------------------------------------- status resources


def test_status_resources_are_migrated_for_medallions_users(medallion):
    body, _ = medallion.get(f"trustgroup1/status/{STATUS_ID}/")
    assert body == next(s for s in medallion.data["trustgroup1"]["status"] if s["id"] == STATUS_ID)
    incomplete, _ = medallion.get(f"trustgroup1/status/{INCOMPLETE_STATUS_ID}/")
    assert incomplete["total_count"] == 0 and incomplete["status"] == "pending"
    # Only the organisation that posted reads a status; and only under its own root.
    assert medallion.request("GET", f"trustgroup1/status/{STATUS_ID}/", "jp-sync").status_code == 404
    assert medallion.request("GET", f"api1/status/{STATUS_ID}/").status_code == 404


# --------------------------------------------------------------------------- refusals


def test_refusals(medallion):
    objects = f"trustgroup1/collections/{ADDING}/objects/"

    def refused(status: int, response: requests.Response) -> None:
        assert response.status_code == status, (status, response.status_code, response.text)
        body = response.json()
        assert body["http_status"] == str(status) and body["title"] and body["description"]
        assert response.headers["Content-Type"] == TAXII

    refused(401, medallion.request("GET", "trustgroup1/", None))
    refused(401, medallion.session.get(f"{medallion.base}/taxii2/trustgroup1/", auth=("medallion", "wrong key"), headers={"Accept": TAXII}))
    refused(403, medallion.request("GET", f"trustgroup1/collections/{WRITE_ONLY}/objects/"))
    refused(403, medallion.request("GET", f"trustgroup1/collections/{WRITE_ONLY}/manifest/"))
    refused(403, medallion.request("POST", f"trustgroup1/collections/{READ_ONLY}/objects/", body={"objects": [stix_2_0_indicator()]}))
    refused(404, medallion.request("GET", "no-such-root/"))
    refused(404, medallion.request("GET", f"trustgroup1/collections/{uuid.uuid4()}/objects/"))
    refused(404, medallion.request("GET", f"trustgroup1/collections/{SECRET}/objects/"))
    refused(404, medallion.request("GET", f"trustgroup1/collections/{HIGH_VALUE}/objects/indicator--{uuid.uuid4()}/"))
    refused(404, medallion.request("GET", f"trustgroup1/status/{uuid.uuid4()}/"))
    refused(406, medallion.request("GET", "trustgroup1/", accept="application/json"))
    refused(406, medallion.request("GET", "trustgroup1/", accept="application/taxii+json;version=2.0"))
    refused(415, medallion.request("POST", objects, body={"objects": [stix_2_0_indicator()]}, content_type="application/json"))
    refused(422, medallion.request("POST", objects, body={"objects": "not a list"}))
    refused(400, medallion.request("GET", objects, params={"match[spec_version]": "2.2"}))
    refused(400, medallion.request("GET", objects, params={"next": "not-a-token"}))


# --------------------------------------------------------------------------- medallion's own server


def test_medallions_own_server_runs_on_the_store_backend(shared_data, tmp_path):
    """medallion's command line, configured with module/module_class/filename, seeds a fresh
    store from the file, serves it with medallion's own views and users, and on a restart
    serves what it seeded rather than seeding again."""
    config = {
        "backend": {
            "module": "fimishare.platform.medallion",
            "module_class": "MedallionBackend",
            "filename": str(medallion_file(shared_data)),
        },
        "users": {"admin": "Password0"},
        "taxii": {"max_page_size": 100},
    }
    config_path = tmp_path / "medallion.json"
    config_path.write_text(json.dumps(config))
    env = {**os.environ, "FIMISHARE_HOME": str(tmp_path / "home")}
    env.pop("FIMISHARE_DATABASE_URL", None)
    data = json.loads(medallion_file(shared_data).read_text())
    expected = sorted(
        (e for e in data["trustgroup1"]["collections"][2]["manifest"] if e["media_type"].endswith("2.1")), key=lambda e: e["date_added"]
    )
    for start in ("first", "restart"):
        port = free_port()
        log_path = tmp_path / f"medallion-{start}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [str(Path(sys.executable).with_name("medallion")), "--host", "127.0.0.1", "--port", str(port), str(config_path)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            base = f"http://127.0.0.1:{port}"
            headers = {"Accept": TAXII, "Authorization": "Basic " + b64encode(b"admin:Password0").decode()}

            def get(path: str, base: str = base, headers: dict = headers) -> dict:
                request = urllib.request.Request(base + path, headers=headers)
                with urllib.request.urlopen(request, timeout=10) as response:
                    assert response.headers["Content-Type"] == TAXII
                    return json.load(response)

            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, log_path.read_text()
                try:
                    discovery = get("/taxii2/")
                    break
                except OSError:
                    assert time.monotonic() < deadline, log_path.read_text()
                    time.sleep(0.2)
            assert f"{base}/trustgroup1/" in discovery["api_roots"] and discovery["default"] == f"{base}/trustgroup1/"
            assert get("/trustgroup1/")["title"] == "Malware Research Group"
            manifest = get(f"/trustgroup1/collections/{HIGH_VALUE}/manifest/?match[version]=all")["objects"]
            assert manifest == expected
            assert get(f"/trustgroup1/status/{STATUS_ID}/")["id"] == STATUS_ID
        finally:
            process.terminate()
            process.wait(timeout=15)
    assert "seeded" in (tmp_path / "medallion-first.log").read_text()
    assert "seeded" not in (tmp_path / "medallion-restart.log").read_text()


def test_the_backend_takes_medallions_backend_configuration(shared_data, tmp_path, monkeypatch):
    """medallion.connect_to_backend, as medallion's app factory calls it."""
    from medallion import connect_to_backend

    monkeypatch.setenv("FIMISHARE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("FIMISHARE_DATABASE_URL", raising=False)
    backend = connect_to_backend(
        {
            "module": "fimishare.platform.medallion",
            "module_class": "MedallionBackend",
            "filename": str(medallion_file(shared_data)),
            "account": "medallion-users",
        }
    )
    assert {root.name for root in backend.store.collections.roots()} >= set(FILE_ROOTS)
    assert backend.store.directory.account("medallion-users").role == "sync"
    assert backend.store.collections.default_root().name == "trustgroup1"
    with pytest.raises(MedallionDataError, match="missing.json"):
        connect_to_backend(
            {"module": "fimishare.platform.medallion", "module_class": "MedallionBackend", "filename": str(tmp_path / "missing.json")}
        )
