"""The node's HTTP API over real HTTP: `fimishare serve` (gunicorn) on loopback, urllib as the client.

One server per database kind for the whole module; every test makes its own objects (fresh
ids, its own domain names) so the tests do not depend on each other's order.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass

import pytest
from click.testing import CliRunner
from support.live_server import free_port, node_cli, serving
from support.services import DATABASE_KINDS, new_database
from support.stix_factory import bundle, indicator, relationship, sdo

from fimishare.cli import main
from fimishare.stix import TLP_AMBER, TLP_GREEN

PASSWORD = "correct horse battery"
SYNC_KEY = "jp-nisc-sync-api-key-0123456789"
MAX_BUNDLE_BYTES = 64 * 1024
CSP = "default-src 'none'; frame-ancestors 'none'"


@dataclass
class Server:
    base: str
    log: str
    env: dict[str, str]

    def call(
        self,
        method: str,
        path: str,
        *,
        user: str | None = None,
        password: str | None = None,
        body: bytes | dict | list | None = None,
        content_type: str = "application/json",
        bearer: str | None = None,
    ):
        """(status, headers, parsed JSON body) for one request."""
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", content_type)
        if user is not None:
            secret = password if password is not None else (SYNC_KEY if user == "jp-sync" else PASSWORD)
            request.add_header("Authorization", "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode())
        if bearer is not None:
            request.add_header("Authorization", f"Bearer {bearer}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.headers, json.loads(response.read())
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.headers, json.loads(error.read())

    def get(self, path: str, user: str | None = "analyst1", **params):
        query = urllib.parse.urlencode(params, doseq=True)
        return self.call("GET", path + (f"?{query}" if query else ""), user=user)

    def indexed(self, path: str, ready, user: str | None = "analyst1", **params):
        """GET a search path once `fimishare serve`'s indexer has caught up, i.e. ``ready(body)``."""
        deadline = time.monotonic() + 30
        while True:
            status, headers, body = self.get(path, user=user, **params)
            if status != 200 or ready(body) or time.monotonic() > deadline:
                return status, headers, body
            time.sleep(0.1)

    def post(self, objects, user: str = "analyst1"):
        return self.call("POST", "/api/v1/objects", user=user, body=objects)


