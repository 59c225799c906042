"""The migrations build exactly the schema that store/schema.py describes, on both databases."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from fimishare.store.database import make_engine, migrate
from fimishare.store.schema import metadata


def test_migrations_match_the_schema(database_url):
    engine = make_engine(database_url)
    migrate(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    engine.dispose()
    assert differences == []
