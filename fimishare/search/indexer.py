"""Feeds the search engine from the store: the outbox as versions come, everything on reindex."""

from __future__ import annotations

import functools
import itertools
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from fimishare.search import documents
from fimishare.search.engine import SearchEngine
from fimishare.sharing import Gate
from fimishare.store import Store
from fimishare.store.objects import StoredVersion

log = logging.getLogger(__name__)


class Indexer:
    def __init__(self, store: Store, gate: Gate, engine: SearchEngine, batch: int = 1000):
        self.store = store
        self.gate = gate
        self.engine = engine
        self.batch = batch
        self.outbox = store.outbox

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
                latest = self.store.objects.latest_versions(newest_key)
                # The outbox key orders the documents: a later one never loses to an earlier one.
                built = self._documents(latest.values(), functools.partial(_newest, newest_key))
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
            versions = self.store.objects.iter_versions(batch=self.batch)
            while page := list(itertools.islice(versions, self.batch)):
                built = self._documents(page, lambda version: version.date_added_us)
                send(built)
                done += len(built)
        self.engine.refresh()
        return done

    def _documents(self, versions: Iterable[StoredVersion], version_of: Callable[[StoredVersion], int]) -> list[tuple[dict[str, Any], int]]:
        versions = list(versions)
        wanted = {ref for version in versions for ref in documents.linked_ids(version.obj)}
        linked = self.store.objects.latest_versions(wanted) if wanted else {}
        reference = self.gate.reference_classes()
        return [(documents.build(version, linked, reference), version_of(version)) for version in versions]


def _newest(newest_key: dict[str, int], version: StoredVersion) -> int:
    return newest_key[version.obj["id"]]


class _Sender:
    """Sends each batch while the next one is built: the engine works (on its own core, for
    Elasticsearch) while Python reads the store and builds documents. At most one batch is
    in flight; a failure stops the sending and is raised at the next batch, or at the end."""

    def __init__(self, engine: SearchEngine) -> None:
        self.engine = engine
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="search-sender")
        self._flying: Future[None] | None = None

    def __enter__(self) -> _Sender:
        return self

    def __call__(self, built: list[tuple[dict[str, Any], int]], then: Callable[[], None] | None = None) -> None:
        self._wait()
        self._flying = self._pool.submit(self._send, built, then)

    def _send(self, built: list[tuple[dict[str, Any], int]], then: Callable[[], None] | None) -> None:
        if built:
            self.engine.index(built)
        if then is not None:
            then()

    def _wait(self) -> None:
        if self._flying is not None:
            flying, self._flying = self._flying, None
            flying.result()

    def __exit__(self, *exc: object) -> None:
        try:
            if exc[0] is None:
                self._wait()
        finally:
            self._pool.shutdown(wait=True)
