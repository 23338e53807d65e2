"""Analytics snapshots: each analytics page's figures stored per scope, read in one statement and refreshed by the
scheduler

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05 11:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'analytics_snapshot',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('scope_key', sa.String(length=64), nullable=False),
        sa.Column('scope', sa.Text(), nullable=False),
        sa.Column('figures', sa.Text(), nullable=False),
        sa.Column('computed_at', sa.DateTime(), nullable=False),
        sa.Column('wanted_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_snapshot')),
        sa.UniqueConstraint('scope_key', name=op.f('uq_analytics_snapshot_scope_key')),
    )
    with op.batch_alter_table('analytics_snapshot') as batch_op:
        batch_op.create_index(batch_op.f('ix_analytics_snapshot_wanted_at'), ['wanted_at'], unique=False)


def downgrade():
    op.drop_table('analytics_snapshot')
