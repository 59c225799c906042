"""Feeds the search engine from the store: the outbox as versions come, everything on reindex."""
from __future__ import annotations

import functools
import itertools
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, Iterable

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
        done, after = 0, 0
        with _Sender(self.engine) as send:
            while pending := self.outbox.pending(self.batch, after):
                after = max(pending)
                newest_key: dict[str, int] = {}
                for key, object_id in pending.items():
                    newest_key[object_id] = max(key, newest_key.get(object_id, 0))
                latest = self.node.store.latest_versions(newest_key)
                # The outbox key orders the documents: a later one never loses to an earlier one.
                built = self._documents(latest.values(), lambda version: newest_key[version.obj["id"]])
                send(built, then=functools.partial(self.outbox.remove, list(pending)))
                done += len(built)
        self.engine.refresh()
        return done

    def reindex(self) -> int:
        """Rebuild the index from the store. Versions stored meanwhile are in the outbox and
        reach the new index through `drain`, so none is missed."""
        self.engine.reset()
        done = 0
        with _Sender(self.engine) as send:
            versions = self.node.store.iter_versions(batch=self.batch)
            while page := list(itertools.islice(versions, self.batch)):
                built = self._documents(page, lambda version: version.date_added_us)
                send(built)
                done += len(built)
        self.engine.refresh()
        return done

    def _documents(self, versions: Iterable[StoredVersion], version_of) -> list[tuple[dict, int]]:
        versions = list(versions)
        wanted = {ref for version in versions for ref in documents.linked_ids(version.obj)}
        linked = self.node.store.latest_versions(wanted) if wanted else {}
        reference = self._reference_classes()
        return [(documents.build(version, linked, reference), version_of(version)) for version in versions]

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
            except Exception:  # the store busy or away: the rows wait, and so does the worker
                log.exception("indexing failed; trying again")
                wait = min(wait * 2, 30.0)
            stop.wait(wait)


class _Sender:
    """Sends each batch while the next one is built: the engine works (on its own core, for
    Elasticsearch) while Python reads the store and builds documents. At most one batch is
    in flight; a failure stops the sending and is raised at the next batch, or at the end."""

    def __init__(self, engine):
        self.engine = engine
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="search-sender")
        self._flying: Future | None = None

    def __enter__(self) -> "_Sender":
        return self

    def __call__(self, built: list[tuple[dict, int]], then: Callable[[], None] | None = None) -> None:
        self._wait()
        self._flying = self._pool.submit(self._send, built, then)

    def _send(self, built, then) -> None:
        if built:
            self.engine.index(built)
        if then is not None:
            then()

    def _wait(self) -> None:
        if self._flying is not None:
            flying, self._flying = self._flying, None
            flying.result()

    def __exit__(self, *exc) -> None:
        try:
            if exc[0] is None:
                self._wait()
        finally:
            self._pool.shutdown(wait=True)
