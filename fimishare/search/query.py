"""Search requests and answers, the same for every engine.

Free text is split into words and every word must match (AND). Each engine matches a word
its own way (Elasticsearch: English stems, CJK bigrams and trigrams of observable values;
embedded: FTS5 trigrams, substrings), and both keep to the caller's readable access
classes inside the query, so hits, totals, facets and highlights only ever count what
the caller may read.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from fimishare.ingest import observables
from fimishare.store import timeline

# --filter names and the document field each one narrows.
FILTERS = {
    "type": "type",
    "tlp": "tlp",
    "technique": "techniques",
    "actor": "actors",
    "partner": "partner",
    "lang": "lang",
    "area": "area",
    "label": "labels",
    "marking": "markings",
    "creator": "creator",
}
FACETS = ("type", "tlp", "partner", "techniques", "actors", "lang", "area", "labels")
FACET_SIZE = 20
INTERVALS = ("day", "week", "month", "year")
SORTS = ("relevance", "date")
MAX_SIZE = 1000
MAX_LOOKUP_VALUES = 1000
HIGHLIGHT_FIELDS = ("name", "description", "content")
MARK, END_MARK = "<mark>", "</mark>"

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")


class QueryError(ValueError):
    """A search request that cannot be answered as given; the message says what was wrong."""


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)  # document field -> any of these values
    since: str | None = None  # on the document's date (created, or first observed, or date added)
    until: str | None = None
    sort: str = "relevance"
    size: int = 20
    after: str | None = None  # the `next` token of the previous page
    interval: str = "month"

    def __post_init__(self) -> None:
        if self.sort not in SORTS:
            raise QueryError(f"unknown sort {self.sort!r}; expected one of {', '.join(SORTS)}")
        if self.interval not in INTERVALS:
            raise QueryError(f"unknown interval {self.interval!r}; expected one of {', '.join(INTERVALS)}")
        if not 0 <= self.size <= MAX_SIZE:
            raise QueryError(f"size must be between 0 and {MAX_SIZE}, got {self.size}")
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None:
                try:
                    timeline.from_timestamp(value)
                except ValueError as error:
                    raise QueryError(f"{name}: {error}") from None
        check_text("the search text", self.text)
        for field_name, values in self.filters.items():
            for value in values:
                check_text(f"the {field_name} filter", value)
        unknown = set(self.filters) - set(FILTERS.values())
        if unknown:
            raise QueryError(f"unknown filter field(s) {', '.join(sorted(unknown))}")
        if self.after is not None:
            self.after_key()  # fails early on a broken token

    @property
    def words(self) -> list[str]:
        return words(self.text)

    @property
    def by_relevance(self) -> bool:
        return self.sort == "relevance" and bool(self.words)

    def after_key(self) -> tuple[int | float | str, str] | None:
        """(sort value, id) of the last hit of the previous page."""
        if self.after is None:
            return None
        try:
            key = orjson.loads(base64.urlsafe_b64decode(self.after.encode()))
            if isinstance(key, list) and len(key) == 2 and isinstance(key[1], str) and _sortable(key[0]):
                return key[0], key[1]
        except (ValueError, TypeError):
            pass
        raise QueryError("the 'after' token is not one this server gave out (use the 'next' of the previous page)")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def check_text(what: str, value: str) -> None:
    """No control characters (NUL and the like) in what is searched for: no document holds
    them, and an engine may choke on them."""
    found = _CONTROL.search(value)
    if found:
        raise QueryError(f"{what} holds the control character U+{ord(found.group()):04X}")


def _sortable(value: object) -> bool:
    """A sort value this server could have given: what both engines compare without overflow."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, str) and "\x00" not in value


def next_token(sort_value: int | float | str, object_id: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([sort_value, object_id])).decode()


def words(text: str) -> list[str]:
    return [w for w in dict.fromkeys(text.lower().split()) if w]


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


def parse_filters(specs: Iterable[str], since: str | None = None, until: str | None = None) -> dict[str, tuple[str, ...]]:
    """``NAME=VALUE`` strings (a name given twice: either value) as document field filters."""
    found: dict[str, list[str]] = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        name = name.strip().lower()
        if not sep or not value.strip():
            raise QueryError(f"filter {spec!r} is not NAME=VALUE")
        if name not in FILTERS:
            raise QueryError(f"unknown filter {name!r}; expected one of {', '.join(FILTERS)}")
        value = value.strip()
        if name == "tlp":
            value = value.lower().removeprefix("tlp:")
        found.setdefault(FILTERS[name], []).append(value)
    return {name: tuple(dict.fromkeys(values)) for name, values in found.items()}


@dataclass(frozen=True)
class Hit:
    id: str
    type: str
    name: str | None
    date: str
    tlp: str | None
    partner: str
    highlights: dict[str, list[str]]


@dataclass(frozen=True)
class SearchResult:
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]]
    histogram: list[tuple[str, int]]
    next: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "hits": [hit.__dict__ for hit in self.hits],
            "facets": self.facets,
            "histogram": [{"key": key, "count": count} for key, count in self.histogram],
            "next": self.next,
        }


@dataclass(frozen=True)
class LookupResult:
    value: str
    kind: str | None
    normalised: str | None
    ids: list[str]

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def observable_keys(values: list[str]) -> list[tuple[str, str | None, str | None]]:
    """(value as given, kind, normalised) for each value: defanged values are refanged."""
    if len(values) > MAX_LOOKUP_VALUES:
        raise QueryError(f"at most {MAX_LOOKUP_VALUES} values at once, got {len(values)}")
    keys = []
    for value in values:
        check_text(f"the value {value!r}", value)
        kind = observables.guess_kind(value)
        keys.append((value, kind, observables.normalise(kind, value) if kind else None))
    return keys


def lookup_results(keys: Iterable[tuple[str, str | None, str | None]], found: dict[str, set[str]]) -> list[LookupResult]:
    """Per value, the ids an engine found for its "kind:value" key."""
    return [
        LookupResult(value, kind, normalised, sorted(found.get(f"{kind}:{normalised}", ())) if kind else [])
        for value, kind, normalised in keys
    ]
