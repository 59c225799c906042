"""TAXII API roots and collections, access classes, API keys

The collections of 0001 were never written to (nothing served them), so they are made
again; existing object versions get their access class and profiles computed here.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""
import hashlib

import orjson
import sqlalchemy as sa
from alembic import op

BigKey = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('access_classes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('object_marking_refs', sa.JSON(), nullable=False),
    sa.Column('source_org', sa.String(length=64), nullable=False),
    sa.Column('submitted_by', sa.String(length=64), nullable=True),
    sa.Column('created_by_ref', sa.String(length=250), nullable=True),
    sa.Column('reference', sa.Boolean(), nullable=False),
    sa.Column('granular', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_classes')),
    sa.UniqueConstraint('key', name=op.f('uq_access_classes_key'))
    )
    op.create_table('api_roots',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('max_content_length', sa.BigInteger(), nullable=False),
    sa.Column('exercise', sa.Boolean(), nullable=False),
    sa.Column('created_at_us', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_api_roots'))
    )
    op.create_table('taxii_statuses',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('api_root', sa.String(length=64), nullable=False),
    sa.Column('org_id', sa.String(length=64), nullable=False),
    sa.Column('resource', sa.JSON(), nullable=False),
    sa.Column('created_at_us', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['api_root'], ['api_roots.name'], name=op.f('fk_taxii_statuses_api_root_api_roots'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_taxii_statuses'))
    )
    op.create_table('api_keys',
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at_us', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_api_keys_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('digest', name=op.f('pk_api_keys'))
    )
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_keys_account_id'), ['account_id'], unique=False)

    op.drop_table('collection_entries')
    op.drop_table('collections')
    op.create_table('collections',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('api_root', sa.String(length=64), nullable=False),
    sa.Column('alias', sa.String(length=100), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('filter', sa.JSON(), nullable=False),
    sa.Column('writable', sa.Boolean(), nullable=False),
    sa.Column('created_at_us', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['api_root'], ['api_roots.name'], name=op.f('fk_collections_api_root_api_roots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collections')),
    sa.UniqueConstraint('api_root', 'alias', name=op.f('uq_collections_api_root_alias'))
    )
    op.create_table('collection_grants',
    sa.Column('collection_id', sa.String(length=64), nullable=False),
    sa.Column('org_id', sa.String(length=64), nullable=False),
    sa.Column('can_read', sa.Boolean(), nullable=False),
    sa.Column('can_write', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['collection_id'], ['collections.id'], name=op.f('fk_collection_grants_collection_id_collections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('collection_id', 'org_id', name=op.f('pk_collection_grants'))
    )
    op.create_table('collection_entries',
    sa.Column('collection_id', sa.String(length=64), nullable=False),
    sa.Column('version_added_us', sa.BigInteger(), nullable=False),
    sa.Column('date_added_us', sa.BigInteger(), nullable=False),
    sa.Column('object_id', sa.String(length=250), nullable=False),
    sa.Column('type', sa.String(length=250), nullable=False),
    sa.Column('spec_version', sa.String(length=8), nullable=False),
    sa.Column('modified_us', sa.BigInteger(), nullable=False),
    sa.Column('access_class', BigKey, nullable=False),
    sa.ForeignKeyConstraint(['collection_id'], ['collections.id'], name=op.f('fk_collection_entries_collection_id_collections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_added_us'], ['object_versions.date_added_us'], name=op.f('fk_collection_entries_version_added_us_object_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('collection_id', 'version_added_us', name=op.f('pk_collection_entries')),
    sa.UniqueConstraint('collection_id', 'date_added_us', name=op.f('uq_collection_entries_collection_id_date_added_us')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('collection_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collection_entries_collection_id_object_id_modified_us'), ['collection_id', 'object_id', 'modified_us'], unique=False)
        batch_op.create_index(batch_op.f('ix_collection_entries_collection_id_type_date_added_us'), ['collection_id', 'type', 'date_added_us'], unique=False)

    with op.batch_alter_table('object_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('access_class', BigKey, nullable=True))
        batch_op.add_column(sa.Column('profiles', sa.String(length=100), nullable=True))
    _classify_stored_versions()
    with op.batch_alter_table('object_versions', schema=None) as batch_op:
        batch_op.alter_column('access_class', existing_type=BigKey, nullable=False)
        batch_op.alter_column('profiles', existing_type=sa.String(length=100), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_object_versions_access_class_access_classes'), 'access_classes', ['access_class'], ['id'])


def _classify_stored_versions() -> None:
    connection = op.get_bind()
    versions = sa.table('object_versions', sa.column('pk'), sa.column('json'), sa.column('source_org'), sa.column('submitted_by'),
                        sa.column('access_class'), sa.column('profiles'))
    classes = sa.table('access_classes', sa.column('id'), sa.column('key'), sa.column('object_marking_refs', sa.JSON),
                       sa.column('source_org'), sa.column('submitted_by'), sa.column('created_by_ref'), sa.column('reference'),
                       sa.column('granular'))
    rows = connection.execute(sa.select(versions.c.pk, versions.c.json, versions.c.source_org, versions.c.submitted_by)).all()
    parsed = [orjson.loads(row.json) for row in rows]
    objects = {obj["id"]: obj for obj in parsed}
    class_ids: dict[str, int] = {}
    for row, obj in zip(rows, parsed):
        access = _access_class(obj, row.source_org, row.submitted_by)
        key = _access_key(access)
        if key not in class_ids:
            class_ids[key] = connection.execute(sa.insert(classes).values(key=key, **access).returning(classes.c.id)).scalar_one()
        names = " ".join(_applying_profile_names(obj, objects.get))
        connection.execute(sa.update(versions).where(versions.c.pk == row.pk).values(
            access_class=class_ids[key], profiles=names))


# What follows is frozen: copies, as of this revision, of the parts of the live code that
# _classify_stored_versions needs. A migration never imports fimishare (tests/test_migrations.py
# checks it): when that code changes later, a store upgraded from 0001 must still get what 0002
# computed when it was written. Do not edit them to follow the live code; a later migration can.

# fimishare.sharing.access: access_class_of, is_reference and AccessClass.key.
_REFERENCE_TYPES = frozenset({"marking-definition", "identity", "extension-definition"})
_CLEAR_IDS = frozenset({
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",  # TLP 2.0 CLEAR
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",  # TLP 1.0 WHITE, read as CLEAR
})


def _is_reference(otype: object, refs: list[str]) -> bool:
    """Marking-definitions, identities, extension-definitions, and framework techniques marked
    no more than TLP:CLEAR."""
    if otype in _REFERENCE_TYPES:
        return True
    framework = isinstance(otype, str) and (otype == "attack-pattern" or otype.startswith("x-mitre-"))
    return framework and all(ref in _CLEAR_IDS for ref in refs)


def _access_class(obj: dict, source_org: str, submitted_by: str | None) -> dict:
    """The access_classes row (without its key) of a version held with this provenance."""
    refs = sorted(set(obj.get("object_marking_refs") or ()))  # without repeats
    creator = obj.get("created_by_ref")
    return {
        "object_marking_refs": refs,
        "source_org": source_org,
        "submitted_by": submitted_by,
        "created_by_ref": creator if isinstance(creator, str) else None,
        "reference": _is_reference(obj.get("type"), refs),
        "granular": bool(obj.get("granular_markings")),
    }


def _access_key(access: dict) -> str:
    """The class's key; later code finds classes by it, so these bytes must never change."""
    return hashlib.sha256(orjson.dumps([*access["object_marking_refs"], "|", access["source_org"], access["submitted_by"],
                                        access["created_by_ref"], access["reference"], access["granular"]])).hexdigest()


