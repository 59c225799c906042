"""The services `make test` starts (tests/services/run.sh) and the databases the tests make on them."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

DATABASE_KINDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def service_url(variable: str, service: str) -> str:
    """The URL of a service make test starts; skipped with a reason when absent, but never under CI."""
    url = os.environ.get(variable)
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{variable} is not set: under CI the tests that need {service} must run (make test starts it)")
        pytest.skip(f"no {service}: set {variable} or run the suite with 'make test'")
    return url


def new_database(kind: str, tmp_path: Path, template: str | None = None) -> tuple[str, Callable[[], None]]:
    """A fresh database of ``kind`` ("sqlite" or "postgresql"): its URL and a function that drops it.
    PostgreSQL's may be a copy of the database ``template`` names."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}", lambda: None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin_url = make_url(service_url("FIMISHARE_TEST_POSTGRES_URL", "PostgreSQL"))
    name = f"fimishare_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return admin_url.set(database=name).render_as_string(hide_password=False), drop
