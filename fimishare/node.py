"""One fimishare node wired from its settings: the store of record, the sharing gate, the
ingest pipeline and the search engine. Only the faces (the command line, the web
application, the worker) use it; every part below them is given what it needs."""

from __future__ import annotations

from functools import cached_property

from fimishare.config import Settings
from fimishare.ingest.pipeline import IngestPipeline, IngestReport
from fimishare.ingest.reference import store_reference_objects
from fimishare.search import SearchEngine, open_engine
from fimishare.sharing import Gate
from fimishare.store import Store
from fimishare.store.accounts import AccountError, Organisation
from fimishare.taxii_server.defaults import create_default_layout


class Node:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.store = Store(settings.database_url)
        self.gate = Gate(self.store, settings.classification_levels)
        self.pipeline = IngestPipeline(
            self.store.objects, self.gate, max_bytes=settings.max_bundle_bytes, max_objects=settings.max_bundle_objects
        )

    @cached_property
    def search(self) -> SearchEngine:
        """The search engine (Elasticsearch or embedded) the settings name, opened when first used."""
        return open_engine(self.settings)

    def close(self) -> None:
        self.store.dispose()


def initialise(node: Node, org_name: str) -> tuple[Organisation, bool, IngestReport]:
    """Create the store, this node's organisation and the default API roots, and store the
    reference objects. Safe to run again: (organisation, whether it was made now, the
    reference objects' report)."""
    node.settings.home.mkdir(parents=True, exist_ok=True)
    node.store.migrate()
    directory = node.store.directory
    try:
        org, made = directory.node_organisation(), False
    except AccountError:
        org, made = directory.add_organisation(org_name, is_node=True), True
    create_default_layout(node.store.collections)
    return org, made, store_reference_objects(node.pipeline, org, source="init")
