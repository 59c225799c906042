"""The search worker: feeds the search index from the store's outbox until stopped."""

from __future__ import annotations

import logging
import threading

from fimishare.search.engine import SearchUnavailable
from fimishare.search.indexer import Indexer

log = logging.getLogger(__name__)


def run(indexer: Indexer, stop: threading.Event, interval: float = 1.0) -> None:
    """Drain until ``stop`` is set; while the engine is down, try again every ``interval`` (up to 30 s apart)."""
    wait = interval
    while not stop.is_set():
        try:
            count = indexer.drain()
            if count:
                log.info("indexed %d objects", count)
            wait = interval
        except SearchUnavailable as error:
            log.warning("search engine unavailable, the outbox keeps %d versions: %s", indexer.outbox.size(), error)
            wait = min(wait * 2, 30.0)
        except Exception:  # the store busy or away: the rows wait, and so does the worker
            log.exception("indexing failed; trying again")
            wait = min(wait * 2, 30.0)
        stop.wait(wait)
