"""reminders sent once, and windows held until their DPS's set-up is complete

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-02 01:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sent_reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sent_reminder')),
    sa.UniqueConstraint('kind', 'record_id', name=op.f('uq_sent_reminder_kind'))
    )
    with op.batch_alter_table('entry_window', schema=None) as batch_op:
        batch_op.add_column(sa.Column('setup_held_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('entry_window', schema=None) as batch_op:
        batch_op.drop_column('setup_held_at')
    op.drop_table('sent_reminder')
