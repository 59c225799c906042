"""The migrations build exactly the schema that store/schema.py describes, on both databases,
never import the live code, and 0002 classifies stored versions as the live code does."""

import ast
import hashlib
import textwrap
from collections import Counter
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa
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
    from support.stix_factory import sdo

    from fimishare.sharing.principals import Principal
    from fimishare.store.database import alembic_config
    from fimishare.store.objects import Provenance

    org = node.store.node_organisation_id()
    node.pipeline.ingest_objects([sdo("campaign"), sdo("malware", is_family=False)], Provenance(org, "import"))
    reader = node.gate.readable(Principal("identity--00000000-0000-4000-8000-000000000001", org, "admin", None))
    collection = node.store.collections.find("cyber/partners")
    before = node.store.collections.entries(collection.id, reader)
    assert before
    command.downgrade(alembic_config(node.store.engine), "0003")
    migrate(node.store.engine)
    assert node.store.collections.entries(collection.id, reader) == before
    assert node.store.collections.default_root().name == "fimi"


# ---------------------------------------------------------------- migrations are frozen
VERSIONS = Path(__file__).resolve().parents[1] / "fimishare" / "store" / "migrations" / "versions"


def _imports_of_fimishare(source: str, filename: str) -> list[str]:
    """'file:line: statement' for every import of fimishare in the source, at any depth
    (inside functions too), relative imports and importlib/__import__ with a literal name included."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = ["." * node.level + (node.module or "")]
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and ast.unparse(node.func) in ("__import__", "import_module", "importlib.import_module")
        ):
            names = [node.args[0].value]
        else:
            continue
        if any(name.startswith(".") or name.split(".")[0] == "fimishare" for name in names):
            found.append((node.lineno, f"{filename}:{node.lineno}: {ast.unparse(node)}"))
    return [hit for _, hit in sorted(found)]


def test_the_import_check_finds_imports_at_any_depth():
    source = textwrap.dedent("""\
        import os

        def upgrade():
            if True:
                from fimishare.stix import Tlp
            import fimishare.sharing.access as a
            importlib.import_module('fimishare.x')
        from . import y
        import fimishare_other
        """)
    assert [line.split(": ")[0] for line in _imports_of_fimishare(source, "m.py")] == ["m.py:5", "m.py:6", "m.py:7", "m.py:8"]


def test_no_migration_imports_fimishare():
    """A migration does what it did when it was written: it copies what it needs from the live
    code instead of importing it, which may have changed since."""
    files = sorted(VERSIONS.glob("*.py"))
    assert files
    found = [
        hit for path in files for hit in _imports_of_fimishare(path.read_text(encoding="utf-8"), str(path.relative_to(VERSIONS.parents[3])))
    ]
    assert found == [], "migrations must not import fimishare:\n" + "\n".join(found)


# ---------------------------------------------------------------- 0002 computes what the live code does
ORG_A = "identity--a1a1a1a1-0000-4000-8000-000000000001"
ORG_B = "identity--b2b2b2b2-0000-4000-8000-000000000002"
ANALYST = "identity--c3c3c3c3-0000-4000-8000-000000000003"


def _sample(path: Path, per_type: int) -> list[dict]:
    """The first ``per_type`` objects of each type of a bundle."""
    taken: Counter = Counter()
    sample = []
    for obj in orjson.loads(path.read_bytes())["objects"]:
        if taken[obj["type"]] < per_type:
            taken[obj["type"]] += 1
            sample.append(obj)
    return sample


def _oasis_examples(root: Path) -> list[dict]:
    objects = []
    for path in sorted(root.glob("*.json")) + sorted((root / "threat-reports").glob("*.json")):
        data = orjson.loads(path.read_bytes())
        if data.get("type") == "bundle":
            objects += data["objects"]
        elif isinstance(data.get("id"), str):  # interop-objectmarking-test.json: one object
            objects.append(data)
    return objects


def _hand_made() -> list[dict]:
    """Markings of every kind (TLP 2.0 and 1.0, releasability, granular, repeated and unsorted
    refs) on reference and non-reference types, and objects the FIMI and cyber profiles cover
    by extension, by owned type and through a relationship's endpoints."""
    from support.profile_bundles import cyber_bundle, fimi_bundle
    from support.stix_factory import relationship, sdo

    from fimishare.sharing.markings import fimishare_marking_definition
    from fimishare.stix import TLP_1_0_IDS, TLP_AMBER, TLP_AMBER_STRICT, TLP_CLEAR, TLP_GREEN, TLP_RED
    from fimishare.stix_profiles.profiles import CYBER_EXTENSION, FIMI_EXTENSION, INCIDENT_CORE_EXTENSION

    white = TLP_1_0_IDS["white"]
    releasable = fimishare_marking_definition("Releasable to A", releasable_to=[ORG_A])
    hybrid = sdo(
        "incident",
        name="Hybrid",
        object_marking_refs=[TLP_AMBER],
        created_by_ref=ORG_A,
        extensions={
            INCIDENT_CORE_EXTENSION: {"extension_type": "property-extension", "determination": "suspected"},
            FIMI_EXTENSION: {"extension_type": "property-extension", "target_countries": ["JP"]},
            CYBER_EXTENSION: {"extension_type": "property-extension", "target_countries": ["JP"]},
        },
    )
    channel = sdo("channel", name="a channel", object_marking_refs=[TLP_GREEN])
    campaign = sdo("campaign", object_marking_refs=[TLP_GREEN], created_by_ref=ORG_B)
    return [
        releasable,
        sdo("attack-pattern", object_marking_refs=[TLP_CLEAR]),
        sdo("attack-pattern", object_marking_refs=[white, TLP_CLEAR, white]),
        sdo("attack-pattern", object_marking_refs=[TLP_CLEAR, TLP_GREEN]),
        sdo("attack-pattern"),
        sdo("x-mitre-tactic", name="tactic", object_marking_refs=[white]),
        sdo("x-mitre-data-source", name="source", object_marking_refs=[TLP_AMBER_STRICT]),
        sdo("identity", name="someone", identity_class="individual", object_marking_refs=[TLP_RED]),
        sdo("malware", object_marking_refs=[TLP_RED, TLP_1_0_IDS["green"], releasable["id"], TLP_RED]),
        sdo(
            "campaign",
            object_marking_refs=[releasable["id"]],
            created_by_ref=ORG_A,
            granular_markings=[{"marking_ref": TLP_RED, "selectors": ["description"]}],
            description="secret",
        ),
        sdo("tool", granular_markings=[{"lang": "en", "selectors": ["name"]}]),
        campaign,
        {**campaign, "modified": "2024-12-01T09:00:00.000Z", "object_marking_refs": [TLP_AMBER]},  # a later version
        hybrid,
        channel,
        relationship(hybrid, "targets", sdo("location", name="nowhere")),  # hybrid found through the lookup
        relationship(channel, "related-to", sdo("narrative", name="not stored")),  # owned types, by id alone
        relationship(sdo("threat-actor"), "uses", channel),
        *fimi_bundle(),
        *cyber_bundle(),
    ]


