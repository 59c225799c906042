"""What a search engine does for fimishare, and how it fails: the protocol both engines implement.

An engine holds documents built from the store (fimishare.search.documents), each with its
access class, and answers queries limited to the classes a reader may read: the sharing
gate says which (``Readable``), the engine applies it inside every query.
"""

from __future__ import annotations

from typing import Any, Protocol

from fimishare.search.query import LookupResult, SearchQuery, SearchResult
from fimishare.sharing.access import Readable


class SearchUnavailable(RuntimeError):
    """The search engine cannot be reached or refused the request; the message says which.
    ``status`` is the HTTP status of a refusal (None when there was no answer)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class SearchEngine(Protocol):
    name: str

    def reset(self) -> None:
        """Start again from an empty index."""

    def refresh(self) -> None:
        """Make what was indexed searchable now."""

    def count(self) -> int: ...

    def index(self, documents: list[tuple[dict[str, Any], int]]) -> None:
        """(document, version) pairs; a document is replaced only by one of a later version."""

    def search(self, query: SearchQuery, readable: Readable) -> SearchResult: ...

    def lookup(self, values: list[str], readable: Readable) -> list[LookupResult]: ...

    def close(self) -> None: ...
