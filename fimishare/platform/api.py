"""The node's JSON API, mounted at /api/v1.

Every route but /health needs HTTP Basic authentication (account name and password; the
password is the API key of a machine account). The sharing policy decides every object a
response contains: an object the caller may not read is answered exactly like one that does
not exist, and nothing counts hidden objects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from flask import Blueprint, Response, current_app, g, request
from sqlalchemy import select
from werkzeug.exceptions import BadRequest, Forbidden, NotFound, RequestEntityTooLarge, UnsupportedMediaType

from fimishare.node import Node
from fimishare.platform import error_response, node_of
from fimishare.platform.auth import authenticate
from fimishare.search import SearchEngine, SearchUnavailable
from fimishare.search.query import QueryError, SearchQuery, parse_filters
from fimishare.sharing.access import Readable
from fimishare.stix import EntryPath
from fimishare.store.objects import Provenance, StoredVersion
from fimishare.store.timeline import from_timestamp

api = Blueprint("api", __name__)

STIX_MEDIA_TYPES = frozenset({"application/json", "application/stix+json"})
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_LOOKUP_VALUES = 100
MAX_LOOKUP_VALUE_LENGTH = 2048
PUBLIC_ENDPOINTS = frozenset({"api.health"})
REALM = 'Basic realm="fimishare", charset="UTF-8", Bearer realm="fimishare"'

# --------------------------------------------------------------------------- helpers


def _node() -> Node:
    return node_of(current_app)


def _json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status=status, mimetype="application/json")


def _flag(name: str) -> bool:
    value = request.args.get(name, "false").strip().lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no", ""):
        return False
    raise BadRequest(f"{name} must be true or false")


def _unauthorised(message: str) -> Response:
    return error_response(401, message, {"WWW-Authenticate": REALM})


# --------------------------------------------------------------------------- authentication


@api.before_request
def require_account() -> Response | None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    account, problem = authenticate(request.authorization, _node().store.directory)
    if account is None:
        return _unauthorised(problem)
    g.account = account
    g.principal = account.principal(exercise=_flag("exercise"))
    return None


# --------------------------------------------------------------------------- routes


@api.get("/health")
def health() -> Response:
    # Asked without credentials: it says the store answers, and nothing about what it holds.
    with _node().store.engine.connect() as connection:
        connection.execute(select(1))
    return _json({"status": "ok"})


@api.get("/objects")
def list_objects() -> Response:
    types = [t for t in request.args.getlist("type") if t]
    try:
        limit = int(request.args.get("limit", DEFAULT_LIMIT))
    except ValueError:
        raise BadRequest("limit must be a whole number") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be between 1 and {MAX_LIMIT}")
    added_after = request.args.get("added_after")
    try:
        after_us = from_timestamp(added_after) if added_after else None
    except ValueError as error:
        raise BadRequest(f"added_after: {error}") from None

    page: list[tuple[dict[str, Any], StoredVersion]] = []
    more = False
    # Classes the caller may not read are left out by the query; granular markings may
    # still withhold an object, so each is viewed.
    gate = _node().gate
    versions = _node().store.objects.iter_versions(types=types or None, added_after_us=after_us, readable=gate.readable(g.principal))
    for copy, version in gate.views(g.principal, versions):
        if len(page) == limit:
            more = True  # one more readable object exists: hidden ones never count
            break
        page.append((copy, version))
    return _json(
        {
            "objects": [copy for copy, _ in page],
            "more": more,
            "next": page[-1][1].date_added if page else None,
        }
    )


def _readable_versions(object_id: str) -> list[dict[str, Any]]:
    """The copies of `object_id` the principal may read, oldest version first."""
    return [copy for copy, _ in _node().gate.views(g.principal, _node().store.objects.versions(object_id))]


@api.get("/objects/<object_id>")
def get_object(object_id: str) -> Response:
    copies = _readable_versions(object_id)
    if not copies:
        raise NotFound(f"no object {object_id}")
    return _json(copies[-1])


@api.get("/objects/<object_id>/versions")
def get_versions(object_id: str) -> Response:
    copies = _readable_versions(object_id)
    if not copies:
        raise NotFound(f"no object {object_id}")
    return _json({"objects": copies})


@api.post("/objects")
def post_objects() -> Response:
    if not _node().gate.may_submit(g.principal):
        raise Forbidden(f"role {g.principal.role!r} may not submit objects")
    if request.mimetype not in STIX_MEDIA_TYPES:
        raise UnsupportedMediaType("send a STIX bundle or list of objects as application/json or application/stix+json")
    node = _node()
    limit = node.settings.max_bundle_bytes
    if not node.gate.may_post_bulk(g.principal):
        limit = min(limit, max((root.max_content_length for root in node.store.collections.roots()), default=limit))
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge(f"the body is over your limit of {limit:,} bytes; split the bundle")
    request.max_content_length = limit  # werkzeug holds chunked bodies to it too
    data = request.get_data(cache=False)
    report = node.pipeline.ingest_bytes(
        data,
        Provenance(source_org=g.principal.org_id, entry_path=EntryPath.API, submitted_by=g.principal.user_id),
        source="api",
        reader=g.principal,
    )
    body = {
        "stored": report.stored,
        "unchanged": report.unchanged,
        "rejected": report.rejected,
        "objects": [
            {
                "id": outcome.id,
                "status": outcome.status,
                "problems": [
                    {"path": problem.path, "message": problem.message, "severity": problem.severity} for problem in outcome.problems
                ],
            }
            for outcome in report.outcomes
        ],
        "errors": list(report.input_errors),
    }
    return _json(body, 200 if report.ok else 422)


@api.get("/search")
def search() -> Response:
    """Full text, filters, facets and a date histogram over what the caller may read."""
    args = request.args
    try:
        size = int(args.get("size", 20))
    except ValueError:
        raise BadRequest("size must be a whole number") from None
    try:
        query = SearchQuery(
            args.get("q", ""),
            parse_filters(args.getlist("filter")),
            args.get("since"),
            args.get("until"),
            args.get("sort", "relevance"),
            size,
            args.get("after"),
            args.get("interval", "month"),
        )
    except QueryError as error:
        raise BadRequest(str(error)) from None
    return _searched(lambda engine, readable: engine.search(query, readable).to_json())


@api.get("/lookup")
def lookup() -> Response:
    """Which objects the caller may read hold each value (domains, URLs, addresses, accounts, hashes; defanged is fine)."""
    values = request.args.getlist("value")
    if not values:
        raise BadRequest("give one or more value= parameters")
    if len(values) > MAX_LOOKUP_VALUES:
        raise BadRequest(f"at most {MAX_LOOKUP_VALUES} values per request")
    if any(len(value) > MAX_LOOKUP_VALUE_LENGTH for value in values):
        raise BadRequest(f"values are at most {MAX_LOOKUP_VALUE_LENGTH} characters long")
    return _searched(lambda engine, readable: {"results": [r.to_json() for r in engine.lookup(values, readable)]})


def _searched(ask: Callable[[SearchEngine, Readable], dict[str, Any]]) -> Response:
    node = _node()
    try:
        return _json(ask(node.search, node.gate.readable(g.principal)))
    except QueryError as error:
        raise BadRequest(str(error)) from None
    except SearchUnavailable as error:
        current_app.logger.warning("search unavailable: %s", error)
        return error_response(503, "search is unavailable for the moment; the store is not affected")
