"""The node's HTTP service: a Flask application factory.

    app = create_app()            # settings from the environment (FIMISHARE_HOME, ...)
    app = create_app(settings)    # or given explicitly (tests)

There is no module-level application; `fimishare serve` runs the factory under gunicorn,
one application (and one database engine) per worker process.
"""

from __future__ import annotations

from typing import Any, cast

import orjson
from flask import Flask, Request, Response
from flask.json.provider import JSONProvider
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError
from werkzeug.wrappers import Response as WerkzeugResponse

from fimishare.config import Settings
from fimishare.ingest.parsing import load_json
from fimishare.node import Node

EXTENSION = "fimishare"

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


class OrjsonProvider(JSONProvider):
    """Flask's JSON (and so medallion's) through orjson: pages of stored objects go out as
    the JSON text the store holds (orjson.Fragment), without parsing them again."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return orjson.dumps(obj).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return load_json(s)


class JsonNamingRequest(Request):
    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if e is None:
            return super().on_json_loading_failed(e)
        raise BadRequest(f"the body is not valid JSON: {e}") from e


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.request_class = JsonNamingRequest
    app.json = OrjsonProvider(app)
    # Werkzeug refuses larger bodies with 413 before they are read (also chunked ones).
    app.config["MAX_CONTENT_LENGTH"] = settings.max_bundle_bytes
    node = app.extensions[EXTENSION] = Node(settings)

    from fimishare.platform import taxii
    from fimishare.platform.api import api

    app.register_blueprint(api, url_prefix="/api/v1")
    taxii.install(app, node)

    @app.after_request
    def security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> WerkzeugResponse:
        return taxii.http_error(error) if taxii.is_taxii_request() else json_error(error)

    @app.errorhandler(InternalServerError)
    def internal_error(error: InternalServerError) -> Response:
        # Flask has already logged the original exception; say nothing about it to the client.
        if taxii.is_taxii_request():
            return taxii.error(500, "Internal Server Error", "internal server error")
        return error_response(500, "internal server error")

    return app


def node_of(app: Flask) -> Node:
    return cast(Node, app.extensions[EXTENSION])


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    response = Response(orjson.dumps({"error": message, "status": status}), status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def json_error(error: HTTPException) -> WerkzeugResponse:
    """The HTTP error as a JSON body, keeping its headers (Allow on 405, WWW-Authenticate on 401)."""
    response = error.get_response()
    status = error.code or 500
    message = error.description if status != 500 else "internal server error"
    response.set_data(orjson.dumps({"error": message, "status": status}))
    response.mimetype = "application/json"
    return response
