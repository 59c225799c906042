"""Search: a derived index of the store (Elasticsearch, or SQLite FTS5 embedded), filtered by the sharing policy.

The store of record stays the truth: the index is fed from the store's outbox by the
indexer and can be rebuilt from the store at any time (`fimishare reindex`).
"""

from __future__ import annotations

from fimishare.config import Settings
from fimishare.search.elastic import ElasticsearchEngine
from fimishare.search.embedded import EmbeddedEngine
from fimishare.search.engine import SearchEngine, SearchUnavailable

__all__ = ["SearchEngine", "SearchUnavailable", "open_engine"]


def open_engine(settings: Settings) -> SearchEngine:
    """Elasticsearch when FIMISHARE_ELASTICSEARCH_URL is set, the embedded engine otherwise."""
    if settings.elasticsearch_url:
        return ElasticsearchEngine(settings.elasticsearch_url, settings.elasticsearch_index)
    return EmbeddedEngine(settings.home / "search.sqlite")