# --------------------------------------------------------------------------- the server


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def server(request, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp(f"api-{request.param}")
    database_url, drop = new_database(request.param, tmp_path)
    env = {"FIMISHARE_HOME": str(tmp_path / "home"), "FIMISHARE_DATABASE_URL": database_url}
    try:
        cli = node_cli(env)
        cli("init", "--org-name", "EEAS")
        cli("orgs", "add", "JP-NISC")
        cli("users", "add", "analyst1", "--org", "EEAS", "--role", "analyst", "--password", PASSWORD)
        cli("users", "add", "viewer1", "--org", "EEAS", "--role", "viewer", "--password", PASSWORD)
        cli("users", "add", "jp-sync", "--org", "JP-NISC", "--role", "sync", "--password", SYNC_KEY)
        with serving({**env, "FIMISHARE_MAX_BUNDLE_BYTES": str(MAX_BUNDLE_BYTES)}, tmp_path) as base:
            yield Server(base, str(tmp_path / "serve.log"), env)
    finally:
        drop()


def _all_ids(server: Server, user: str, **params) -> list[str]:
    """Every object id the user can list, following `next` page by page."""
    ids, after = [], None
    for _ in range(1000):
        query = dict(params, limit=params.get("limit", 1000))
        if after:
            query["added_after"] = after
        status, _, body = server.get("/api/v1/objects", user=user, **query)
        assert status == 200, body
        ids += [obj["id"] for obj in body["objects"]]
        if not body["more"]:
            return ids
        after = body["next"]
    raise AssertionError("paging did not end")


# --------------------------------------------------------------------------- tests


def test_health_needs_no_account_and_sends_security_headers(server):
    status, headers, body = server.get("/api/v1/health", user=None)
    assert status == 200
    assert body == {"status": "ok"}  # nothing about what the store holds, to a caller without an account
    assert headers["Content-Security-Policy"] == CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"


def test_an_api_key_opens_the_api_as_a_bearer_token_as_it_opens_taxii(server):
    key = node_cli(server.env)("users", "key", "viewer1").strip()
    status, _, body = server.call("GET", "/api/v1/objects", bearer=key)
    assert status == 200 and "objects" in body
    status, headers, body = server.call("GET", "/api/v1/objects", bearer=key[:-2] + "xx")
    assert status == 401 and "wrong credentials" in body["error"] and "Bearer" in headers["WWW-Authenticate"]
    node_cli(server.env)("users", "key", "viewer1", "--revoke")
    assert server.call("GET", "/api/v1/objects", bearer=key)[0] == 401


@pytest.mark.parametrize("user, password", [(None, None), ("analyst1", "wrong password here"), ("nobody", PASSWORD)])
def test_401_without_or_with_wrong_credentials(server, user, password):
    status, headers, body = server.call("GET", "/api/v1/objects", user=user, password=password)
    assert status == 401
    assert headers["WWW-Authenticate"].startswith('Basic realm="fimishare"')
    assert body["status"] == 401 and body["error"]
    assert headers["Content-Security-Policy"] == CSP


def test_post_valid_bundle(server):
    malware = sdo("malware")
    ind = indicator(f"[domain-name:value = '{uuid.uuid4().hex}.example']")
    rel = relationship(ind, "indicates", malware)
    status, headers, body = server.post(bundle(malware, ind, rel))
    assert status == 200, body
    assert (body["stored"], body["unchanged"], body["rejected"], body["errors"]) == (3, 0, 0, [])
    assert [(o["id"], o["status"]) for o in body["objects"]] == [(malware["id"], "stored"), (ind["id"], "stored"), (rel["id"], "stored")]
    assert headers["Content-Security-Policy"] == CSP

    status, _, body = server.call(
        "POST", "/api/v1/objects", user="jp-sync", body=[malware, ind, rel], content_type="application/stix+json;version=2.1"
    )
    assert status == 200, body
    assert (body["stored"], body["unchanged"]) == (0, 3)


def test_post_broken_object_is_named_and_the_valid_ones_are_stored(server):
    good = indicator(f"[domain-name:value = '{uuid.uuid4().hex}.example']")
    broken = indicator("[domain-name:value = 'broken.example']", created="yesterday")
    status, _, body = server.post(bundle(good, broken))
    assert status == 422, body
    assert (body["stored"], body["rejected"]) == (1, 1)
    outcomes = {o["id"]: o for o in body["objects"]}
    assert outcomes[good["id"]]["status"] == "stored"
    assert outcomes[broken["id"]]["status"] == "rejected"
    errors = [p for p in outcomes[broken["id"]]["problems"] if p["severity"] == "error"]
    assert any(p["path"] == "$.created" and p["message"] for p in errors), errors

    assert server.get(f"/api/v1/objects/{good['id']}")[0] == 200
    assert server.get(f"/api/v1/objects/{broken['id']}")[0] == 404


def test_post_unreadable_input_is_422_with_an_input_error(server):
    status, _, body = server.call("POST", "/api/v1/objects", user="analyst1", body=b"{not json")
    assert status == 422
    assert body["rejected"] == 1 and body["errors"] and body["objects"] == []


def test_post_wrong_content_type_is_415(server):
    status, _, body = server.call("POST", "/api/v1/objects", user="analyst1", body=json.dumps([sdo()]).encode(), content_type="text/plain")
    assert status == 415 and body["status"] == 415


def test_post_oversized_body_is_413(server):
    big = sdo("malware", description="x" * (MAX_BUNDLE_BYTES + 1024))
    status, _, body = server.post(bundle(big))
    assert status == 413 and body["status"] == 413
    assert server.get(f"/api/v1/objects/{big['id']}")[0] == 404


def test_viewer_may_not_post(server):
    malware = sdo("malware")
    status, _, body = server.post(bundle(malware), user="viewer1")
    assert status == 403 and body["status"] == 403
    assert server.get(f"/api/v1/objects/{malware['id']}", user="viewer1")[0] == 404


def test_get_objects_one_object_and_versions(server):
    v1 = sdo("malware", modified="2024-11-01T09:00:00.000Z")
    v2 = dict(v1, modified="2024-11-02T09:00:00.000Z", description="second version")
    other = sdo("malware")
    assert server.post(bundle(v1, v2, other))[0] == 200

    status, _, body = server.get(f"/api/v1/objects/{v1['id']}", user="viewer1")
    assert status == 200 and body["modified"] == v2["modified"]

    status, _, body = server.get(f"/api/v1/objects/{v1['id']}/versions", user="viewer1")
    assert status == 200
    assert [o["modified"] for o in body["objects"]] == [v1["modified"], v2["modified"]]

    status, _, body = server.get("/api/v1/objects", user="viewer1", type="malware", limit=1000)
    assert status == 200 and all(o["type"] == "malware" for o in body["objects"])
    listed = [o for o in body["objects"] if o["id"] == v1["id"]]
    assert [o["modified"] for o in listed] == [v2["modified"]]  # the newest version only

    # Paging one object at a time reaches the same objects, each once.
    paged = _all_ids(server, "viewer1", type="malware", limit=1)
    assert paged == [o["id"] for o in body["objects"]]
    assert {v1["id"], other["id"]} <= set(paged)

    assert server.get("/api/v1/objects", limit=0)[0] == 400
    assert server.get("/api/v1/objects", added_after="yesterday")[0] == 400


def test_unknown_routes_and_methods_answer_json(server):
    status, headers, body = server.call("DELETE", "/api/v1/objects", user="analyst1")
    assert status == 405 and body["status"] == 405 and "GET" in headers["Allow"]
    status, headers, body = server.get("/api/v1/nothing-here")
    assert status == 404 and body["status"] == 404
    assert headers["Content-Security-Policy"] == CSP


def test_amber_from_the_node_is_hidden_from_a_partner_and_green_is_not(server):
    amber_domain, green_domain = f"amber-{uuid.uuid4().hex[:8]}.example", f"green-{uuid.uuid4().hex[:8]}.example"
    amber = indicator(f"[domain-name:value = '{amber_domain}']", object_marking_refs=[TLP_AMBER])
    green = indicator(f"[domain-name:value = '{green_domain}']", object_marking_refs=[TLP_GREEN])
    assert server.post(bundle(amber, green))[0] == 200

    # The partner's sync account: AMBER from this node's organisation is not for it.
    status, _, hidden = server.get(f"/api/v1/objects/{amber['id']}", user="jp-sync")
    missing_id = f"indicator--{uuid.uuid4()}"
    _, _, missing = server.get(f"/api/v1/objects/{missing_id}", user="jp-sync")
    assert status == 404
    assert hidden == {**missing, "error": missing["error"].replace(missing_id, amber["id"])}
    assert server.get(f"/api/v1/objects/{amber['id']}/versions", user="jp-sync")[0] == 404
    assert server.get(f"/api/v1/objects/{green['id']}", user="jp-sync")[0] == 200

    partner_ids = _all_ids(server, "jp-sync")
    assert green["id"] in partner_ids and amber["id"] not in partner_ids
    assert amber["id"] not in _all_ids(server, "jp-sync", type="indicator", limit=1)

    status, _, body = server.indexed("/api/v1/lookup", lambda b: b["results"][1]["ids"], user="jp-sync", value=[amber_domain, green_domain])
    assert status == 200
    assert [r["ids"] for r in body["results"]] == [[], [green["id"]]]

    # This node's own analyst reads both.
    assert server.get(f"/api/v1/objects/{amber['id']}", user="analyst1")[0] == 200
    assert amber["id"] in _all_ids(server, "viewer1")
    status, _, body = server.get("/api/v1/lookup", user="viewer1", value=[amber_domain])
    assert body["results"][0]["ids"] == [amber["id"]]


def test_lookup_finds_a_defanged_value(server):
    ind = indicator("[domain-name:value = 'evil.example']")
    assert server.post(bundle(ind))[0] == 200
    status, _, body = server.indexed(
        "/api/v1/lookup",
        lambda b: ind["id"] in b["results"][0]["ids"],
        user="jp-sync",
        value=["evil[.]example", "hxxps://nothing-here[.]example/x", "not an observable"],
    )
    assert status == 200
    evil, nothing, unknown = body["results"]
    assert (evil["value"], evil["kind"], evil["normalised"]) == ("evil[.]example", "domain", "evil.example")
    assert ind["id"] in evil["ids"]
    assert (nothing["kind"], nothing["ids"]) == ("url", [])
    assert (unknown["kind"], unknown["ids"]) == (None, [])

    assert server.get("/api/v1/lookup", user="jp-sync")[0] == 400


def test_search_finds_what_the_caller_may_read_once_serve_has_indexed_it(server):
    word = f"quokka{uuid.uuid4().hex[:8]}"
    green = sdo("campaign", name=f"Operation {word}", description="a campaign in the open", object_marking_refs=[TLP_GREEN])
    amber = sdo("campaign", name=f"Operation {word} II", description="a campaign kept close", object_marking_refs=[TLP_AMBER])
    assert server.post(bundle(green, amber))[0] == 200
    status, _, body = server.indexed("/api/v1/search", lambda b: b["total"] == 2, q=word)
    assert status == 200 and {hit["id"] for hit in body["hits"]} == {green["id"], amber["id"]}
    status, _, body = server.get("/api/v1/search", user="jp-sync", q=word, filter="type=campaign")
    assert status == 200 and body["total"] == 1 and body["hits"][0]["id"] == green["id"]
    assert body["facets"]["type"] == {"campaign": 1}
    assert any("<mark>" in f for f in body["hits"][0]["highlights"]["name"])
    status, _, body = server.get("/api/v1/search", user="jp-sync", q=word, filter="colour=red")
    assert status == 400 and "unknown filter 'colour'" in body["error"]
    assert server.get("/api/v1/search", user=None, q=word)[0] == 401


def test_exercise_context_does_not_see_real_data(server):
    malware = sdo("malware")
    assert server.post(bundle(malware))[0] == 200
    assert server.get(f"/api/v1/objects/{malware['id']}", exercise="true")[0] == 404
    assert server.get(f"/api/v1/objects/{malware['id']}", exercise="false")[0] == 200


def test_serve_refuses_an_uninitialised_store(tmp_path):
    env = {"FIMISHARE_HOME": str(tmp_path / "home"), "FIMISHARE_DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}"}
    result = CliRunner().invoke(main, ["serve", "--port", str(free_port())], env=env)
    assert result.exit_code == 1
    assert "run 'fimishare init' first" in result.output


def test_posting_does_not_tell_a_partner_what_it_may_not_read(server):
    """'Already here' and 'that reference resolves' would answer 'have you seen this?'."""
    domain = f"probe-{uuid.uuid4().hex[:8]}.example"
    amber = indicator(f"[domain-name:value = '{domain}']", object_marking_refs=[TLP_AMBER])
    assert server.post(bundle(amber))[0] == 200
    # The partner guesses the exact object (an SCO id is derived from its value, so such guesses are easy).
    status, _, body = server.post(bundle(amber), user="jp-sync")
    assert status == 200 and body["objects"][0]["status"] == "stored" and body["unchanged"] == 0
    campaign = sdo("campaign")
    status, _, body = server.post(bundle(campaign, relationship(campaign, "related-to", amber)), user="jp-sync")
    warned = [p for o in body["objects"] for p in o["problems"] if p["path"] == "$.target_ref"]
    assert warned and "neither in this input nor in the store" in warned[0]["message"]
    # The node's own analyst, who may read it, is told the truth.
    status, _, body = server.post(bundle(amber))
    assert body["objects"][0]["status"] == "unchanged"
