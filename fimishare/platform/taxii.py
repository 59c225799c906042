"""TAXII 2.1 at /taxii2/: medallion's views and request checks, our accounts and backend.

medallion's views come wrapped in its own HTTP Basic check against plain-text passwords in
its configuration; we mount the views themselves (``__wrapped__``) and authenticate here,
against the node's accounts: HTTP Basic with an account name and API key (or password), or
a bearer token (an API key alone).
"""

from __future__ import annotations

import orjson
from flask import Blueprint, Flask, Response, current_app, g, request
from medallion.exceptions import MedallionError
from medallion.views import collections, discovery, manifest, objects
from werkzeug.exceptions import HTTPException

from fimishare.node import Node
from fimishare.platform.auth import authenticate
from fimishare.taxii_server.backend import TAXII_MEDIA_TYPE, StoreBackend

URL_PREFIX = "/taxii2"
CHALLENGE = 'Basic realm="fimishare TAXII", charset="UTF-8", Bearer realm="fimishare TAXII"'

taxii = Blueprint("taxii", __name__)

for rule, view, methods in (
    ("/", discovery.get_server_discovery, ["GET"]),
    ("/<string:api_root>/", discovery.get_api_root_information, ["GET"]),
    ("/<string:api_root>/status/<string:status_id>/", discovery.get_status, ["GET"]),
    ("/<string:api_root>/collections/", collections.get_collections, ["GET"]),
    ("/<string:api_root>/collections/<string:collection_id>/", collections.get_collection, ["GET"]),
    ("/<string:api_root>/collections/<string:collection_id>/manifest/", manifest.get_object_manifest, ["GET"]),
    ("/<string:api_root>/collections/<string:collection_id>/objects/", objects.get_or_add_objects, ["GET", "POST"]),
    ("/<string:api_root>/collections/<string:collection_id>/objects/<string:object_id>/", objects.get_or_delete_object, ["GET", "DELETE"]),
    ("/<string:api_root>/collections/<string:collection_id>/objects/<string:object_id>/versions/", objects.get_object_versions, ["GET"]),
):
    taxii.add_url_rule(rule, endpoint=view.__name__, view_func=view.__wrapped__, methods=methods)


def install(app: Flask, node: Node) -> None:
    """Serve TAXII 2.1 from this application, over ``node``'s store."""
    # medallion's views find their backend and page size on the application.
    app.medallion_backend = StoreBackend(node.store, node.gate, node.pipeline)  # type: ignore[attr-defined]  # medallion reads it off the app
    app.taxii_config = {"max_page_size": node.settings.taxii_max_page_size}  # type: ignore[attr-defined]  # likewise
    app.register_blueprint(taxii, url_prefix=URL_PREFIX)


@taxii.before_request
def require_account() -> Response | None:
    backend: StoreBackend = current_app.medallion_backend  # type: ignore[attr-defined]  # set by install(), medallion's way
    account, problem = authenticate(request.authorization, backend.store.directory)
    if account is None:
        return error(401, "Unauthorized", problem, {"WWW-Authenticate": CHALLENGE})
    g.taxii_account = account
    return None


def is_taxii_request() -> bool:
    return request.path == URL_PREFIX or request.path.startswith(URL_PREFIX + "/")


@taxii.errorhandler(MedallionError)
def medallion_error(exc: MedallionError) -> Response:
    return error(exc.status, type(exc).__name__, exc.message, getattr(exc, "headers", None))


def http_error(exc: HTTPException) -> Response:
    """Any HTTP error under /taxii2/ as a TAXII error message (section 3.6.1)."""
    response = error(exc.code or 500, exc.name, exc.description if (exc.code or 500) != 500 else "internal server error")
    for name in ("Allow", "WWW-Authenticate"):
        if name in exc.get_response().headers:
            response.headers[name] = exc.get_response().headers[name]
    return response


def error(status: int, title: str, description: str | None, headers: dict[str, str] | None = None) -> Response:
    body = {"title": title, "description": description, "http_status": str(status)}
    return Response(orjson.dumps(body), status=status, headers=headers, mimetype=TAXII_MEDIA_TYPE)
