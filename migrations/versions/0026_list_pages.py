"""The tier page reads a page of a category's current tier table in rank order: its index covers the order, so a
page is read from the index without sorting the whole table

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05 11:00:00

"""
from alembic import op


revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tier_award') as batch_op:
        batch_op.drop_index('ix_tier_award_category_current')
        batch_op.create_index('ix_tier_award_category_current_rank', ['category_id', 'current', 'rank', 'id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('tier_award') as batch_op:
        batch_op.drop_index('ix_tier_award_category_current_rank')
        batch_op.create_index('ix_tier_award_category_current', ['category_id', 'current'], unique=False)
