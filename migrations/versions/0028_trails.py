"""The administrators' outbox, newest first, reads a page from an index on the time a message was written
instead of sorting every message

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-05 11:40:00

"""
from alembic import op

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message') as batch_op:
        batch_op.create_index('ix_outbox_message_created', ['created_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox_message') as batch_op:
        batch_op.drop_index('ix_outbox_message_created')
