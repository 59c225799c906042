"""The HTTP service: fimishare serve."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from fimishare.cli.base import main, open_node

if TYPE_CHECKING:
    from flask import Flask


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback unless a proxy needs otherwise).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="Worker processes.")
@click.option(
    "--timeout",
    default=300,
    show_default=True,
    type=click.IntRange(10),
    help="Seconds a request may take (large bundles) before its worker is restarted.",
)
def serve(host: str, port: int, workers: int, timeout: int) -> None:
    """Run this node's HTTP service under gunicorn: the API (/api/v1) and TAXII 2.1 (/taxii2/)."""
    from gunicorn.app.base import BaseApplication

    node = open_node()  # fails with a clear message when 'fimishare init' has not been run
    node.close()  # each worker opens its own connections

    class _Server(BaseApplication):  # type: ignore[misc]  # gunicorn ships no type information: BaseApplication is Any
        def load_config(self) -> None:
            options = {
                "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
                "workers": workers,
                "worker_class": "sync",
                "timeout": timeout,
                "accesslog": "-",
                "errorlog": "-",
                "proc_name": "fimishare",
                # Not preloaded: every worker builds its own app and database engine after the fork.
                "preload_app": False,
                # gunicorn 27's runtime control socket (~/.gunicorn/gunicorn.ctl) is not wanted:
                # one path per user would clash between nodes and it is an extra way in.
                "control_socket_disable": True,
            }
            for key, value in options.items():
                if key in self.cfg.settings:  # settings newer gunicorns added are skipped on older ones
                    self.cfg.set(key, value)

        def load(self) -> Flask:
            from fimishare.platform import create_app

            return create_app()

    click.echo(f"fimishare on http://{host}:{port}: API at /api/v1, TAXII 2.1 at /taxii2/ ({workers} workers)", err=True)
    # The embedded search index lives beside the store: serve feeds it. With Elasticsearch,
    # `fimishare worker` runs as a service of its own (docker-compose.yml).
    indexing = None
    if not node.settings.elasticsearch_url:
        import subprocess

        indexing = subprocess.Popen([sys.executable, "-m", "fimishare.cli", "worker"])
    try:
        _Server().run()
    finally:
        if indexing is not None:
            indexing.terminate()
            indexing.wait(30)
