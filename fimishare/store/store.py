"""The store of record: one database holding every object version, the TAXII layout,
organisations and accounts, and the search outbox."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import inspect

from fimishare.sharing.access import AccessClass
from fimishare.store.accounts import Directory
from fimishare.store.collections import Collections
from fimishare.store.database import make_engine, migrate
from fimishare.store.objects import ObjectStore
from fimishare.store.outbox import SearchOutbox


class NotInitialised(RuntimeError):
    pass


class Store:
    def __init__(self, database_url: str):
        self.database_url = database_url
        self.engine = make_engine(database_url)
        self.objects = ObjectStore(self.engine)
        self.collections = Collections(self.engine)
        self.directory = Directory(self.engine)
        self.outbox = SearchOutbox(self.engine)
        self._node_org: str | None = None

    def migrate(self) -> None:
        """Bring the schema to the newest migration (creating it in an empty database)."""
        migrate(self.engine)

    def require_schema(self) -> None:
        if not inspect(self.engine).has_table("object_versions"):
            raise NotInitialised(f"no fimishare store at {self.database_url}: run 'fimishare init' first")

    def dispose(self) -> None:
        self.engine.dispose()

    # -- what the sharing gate reads (fimishare.sharing.gate.AccessSource) --------------

    def node_organisation_id(self) -> str:
        if self._node_org is None:  # set once, by init
            self._node_org = self.directory.node_organisation().id
        return self._node_org

    def policy_epoch(self) -> tuple[int | None, int | None]:
        return self.objects.policy_epoch()

    def marking_definitions(self) -> list[tuple[dict[str, Any], str]]:
        # The first stored definition of an id is the only one (sharing.authority): a later
        # "version" that a store from before that rule may hold changes nothing.
        first: dict[str, tuple[dict[str, Any], str]] = {}
        for version in self.objects.iter_versions(types=["marking-definition"], all_versions=True):
            first.setdefault(version.obj["id"], (version.obj, version.source_org))
        return list(first.values())

    def access_classes(self, after_id: int) -> Mapping[int, AccessClass]:
        return self.objects.access_classes(after_id)
