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


def test_a_populated_store_goes_back_to_0003_and_up_again_keeping_its_collections(node):
    """0004 lets migrated entries share a date_added and marks a default root; a store with
    roots, collections and entries crosses it both ways and pages as before."""
    from alembic import command

    from fimishare.sharing.principals import Principal
    from fimishare.store.database import alembic_config
    from fimishare.store.objects import Provenance
    from stix_factory import sdo

    node.pipeline.ingest_objects([sdo("campaign"), sdo("malware", is_family=False)], Provenance(node.store.node_organisation_id(), "import"))
    reader = node.gate.readable(Principal("identity--00000000-0000-4000-8000-000000000001", node.store.node_organisation_id(), "admin", None))
    collection = node.store.collections.find("cyber/partners")
    before = node.store.collections.entries(collection.id, reader)
    assert before
    command.downgrade(alembic_config(node.store.engine), "0003")
    migrate(node.store.engine)
    assert node.store.collections.entries(collection.id, reader) == before
    assert node.store.collections.default_root().name == "fimi"
