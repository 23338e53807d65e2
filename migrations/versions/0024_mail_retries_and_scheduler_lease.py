"""E-mail retries: the time of the next attempt after a failure, the time a message was given up as failed, and
the dispatcher that has claimed it; the scheduler's lease (which scheduler does the timed work, on SQLite)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 10:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

MAX_ATTEMPTS = 5  # as portal.services.mail.MAX_ATTEMPTS when this migration was written


def upgrade():
    with op.batch_alter_table('outbox_message') as batch_op:
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('failed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(), nullable=True))
    # Messages the dispatcher had already given up on are now marked failed.
    op.execute(f"UPDATE outbox_message SET failed_at = created_at "
               f"WHERE sent_at IS NULL AND attempts >= {MAX_ATTEMPTS}")
    op.create_table(
        'scheduler_lease',
        sa.Column('name', sa.String(length=50), nullable=False),
        sa.Column('holder', sa.String(length=100), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduler_lease')),
    )


def downgrade():
    op.drop_table('scheduler_lease')
    with op.batch_alter_table('outbox_message') as batch_op:
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('claimed_by')
        batch_op.drop_column('failed_at')
        batch_op.drop_column('next_attempt_at')
