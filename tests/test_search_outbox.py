"""The outbox between the store and the search index: written with every stored version,
drained by the worker, kept while the search engine is down."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.stix_factory import indicator, sdo

from fimishare import worker as search_worker
from fimishare.cli import main
from fimishare.config import Settings
from fimishare.node import Node
from fimishare.search import SearchUnavailable
from fimishare.search.indexer import Indexer
from fimishare.sharing.access import Readable
from fimishare.stix import TLP_GREEN
from fimishare.store.objects import Provenance
from fimishare.store.outbox import SearchOutbox

SEARCH_NODE = Path(__file__).parent / "services" / "search-node.sh"


def search_node(action: str, directory: Path, port: int | None = None) -> str:
    """tests/services/search-node.sh, for a node of the test's own; its URL when it starts."""
    args = ["bash", str(SEARCH_NODE), action, str(directory)] + ([str(port)] if port else [])
    done = subprocess.run(
        args,
        capture_output=True,
        text=True,
        timeout=600,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "FIMISHARE_SEARCH_NODE_HEAP": "512m"},
    )
    assert done.returncode == 0, f"search-node.sh {action} failed ({done.returncode}): {done.stderr}"
    return done.stdout.strip()


def local(node: Node) -> Provenance:
    return Provenance(node.store.node_organisation_id(), "import")


def stored_object_ids(node: Node) -> set[str]:
    return {version.obj["id"] for version in node.store.objects.iter_versions()}


def everything(node: Node) -> Readable:
    return Readable(max(node.store.objects.access_classes()), None)


def indexed_ids(node: Node) -> list[str]:
    """Every document id in the index, through all pages (a repeat would show as one)."""
    from fimishare.search.query import SearchQuery

    found, after = [], None
    while True:
        result = node.search.search(SearchQuery(size=1000, sort="date", after=after), everything(node))
        found += [hit.id for hit in result.hits]
        after = result.next
        if after is None:
            return found


def test_each_stored_version_enters_the_outbox_with_it_and_nothing_else_does(node):
    outbox = SearchOutbox(node.store.engine)
    Indexer(node.store, node.gate, node.search).drain()
    assert outbox.size() == 0
    campaign = sdo("campaign", object_marking_refs=[TLP_GREEN])
    report = node.pipeline.ingest_objects([campaign, indicator()], local(node))
    assert report.stored == 2 and outbox.size() == 2
    node.pipeline.ingest_objects([campaign], local(node))  # unchanged: nothing new to index
    conflicting = dict(campaign, description="same version, other content")
    assert node.pipeline.ingest_objects([conflicting], local(node)).rejected == 1
    assert outbox.size() == 2
    node.pipeline.ingest_objects([dict(campaign, modified="2024-12-01T00:00:00.000Z")], local(node))
    assert outbox.size() == 3
    assert Indexer(node.store, node.gate, node.search).drain() == 2  # the campaign once, at its newest version
    assert outbox.size() == 0
    assert sorted(indexed_ids(node)) == sorted(stored_object_ids(node))


def test_an_existing_store_is_indexed_whole_after_the_upgrade(node):
    """Migration 0003 puts every version stored before it into the outbox."""
    from alembic import command

    from fimishare.store.database import alembic_config, migrate

    node.pipeline.ingest_objects([sdo("campaign", object_marking_refs=[TLP_GREEN])], local(node))
    command.downgrade(alembic_config(node.store.engine), "0002")
    migrate(node.store.engine)
    assert SearchOutbox(node.store.engine).size() == node.store.objects.count() > 0
    Indexer(node.store, node.gate, node.search).drain()
    assert sorted(indexed_ids(node)) == sorted(stored_object_ids(node))


def test_ingest_goes_on_while_the_search_engine_is_unreachable(tmp_path):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        "FIMISHARE_HOME": str(tmp_path / "home"),
        "FIMISHARE_DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}",
        "FIMISHARE_ELASTICSEARCH_URL": f"http://127.0.0.1:{port}",
    }
    runner = CliRunner()
    assert runner.invoke(main, ["init", "--org-name", "EEAS"], env=env).exit_code == 0
    node = Node(Settings.from_env(env))
    assert node.pipeline.ingest_objects([sdo("campaign", object_marking_refs=[TLP_GREEN])], local(node)).stored == 1
    waiting = SearchOutbox(node.store.engine).size()
    with pytest.raises(SearchUnavailable, match=f"127.0.0.1:{port} is unreachable"):
        Indexer(node.store, node.gate, node.search).drain()
    assert SearchOutbox(node.store.engine).size() == waiting
    result = runner.invoke(main, ["worker", "--once"], env=env)
    assert result.exit_code == 1
    assert f"the outbox keeps its {waiting} versions" in result.output
    result = runner.invoke(main, ["search", "anything"], env=env)
    assert result.exit_code == 1 and "unreachable" in result.output


@pytest.mark.elasticsearch
def test_a_search_node_that_stops_mid_ingest_loses_and_doubles_nothing(tmp_path, elasticsearch_url):
    """A search node of its own is killed while partners' objects keep coming, then started
    again on its data: the worker, running all along, brings the index level with the store."""
    directory, port = tmp_path / "search-node", 9270
    stop = threading.Event()
    worker = None
    try:
        url = search_node("start", directory, port)
        env = {
            "FIMISHARE_HOME": str(tmp_path / "home"),
            "FIMISHARE_DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}",
            "FIMISHARE_ELASTICSEARCH_URL": url,
            "FIMISHARE_ELASTICSEARCH_INDEX": f"outage-{uuid.uuid4().hex[:8]}",
        }
        assert CliRunner().invoke(main, ["init", "--org-name", "EEAS"], env=env).exit_code == 0
        node = Node(Settings.from_env(env))
        indexing = Node(Settings.from_env(env))  # the worker's own, as `fimishare worker` would have
        worker = threading.Thread(
            target=search_worker.run, args=(Indexer(indexing.store, indexing.gate, indexing.search), stop, 0.2), daemon=True
        )
        worker.start()
        for batch in range(30):
            objects = [indicator(f"[domain-name:value = 'outage-{batch}-{n}.example']", object_marking_refs=[TLP_GREEN]) for n in range(40)]
            assert node.pipeline.ingest_objects(objects, local(node)).stored == 40
            if batch == 8:
                search_node("kill", directory)
            if batch == 20:
                assert SearchOutbox(node.store.engine).size() > 0  # held while the node was away
                assert search_node("resume", directory, port) == url
            time.sleep(0.05)
        deadline = time.monotonic() + 180
        while SearchOutbox(node.store.engine).size() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert SearchOutbox(node.store.engine).size() == 0
        # The outbox empties just before the worker's closing refresh: let that drain end first.
        stop.set()
        worker.join(timeout=60)
        assert not worker.is_alive()
        node.search.refresh()
        found = indexed_ids(node)
        assert len(found) == len(set(found))
        assert set(found) == stored_object_ids(node)
        assert node.search.count() == len(found)
    finally:
        stop.set()
        if worker is not None:
            worker.join(timeout=60)
        search_node("stop", directory)
