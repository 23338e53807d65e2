"""The evaluator's queue reads a page of the allocations to score (oldest allocated first) or of those scored
(latest first) in order from one index, without sorting all the evaluator's allocations

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-05 11:40:00

"""
from alembic import op

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('allocation') as batch_op:
        batch_op.create_index('ix_allocation_evaluator_queue', ['evaluator_id', 'submitted_at', 'allocated_at', 'id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('allocation') as batch_op:
        batch_op.drop_index('ix_allocation_evaluator_queue')
