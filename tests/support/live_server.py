"""`fimishare serve` (gunicorn) on loopback for the HTTP tests (databases: support.services.new_database).

    cli = node_cli(env)                              # runs `fimishare ...` in this process against the node
    with serving(env, tmp_path) as base:             # "http://127.0.0.1:PORT", once /api/v1/health answers
        ...

Used by test_api.py, test_taxii_server.py and test_medallion.py; each of them starts one server per database
kind for its module.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from fimishare.cli import main

TAXII = "application/taxii+json;version=2.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def node_cli(env: dict[str, str]) -> Callable[..., str]:
    """``cli("users", "add", ...)`` runs the command line against the node; returns its output, fails the test on error."""
    runner = CliRunner()

    def cli(*args: str) -> str:
        result = runner.invoke(main, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    return cli


@contextlib.contextmanager
def serving(env: dict[str, str], log_dir: Path, *, workers: int = 2, timeout: float = 30) -> Iterator[str]:
    """`fimishare serve` on a free loopback port with ``env`` added to this process's environment;
    yields the base URL once /api/v1/health answers, and stops the server afterwards."""
    port = free_port()
    log_path = log_dir / "serve.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "fimishare.cli", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                pytest.fail(f"fimishare serve exited with {process.returncode}:\n{log_path.read_text()}")
            try:
                with urllib.request.urlopen(base + "/api/v1/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"fimishare serve did not answer within {timeout:.0f} s:\n{log_path.read_text()}")
            time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def taxii_request(
    session,
    method: str,
    url: str,
    auth: tuple[str, str] | None,
    *,
    params=None,
    body=None,
    accept: str | None = TAXII,
    content_type: str | None = TAXII,
    headers: dict | None = None,
):
    """One TAXII request as a partner's client sends it; ``body`` is bytes or something to send as JSON."""
    sent = dict(headers or {})
    if accept is not None:
        sent["Accept"] = accept
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        if content_type is not None:
            sent["Content-Type"] = content_type
    return session.request(method, url, params=params, data=data, headers=sent, auth=auth, timeout=60, allow_redirects=False)
