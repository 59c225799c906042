"""The Elasticsearch engine: one index, queried through its REST API.

Real Elasticsearch (8 or 9) is reached with the official `elasticsearch` client. An
OpenSearch 2 node (what the test suite runs: Elastic publishes no Elasticsearch server
modules to Maven Central) speaks the same API for everything used here, but the client
refuses servers that are not Elasticsearch; it is reached through the client's own HTTP
layer (elastic_transport) instead. Both go through `_Connection.request`, and nothing else
differs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlencode, urlsplit

import orjson
from elastic_transport import ApiError, NodeConfig, Transport, TransportError

from fimishare.search.engine import SearchUnavailable
from fimishare.search.query import (
    END_MARK,
    FACET_SIZE,
    FACETS,
    HIGHLIGHT_FIELDS,
    MARK,
    Hit,
    LookupResult,
    SearchQuery,
    SearchResult,
    has_cjk,
    lookup_results,
    next_token,
    observable_keys,
)
from fimishare.sharing.access import Readable

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch


_KEYWORD = {"type": "keyword"}
_TEXT = {"type": "text", "analyzer": "english", "fields": {"cjk": {"type": "text", "analyzer": "cjk"}}}
_DATE = {"type": "date_nanos"}

INDEX_BODY = {
    "settings": {
        "number_of_shards": 1,
        "number_of_replicas": 0,
        "analysis": {
            "tokenizer": {
                "trigram": {"type": "ngram", "min_gram": 3, "max_gram": 3, "token_chars": ["letter", "digit", "punctuation", "symbol"]}
            },
            "analyzer": {"trigram": {"type": "custom", "tokenizer": "trigram", "filter": ["lowercase"]}},
        },
    },
    "mappings": {
        "dynamic": "strict",
        "properties": {
            "id": _KEYWORD,
            "type": _KEYWORD,
            "name": _TEXT,
            "description": _TEXT,
            "content": _TEXT,
            "observables": _KEYWORD,
            # Part of a domain or account name finds it: every value's trigrams are indexed.
            "observable_values": {"type": "keyword", "fields": {"ngram": {"type": "text", "analyzer": "trigram"}}},
            "markings": _KEYWORD,
            "tlp": _KEYWORD,
            "creator": _KEYWORD,
            "partner": _KEYWORD,
            "techniques": _KEYWORD,
            "actors": _KEYWORD,
            "labels": _KEYWORD,
            "lang": _KEYWORD,
            "area": _KEYWORD,
            "date": _DATE,
            "modified": _DATE,
            "date_added": _DATE,
            "access_class": {"type": "long"},
        },
    },
}
_FORMATS = {"day": "yyyy-MM-dd", "week": "yyyy-MM-dd", "month": "yyyy-MM", "year": "yyyy"}
_HIT_FIELDS = ["id", "type", "name", "date", "tlp", "partner"]
_LOOKUP_PAGE = 5000


class _Connection:
    """One REST endpoint: Elasticsearch through its client, OpenSearch through the transport."""

    def __init__(self, url: str, timeout: float):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SearchUnavailable(f"FIMISHARE_ELASTICSEARCH_URL {url!r} is not an http(s) URL")
        self.url = url
        self.timeout = timeout
        node = NodeConfig(parts.scheme, parts.hostname, parts.port or 9200, path_prefix=parts.path.rstrip("/"))
        self._transport = Transport([node], max_retries=0, retry_on_timeout=False)
        self._client: Elasticsearch | None = None
        self._probed = False

    def request(self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None, ndjson: bool = False) -> Any:
        headers = {"accept": "application/json"}
        if body is not None:
            headers["content-type"] = "application/x-ndjson" if ndjson else "application/json"
            if not isinstance(body, (bytes, str)):
                body = orjson.dumps(body)
        try:
            self._probe()
            if self._client is not None:
                return self._client.perform_request(method, path, params=params, headers=headers, body=body).body
            target = path + ("?" + urlencode(params) if params else "")
            response = self._transport.perform_request(method, target, headers=headers, body=body, request_timeout=self.timeout)
        except ApiError as error:
            raise SearchUnavailable(
                f"{self.url} refused {method} {path}: {error.meta.status} {_reason(error.body)}", error.meta.status
            ) from None
        except TransportError as error:
            raise SearchUnavailable(f"search engine at {self.url} is unreachable: {error.message}") from None
        if not 200 <= response.meta.status < 300:
            raise SearchUnavailable(
                f"{self.url} refused {method} {path}: {response.meta.status} {_reason(response.body)}", response.meta.status
            )
        return response.body

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        self._transport.close()

    def _probe(self) -> None:
        if self._probed:
            return
        info = self._transport.perform_request("GET", "/", headers={"accept": "application/json"}, request_timeout=self.timeout).body
        if not (isinstance(info, dict) and info.get("version", {}).get("distribution") == "opensearch"):
            from elasticsearch import Elasticsearch

            self._client = Elasticsearch(self.url, request_timeout=self.timeout, max_retries=0)
        self._probed = True


def _reason(body: object) -> str:
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return f"{error.get('type')}: {error.get('reason')}"
        if error:
            return str(error)
    return str(body)[:300]


class ElasticsearchEngine:
    name = "elasticsearch"

    def __init__(self, url: str, index: str = "fimishare", timeout: float = 30.0):
        self.index_name = index
        self._http = _Connection(url, timeout)
        self._ready = False

    def close(self) -> None:
        self._http.close()

    def _ensure(self) -> None:
        if self._ready:
            return
        try:
            self._http.request("HEAD", f"/{self.index_name}")
        except SearchUnavailable as error:
            if error.status != 404:
                raise
            try:
                self._http.request("PUT", f"/{self.index_name}", INDEX_BODY)
            except SearchUnavailable as created:  # another process made it meanwhile
                if created.status != 400 or "resource_already_exists_exception" not in str(created):
                    raise
        self._ready = True

    def reset(self) -> None:
        self.drop()
        self._ensure()

    def drop(self) -> None:
        """Delete the index (reset or the next write makes it again)."""
        try:
            self._http.request("DELETE", f"/{self.index_name}")
        except SearchUnavailable as error:
            if error.status != 404:
                raise
        self._ready = False

    def refresh(self) -> None:
        """Make what was indexed visible to searches now (rather than within a second)."""
        self._ensure()
        self._http.request("POST", f"/{self.index_name}/_refresh")

    def count(self) -> int:
        self.refresh()
        return cast(int, self._http.request("GET", f"/{self.index_name}/_count")["count"])

    # -- writing -------------------------------------------------------------

    def index(self, documents: list[tuple[dict[str, Any], int]]) -> None:
        """Add or replace documents, each with its version: an older version never replaces a newer one."""
        if not documents:
            return
        self._ensure()
        lines = bytearray()
        for doc, version in documents:
            action = {"index": {"_index": self.index_name, "_id": doc["id"], "version": version, "version_type": "external_gte"}}
            lines += orjson.dumps(action) + b"\n" + orjson.dumps(doc) + b"\n"
        answer = self._http.request("POST", "/_bulk", bytes(lines), ndjson=True)
        if answer.get("errors"):
            for item in answer["items"]:
                result = item.get("index", {})
                # 409: the index holds a newer version already, which is what we want.
                if result.get("status", 200) >= 300 and result.get("status") != 409:
                    raise SearchUnavailable(f"indexing {result.get('_id')} failed: {_reason(result)}")

    # -- reading -------------------------------------------------------------

    def search(self, query: SearchQuery, readable: Readable) -> SearchResult:
        self._ensure()
        body = {
            "query": {"bool": {"must": [_match(word) for word in query.words], "filter": self._filters(query, readable)}},
            "size": query.size,
            "track_total_hits": True,
            "_source": _HIT_FIELDS,
            "sort": [{"_score": "desc"}, {"id": "asc"}] if query.by_relevance else [{"date": "desc"}, {"id": "asc"}],
            "aggs": {
                **{name: {"terms": {"field": name, "size": FACET_SIZE, "order": [{"_count": "desc"}, {"_key": "asc"}]}} for name in FACETS},
                "histogram": {
                    "date_histogram": {
                        "field": "date",
                        "calendar_interval": query.interval,
                        "format": _FORMATS[query.interval],
                        "min_doc_count": 1,
                    }
                },
            },
        }
        if query.words:
            body["highlight"] = {
                "pre_tags": [MARK],
                "post_tags": [END_MARK],
                "encoder": "html",
                "fragment_size": 150,
                "number_of_fragments": 3,
                "fields": {name: {} for field in HIGHLIGHT_FIELDS for name in (field, f"{field}.cjk")},
            }
        after = query.after_key()
        if after is not None:
            body["search_after"] = list(after)
        answer = self._http.request("POST", f"/{self.index_name}/_search", body)
        hits = answer["hits"]["hits"]
        following = next_token(*hits[-1]["sort"]) if hits and len(hits) == query.size else None
        aggregations = answer.get("aggregations", {})
        facets = {name: {b["key"]: b["doc_count"] for b in aggregations[name]["buckets"]} for name in FACETS}
        return SearchResult(
            total=answer["hits"]["total"]["value"],
            hits=[_hit(hit) for hit in hits],
            facets={name: counts for name, counts in facets.items() if counts},
            histogram=[(b["key_as_string"], b["doc_count"]) for b in aggregations["histogram"]["buckets"]],
            next=following,
        )

    @staticmethod
    def _filters(query: SearchQuery, readable: Readable) -> list[dict[str, Any]]:
        filters = [_access(readable)]
        filters += [{"terms": {name: list(values)}} for name, values in query.filters.items()]
        if query.since or query.until:
            filters.append({"range": {"date": {k: v for k, v in (("gte", query.since), ("lte", query.until)) if v}}})
        return filters

    def lookup(self, values: list[str], readable: Readable) -> list[LookupResult]:
        self._ensure()
        keys = observable_keys(values)
        wanted = sorted({f"{kind}:{normalised}" for _value, kind, normalised in keys if kind})
        found: dict[str, set[str]] = {}
        after = None
        while wanted:
            body = {
                "query": {"bool": {"filter": [{"terms": {"observables": wanted}}, _access(readable)]}},
                # Doc values, not _source: no stored document is read and parsed for a hit.
                "_source": False,
                "docvalue_fields": ["observables"],
                "size": _LOOKUP_PAGE,
                "sort": [{"id": "asc"}],
            }
            if after:
                body["search_after"] = after
            hits = self._http.request("POST", f"/{self.index_name}/_search", body)["hits"]["hits"]
            wanted_set = set(wanted)
            for hit in hits:
                object_id = hit["sort"][0]
                for key in hit["fields"]["observables"]:
                    if key in wanted_set:
                        found.setdefault(key, set()).add(object_id)
            if len(hits) < _LOOKUP_PAGE:
                break
            after = hits[-1]["sort"]
        return lookup_results(keys, found)


def _match(word: str) -> dict[str, Any]:
    """One query word: English stems (or CJK bigrams) in the text, or trigrams of an observable value."""
    fields = ["name.cjk^3", "description.cjk^2", "content.cjk"] if has_cjk(word) else ["name^3", "description^2", "content"]
    # A stop word alone analyses to nothing: it then narrows nothing, rather than matching nothing.
    either: list[dict[str, Any]] = [{"multi_match": {"query": word, "fields": fields, "operator": "and", "zero_terms_query": "all"}}]
    if len(word) >= 3:  # shorter words have no trigrams
        either.append({"match": {"observable_values.ngram": {"query": word, "operator": "and"}}})
    return {"bool": {"should": either, "minimum_should_match": 1}}


def _access(readable: Readable) -> dict[str, Any]:
    if readable.only is None:
        return {"range": {"access_class": {"lte": readable.up_to}}}
    return {"terms": {"access_class": sorted(readable.only)}}


def _hit(hit: dict[str, Any]) -> Hit:
    source = hit["_source"]
    highlights: dict[str, list[str]] = {}
    for name, fragments in (hit.get("highlight") or {}).items():
        kept = highlights.setdefault(name.removesuffix(".cjk"), [])  # a field and its CJK sub-field are one field
        kept += [fragment for fragment in fragments if fragment not in kept]
    return Hit(source["id"], source["type"], source.get("name"), source["date"], source.get("tlp"), source["partner"], highlights)
