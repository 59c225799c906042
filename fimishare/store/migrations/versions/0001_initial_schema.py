"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('collections',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('created_at_us', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collections'))
    )
    op.create_table('organisations',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('is_node', sa.Boolean(), nullable=False),
    sa.Column('clearance', sa.String(length=40), nullable=True),
    sa.Column('created_at_us', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
    sa.UniqueConstraint('name', name=op.f('uq_organisations_name'))
    )
    op.create_table('timelines',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('last_added_us', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_timelines'))
    )
    op.create_table('accounts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('identity_id', sa.String(length=64), nullable=False),
    sa.Column('org_id', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('clearance', sa.String(length=40), nullable=True),
    sa.Column('created_at_us', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("role IN ('admin', 'analyst', 'viewer', 'sync')", name=op.f('ck_accounts_role')),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_accounts_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts')),
    sa.UniqueConstraint('identity_id', name=op.f('uq_accounts_identity_id')),
    sa.UniqueConstraint('name', name=op.f('uq_accounts_name'))
    )
    op.create_table('object_versions',
    sa.Column('pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=250), nullable=False),
    sa.Column('type', sa.String(length=250), nullable=False),
    sa.Column('spec_version', sa.String(length=8), nullable=False),
    sa.Column('modified_us', sa.BigInteger(), nullable=False),
    sa.Column('created', sa.String(length=40), nullable=True),
    sa.Column('modified', sa.String(length=40), nullable=True),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.Column('created_by_ref', sa.String(length=250), nullable=True),
    sa.Column('marking_refs', sa.JSON(), nullable=False),
    sa.Column('tlp', sa.String(length=16), nullable=True),
    sa.Column('source_org', sa.String(length=64), nullable=False),
    sa.Column('submitted_by', sa.String(length=64), nullable=True),
    sa.Column('entry_path', sa.String(length=16), nullable=False),
    sa.Column('date_added_us', sa.BigInteger(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('json', sa.Text(), nullable=False),
    sa.CheckConstraint("entry_path IN ('portal', 'api', 'taxii', 'sync', 'import', 'admin')", name=op.f('ck_object_versions_entry_path')),
    sa.ForeignKeyConstraint(['source_org'], ['organisations.id'], name=op.f('fk_object_versions_source_org_organisations')),
    sa.PrimaryKeyConstraint('pk', name=op.f('pk_object_versions')),
    sa.UniqueConstraint('date_added_us', name=op.f('uq_object_versions_date_added_us')),
    sa.UniqueConstraint('id', 'modified_us', name=op.f('uq_object_versions_id_modified_us'))
    )
    with op.batch_alter_table('object_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_object_versions_type_date_added_us'), ['type', 'date_added_us'], unique=False)

    op.create_table('collection_entries',
    sa.Column('collection_id', sa.String(length=64), nullable=False),
    sa.Column('version_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('date_added_us', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['collection_id'], ['collections.id'], name=op.f('fk_collection_entries_collection_id_collections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_pk'], ['object_versions.pk'], name=op.f('fk_collection_entries_version_pk_object_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('collection_id', 'version_pk', name=op.f('pk_collection_entries')),
    sa.UniqueConstraint('collection_id', 'date_added_us', name=op.f('uq_collection_entries_collection_id_date_added_us'))
    )
    op.create_table('observables',
    sa.Column('version_added_us', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('value', sa.String(length=2048), nullable=False),
    sa.ForeignKeyConstraint(['version_added_us'], ['object_versions.date_added_us'], name=op.f('fk_observables_version_added_us_object_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('version_added_us', 'kind', 'value', name=op.f('pk_observables')),
    sqlite_with_rowid=False,
    )
    with op.batch_alter_table('observables', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_observables_value_kind'), ['value', 'kind'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('observables', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_observables_value_kind'))

    op.drop_table('observables')
    op.drop_table('collection_entries')
    with op.batch_alter_table('object_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_object_versions_type_date_added_us'))

    op.drop_table('object_versions')
    op.drop_table('accounts')
    op.drop_table('timelines')
    op.drop_table('organisations')
    op.drop_table('collections')
