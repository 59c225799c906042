import os
from pathlib import Path

import pytest
from support.services import new_database, service_url

SHARED_DATA = Path(os.environ.get("FIMISHARE_SHARED_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data; skipped with a reason when absent, but never under CI, where it must be there."""
    if not SHARED_DATA.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"shared data is required under CI but {SHARED_DATA} does not exist")
        pytest.skip(f"shared data not found at {SHARED_DATA} (set FIMISHARE_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def elasticsearch_url() -> str:
    """A real search node (see docs/search.md)."""
    return service_url("FIMISHARE_TEST_ELASTICSEARCH_URL", "a search node")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """An empty database of each kind the store supports: every store test runs on both."""
    url, drop = new_database(request.param, tmp_path)
    try:
        yield url
    finally:
        drop()


@pytest.fixture
def store(database_url):
    """A store of record migrated to the newest schema, empty: no organisation, no layout."""
    from fimishare.store import Store

    store = Store(database_url)
    store.migrate()
    yield store
    store.dispose()


@pytest.fixture
def settings(database_url, tmp_path):
    from fimishare.config import Settings

    return Settings.from_env({"FIMISHARE_HOME": str(tmp_path / "home"), "FIMISHARE_DATABASE_URL": database_url})


@pytest.fixture
def node(settings):
    """An initialised node (schema, own organisation "EEAS", default layout, reference objects), as `fimishare init` leaves it."""
    from fimishare.node import Node, initialise

    node = Node(settings)
    _, _, report = initialise(node, "EEAS")
    assert report.ok, report.errors()
    yield node
    node.close()


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
