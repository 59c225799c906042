"""The gate is the only decider: every way out of the node, driven from one table.

The probe objects are TLP:GREEN, which the sharing table lets every partner read. With the
real gate, every egress path serves them (or, for a lookup, the indicator) to a partner's
analyst: the table works, so the test can fail. Then the gate's policy is replaced by one that denies everything from the
probes' source organisation; a path that decided anything by itself would still serve them.
Each path must then serve nothing of them: not the objects, not a version, not a search hit
or count, not a lookup match, not a manifest entry, not a line of an export.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from click.testing import CliRunner
from support.stix_factory import indicator, sdo

from fimishare.cli import main
from fimishare.ingest.reference import add_organisation
from fimishare.node import Node, initialise
from fimishare.platform import create_app
from fimishare.search.indexer import Indexer
from fimishare.sharing import SharingPolicy
from fimishare.stix import TLP_GREEN, EntryPath, Role
from fimishare.store.objects import Provenance

PASSWORD = "egress-test-password"
TAXII = "application/taxii+json;version=2.1"
PROBE_DOMAIN = "egress-probe.example"
PROBE_WORD = "egressprobe"


class Probe:
    """A node holding the probe objects, and the ways to ask it for them as the JP analyst."""

    def __init__(self, settings, env: dict[str, str]):
        self.settings, self.env = settings, env
        node = Node(settings)
        initialise(node, "EEAS")
        directory = node.store.directory
        jp, _ = add_organisation(directory, node.pipeline, "JP-NISC")
        self.source, _ = add_organisation(directory, node.pipeline, "Source partner")
        directory.add_account("jp-analyst", org=jp.id, role=Role.ANALYST, password=PASSWORD)
        first = sdo("campaign", name=f"Campaign {PROBE_WORD}", object_marking_refs=[TLP_GREEN])
        second = {**first, "modified": "2024-11-02T09:00:00.000Z", "description": f"{PROBE_WORD} again"}
        probe = indicator(f"[domain-name:value = '{PROBE_DOMAIN}']", name=f"Indicator {PROBE_WORD}")
        report = node.pipeline.ingest_objects([first, second, probe], Provenance(self.source.id, EntryPath.IMPORT))
        assert report.ok, report.errors()
        Indexer(node.store, node.gate, node.search).drain()
        self.ids = {first["id"], probe["id"]}
        self.collection = node.store.collections.find("fimi/partners").id
        node.close()

    # -- the ways out -----------------------------------------------------------------------

    def http(self, path: str, **params) -> dict:
        client = create_app(self.settings).test_client()
        accept = TAXII if path.startswith("/taxii2/") else "application/json"
        response = client.get(path, query_string=params, auth=("jp-analyst", PASSWORD), headers={"Accept": accept})
        assert response.status_code in (200, 404), (path, response.status_code, response.get_data(as_text=True))
        return response.get_json() if response.status_code == 200 else {}

    def each_id(self, path: str) -> set[str]:
        """The probe ids a per-object path answers for (404 for the others)."""
        found = set()
        for object_id in self.ids:
            body = self.http(path.format(id=object_id))
            found |= ids_in(body) | ({object_id} if body.get("versions") else set())
        return found

    def cli(self, *args: str) -> str:
        result = CliRunner().invoke(main, list(args), env=self.env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    def taxii(self, tail: str) -> str:
        return f"/taxii2/fimi/collections/{self.collection}/{tail}"


def ids_in(body) -> set[str]:
    """Every string in a JSON answer that could be a STIX id."""
    return {text for text in _strings(body) if "--" in text}


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


# name -> what the JP analyst gets of the probes on that path
EGRESS: dict[str, Callable[[Probe], set[str]]] = {
    "API objects": lambda p: ids_in(p.http("/api/v1/objects", limit=1000)),
    "API object": lambda p: p.each_id("/api/v1/objects/{id}"),
    "API versions": lambda p: p.each_id("/api/v1/objects/{id}/versions"),
    "API search": lambda p: ids_in(p.http("/api/v1/search", q=PROBE_WORD)),
    "API lookup": lambda p: ids_in(p.http("/api/v1/lookup", value=PROBE_DOMAIN)),
    "TAXII objects": lambda p: ids_in(p.http(p.taxii("objects/"))),
    "TAXII object": lambda p: p.each_id(p.taxii("objects/{id}/")),
    "TAXII manifest": lambda p: ids_in(p.http(p.taxii("manifest/"))),
    "TAXII versions": lambda p: p.each_id(p.taxii("objects/{id}/versions/")),
    "CLI search": lambda p: ids_in(json.loads(p.cli("search", PROBE_WORD, "--as", "jp-analyst", "--json"))),
    "CLI lookup": lambda p: ids_in(json.loads(p.cli("lookup", PROBE_DOMAIN, "--as", "jp-analyst", "--json"))),
    "export": lambda p: ids_in(json.loads(p.cli("export", "--for", "JP-NISC", "--all-versions"))),
}


@pytest.fixture
def probe(settings):
    env = {"FIMISHARE_HOME": str(settings.home), "FIMISHARE_DATABASE_URL": settings.database_url}
    return Probe(settings, env)


def denying(source_org: str) -> type[SharingPolicy]:
    """The real policy, but nothing from ``source_org`` is read or released."""

    class Denying(SharingPolicy):
        def view(self, principal, holding):
            return None if holding.source_org == source_org else super().view(principal, holding)

        def release(self, holding, recipient, channel):
            return None if holding.source_org == source_org else super().release(holding, recipient, channel)

        def may_read(self, principal, holding):
            return self.view(principal, holding) is not None

        def may_read_class(self, principal, access):
            return access.source_org != source_org and super().may_read_class(principal, access)

        def may_release_class(self, recipient, access):
            return access.source_org != source_org and super().may_release_class(recipient, access)

    return Denying


@pytest.mark.parametrize("path", list(EGRESS))
def test_a_principal_the_gate_denies_gets_nothing_on_any_path(probe, path, monkeypatch):
    assert EGRESS[path](probe) & probe.ids, f"{path}: the real gate lets the probes out (a lookup finds the indicator only)"
    monkeypatch.setattr("fimishare.sharing.gate.SharingPolicy", denying(probe.source.id))
    assert EGRESS[path](probe) & probe.ids == set(), f"{path} served what the gate denied"
