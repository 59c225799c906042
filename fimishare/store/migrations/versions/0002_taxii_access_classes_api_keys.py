"""TAXII API roots and collections, access classes, API keys

The collections of 0001 were never written to (nothing served them), so they are made
again; existing object versions get their access class and profiles computed here.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""
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
    from fimishare.sharing.access import access_class_of
    from fimishare.stix_profiles.profiles import applying_profiles

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
        access = access_class_of(obj, row.source_org, row.submitted_by)
        if access.key not in class_ids:
            class_ids[access.key] = connection.execute(sa.insert(classes).values(
                key=access.key, object_marking_refs=list(access.object_marking_refs), source_org=access.source_org,
                submitted_by=access.submitted_by, created_by_ref=access.created_by_ref, reference=access.reference,
                granular=access.granular,
            ).returning(classes.c.id)).scalar_one()
        names = " ".join(profile.name for profile in applying_profiles(obj, objects.get))
        connection.execute(sa.update(versions).where(versions.c.pk == row.pk).values(
            access_class=class_ids[access.key], profiles=names))


def downgrade() -> None:
    raise NotImplementedError("0002 cannot be undone: restore the store from a backup taken before upgrading")