# fimishare.stix_profiles.profiles: applying_profiles / Profile.applies_to. Of a profile's
# declaration (profiles/*.json) only its name, its own extension ("claim_extension") and the
# types it owns ("owned_types") decide whether it applies; in the order of the files.
_PROFILES = (
    ("cyber-incident", "extension-definition--ccf4117d-89bb-44df-b069-ade2e3fe24d9", frozenset()),
    ("fimi-incident", "extension-definition--94ef16a4-16eb-43aa-93a7-1e1a3433fd06", frozenset({"channel", "narrative"})),
)


def _claims(claim_extension: str, obj: object) -> bool:
    extensions = obj.get("extensions") if isinstance(obj, dict) else None
    return isinstance(extensions, dict) and claim_extension in extensions


def _type_of_id(ref: object) -> str | None:
    return ref.split("--", 1)[0] if isinstance(ref, str) and "--" in ref else None


def _applying_profile_names(obj: dict, lookup) -> list[str]:
    """A profile covers an object that carries its extension or is of a type it owns, and a
    relationship whose source or target is of such a type or (through lookup) carries its extension."""
    names = []
    for name, claim_extension, owned_types in _PROFILES:
        applies = _claims(claim_extension, obj) or obj.get("type") in owned_types
        if not applies and obj.get("type") == "relationship":
            applies = any(_type_of_id(obj.get(key)) in owned_types
                          or (isinstance(obj.get(key), str) and _claims(claim_extension, lookup(obj.get(key))))
                          for key in ("source_ref", "target_ref"))
        if applies:
            names.append(name)
    return names


def downgrade() -> None:
    raise NotImplementedError("0002 cannot be undone: restore the store from a backup taken before upgrading")