@pytest.mark.shared_data
def test_0002_classifies_stored_versions_as_the_live_code_does(database_url, shared_data):
    """0002 gives every version stored under 0001 its access class and profiles with its own
    frozen copy of the rules; today they must agree with the live code, key bytes included."""
    from alembic import command

    from fimishare.sharing.access import access_class_of
    from fimishare.stix_profiles.profiles import applying_profiles
    from fimishare.store.database import alembic_config

    objects = [
        *_sample(shared_data / "disarm" / "DISARM.json", 8),
        *_sample(shared_data / "attack" / "mobile-attack-17.1.json", 8),
        *_oasis_examples(shared_data / "oasis"),
        *_hand_made(),
    ]
    provenances = [(org, submitted_by) for submitted_by in (None, ANALYST) for org in (ORG_A, ORG_B)]
    engine = make_engine(database_url)
    config = alembic_config(engine)
    command.upgrade(config, "0001")
    organisations = sa.table("organisations", *map(sa.column, ("id", "name", "is_node", "clearance", "created_at_us")))
    versions = sa.table(
        "object_versions",
        *map(
            sa.column,
            (
                "pk",
                "id",
                "type",
                "spec_version",
                "modified_us",
                "created",
                "modified",
                "revoked",
                "created_by_ref",
                "source_org",
                "submitted_by",
                "entry_path",
                "date_added_us",
                "content_hash",
                "json",
                "access_class",
                "profiles",
            ),
        ),
        sa.column("marking_refs", sa.JSON),
    )
    rows = []
    for n, obj in enumerate(objects, 1):
        text = orjson.dumps(obj).decode()
        source_org, submitted_by = provenances[n % len(provenances)]
        rows.append(
            {
                "id": obj["id"],
                "type": obj["type"],
                "spec_version": obj.get("spec_version", "2.1"),
                "modified_us": n,
                "created": obj.get("created"),
                "modified": obj.get("modified"),
                "revoked": bool(obj.get("revoked")),
                "created_by_ref": obj.get("created_by_ref"),
                "marking_refs": obj.get("object_marking_refs", []),
                "source_org": source_org,
                "submitted_by": submitted_by,
                "entry_path": "import",
                "date_added_us": n,
                "content_hash": hashlib.sha256(text.encode()).hexdigest(),
                "json": text,
            }
        )
    with engine.begin() as connection:
        connection.execute(
            sa.insert(organisations),
            [{"id": org, "name": org[-4:], "is_node": org == ORG_A, "clearance": None, "created_at_us": 0} for org in (ORG_A, ORG_B)],
        )
        connection.execute(sa.insert(versions), rows)
    command.upgrade(config, "head")

    classes = sa.table(
        "access_classes",
        sa.column("id"),
        sa.column("key"),
        sa.column("object_marking_refs", sa.JSON),
        sa.column("source_org"),
        sa.column("submitted_by"),
        sa.column("created_by_ref"),
        sa.column("reference", sa.Boolean),
        sa.column("granular", sa.Boolean),
    )
    with engine.connect() as connection:
        stored = connection.execute(
            sa.select(versions.c.json, versions.c.source_org, versions.c.submitted_by, versions.c.profiles, classes)
            .join(classes, classes.c.id == versions.c.access_class)
            .order_by(versions.c.date_added_us)
        ).all()
        class_count = connection.execute(sa.select(sa.func.count()).select_from(classes)).scalar_one()
    engine.dispose()

    lookup = {obj["id"]: obj for obj in objects}.get  # as 0002 resolves refs: among the stored versions
    assert len(stored) == len(objects)
    keys, profile_names = set(), Counter()
    for row in stored:
        obj = orjson.loads(row.json)
        expected = access_class_of(obj, row.source_org, row.submitted_by)
        names = " ".join(profile.name for profile in applying_profiles(obj, lookup))
        assert (
            row.key,
            row.object_marking_refs,
            row.source_org,
            row.submitted_by,
            row.created_by_ref,
            row.reference,
            row.granular,
            row.profiles,
        ) == (
            expected.key,
            list(expected.object_marking_refs),
            expected.source_org,
            expected.submitted_by,
            expected.created_by_ref,
            expected.reference,
            expected.granular,
            names,
        ), obj["id"]
        keys.add(expected.key)
        profile_names[names] += 1
    assert class_count == len(keys)
    # The data reaches every branch: each profile alone and both, reference and granular classes.
    assert set(profile_names) == {"", "cyber-incident", "fimi-incident", "cyber-incident fimi-incident"}
    assert {row.reference for row in stored} == {True, False} and {row.granular for row in stored} == {True, False}
