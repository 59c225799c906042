"""Search outbox: the versions the search index has still to take

Every version already stored goes in, so the first worker run indexes the whole store.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('search_outbox',
    sa.Column('version_added_us', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['version_added_us'], ['object_versions.date_added_us'], name=op.f('fk_search_outbox_version_added_us_object_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('version_added_us', name=op.f('pk_search_outbox'))
    )
    op.execute('INSERT INTO search_outbox (version_added_us) SELECT date_added_us FROM object_versions')


def downgrade() -> None:
    op.drop_table('search_outbox')
