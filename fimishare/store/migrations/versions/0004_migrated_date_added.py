"""Versions migrated from another TAXII server keep their date_added, which they may share;
the discovery's default API root is chosen

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: rebuilding api_roots on SQLite would break the collections that refer to it.
    op.add_column('api_roots', sa.Column('is_default', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('collection_entries', schema=None) as batch_op:
        batch_op.drop_constraint('uq_collection_entries_collection_id_date_added_us', type_='unique')
        batch_op.create_index(batch_op.f('ix_collection_entries_collection_id_date_added_us_version_added_us'),
                              ['collection_id', 'date_added_us', 'version_added_us'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('collection_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collection_entries_collection_id_date_added_us_version_added_us'))
        batch_op.create_unique_constraint('uq_collection_entries_collection_id_date_added_us', ['collection_id', 'date_added_us'])
    op.drop_column('api_roots', 'is_default')
