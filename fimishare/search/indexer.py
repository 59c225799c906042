"""Feeds the search engine from the store: the outbox as versions come, everything on reindex."""
from __future__ import annotations

import logging
import threading
from typing import Iterable

from fimishare.node import Node
from fimishare.search import documents
from fimishare.search.elastic import SearchUnavailable
from fimishare.store.objects import StoredVersion
from fimishare.store.outbox import SearchOutbox

log = logging.getLogger(__name__)


class Indexer:
    def __init__(self, node: Node, engine, batch: int = 1000):
        self.node = node
        self.engine = engine
        self.batch = batch
        self.outbox = SearchOutbox(node.engine)

    def drain(self) -> int:
        """Index what the outbox holds; the number of objects indexed. Rows leave the outbox
        only once their objects are in the index, so a failure part-way loses nothing."""
        done = 0
        while True:
            pending = self.outbox.pending(self.batch)
            if not pending:
                return done
            newest_key: dict[str, int] = {}
            for key, object_id in pending.items():
                newest_key[object_id] = max(key, newest_key.get(object_id, 0))
            latest = self.node.store.latest_versions(newest_key)
            # The outbox key orders the documents: a later one never loses to an earlier one.
            self._index(latest.values(), lambda version: newest_key[version.obj["id"]])
            self.outbox.remove(list(pending))
            done += len(latest)

    def reindex(self) -> int:
        """Rebuild the index from the store. Versions stored meanwhile are in the outbox and
        reach the new index through `drain`, so none is missed."""
        self.engine.reset()
        done = 0
        page: list[StoredVersion] = []
        for version in self.node.store.iter_versions(batch=self.batch):
            page.append(version)
            if len(page) == self.batch:
                done += self._index(page, lambda v: v.date_added_us)
                page = []
        return done + self._index(page, lambda v: v.date_added_us)

    def _index(self, versions: Iterable[StoredVersion], version_of) -> int:
        versions = list(versions)
        if not versions:
            return 0
        wanted = {ref for version in versions for ref in documents.linked_ids(version.obj)}
        linked = self.node.store.latest_versions(wanted) if wanted else {}
        reference = self._reference_classes()
        self.engine.index([(documents.build(version, linked, reference), version_of(version)) for version in versions])
        return len(versions)

    def _reference_classes(self) -> frozenset[int]:
        return frozenset(i for i, access in self.node.access_classes().items() if access.reference)

    def run(self, stop: threading.Event, interval: float = 1.0) -> None:
        """Drain until ``stop`` is set; while the engine is down, try again every ``interval`` (up to 30 s apart)."""
        wait = interval
        while not stop.is_set():
            try:
                count = self.drain()
                if count:
                    log.info("indexed %d objects", count)
                wait = interval
            except SearchUnavailable as error:
                log.warning("search engine unavailable, the outbox keeps %d versions: %s", self.outbox.size(), error)
                wait = min(wait * 2, 30.0)
            stop.wait(wait)
