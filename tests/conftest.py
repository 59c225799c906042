import os
from pathlib import Path

import pytest

SHARED_DATA = Path(os.environ.get("FIMISHARE_SHARED_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data; skipped with a reason when absent, but never under CI, where it must be there."""
    if not SHARED_DATA.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"shared data is required under CI but {SHARED_DATA} does not exist")
        pytest.skip(f"shared data not found at {SHARED_DATA} (set FIMISHARE_SHARED_DATA)")
    return SHARED_DATA


def service_url(variable: str, service: str) -> str:
    """The URL of a service make test starts; skipped with a reason when absent, but never under CI."""
    url = os.environ.get(variable)
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{variable} is not set: under CI the tests that need {service} must run (make test starts it)")
        pytest.skip(f"no {service}: set {variable} or run the suite with 'make test'")
    return url


def _postgres_admin_url() -> str:
    return service_url("FIMISHARE_TEST_POSTGRES_URL", "PostgreSQL")


@pytest.fixture(scope="session")
def elasticsearch_url() -> str:
    """A real search node (see docs/search.md)."""
    return service_url("FIMISHARE_TEST_ELASTICSEARCH_URL", "a search node")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """An empty database of each kind the store supports: every store test runs on both."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin_url = make_url(_postgres_admin_url())
    name = f"fimishare_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def settings(database_url, tmp_path):
    from fimishare.config import Settings

    return Settings.from_env({"FIMISHARE_HOME": str(tmp_path / "home"), "FIMISHARE_DATABASE_URL": database_url})


@pytest.fixture
def node(settings):
    """An initialised node (schema, own organisation, reference objects), as `fimishare init` leaves it."""
    from click.testing import CliRunner

    from fimishare.cli import main
    from fimishare.node import Node

    result = CliRunner().invoke(main, ["init", "--org-name", "EEAS"], env=_env(settings))
    assert result.exit_code == 0, result.output
    node = Node(settings)
    yield node
    node.store.engine.dispose()


def _env(settings) -> dict:
    return {"FIMISHARE_HOME": str(settings.home), "FIMISHARE_DATABASE_URL": settings.database_url}


@pytest.fixture
def cli(settings):
    """Runs the fimishare command line against the test node; returns click's Result."""
    from click.testing import CliRunner

    from fimishare.cli import main

    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(main, list(args), env=_env(settings), catch_exceptions=False)

    return run
