"""What standing does across the portal: a bid set aside at its round's deadline (its provider suspended or
terminated on the DPS, or the setting it offers restricted there), kept with the reason; a provider's place on a
lot left when its contract on the DPS is terminated, kept for the record with the status to restore should the
termination be reversed on appeal

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 08:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bid') as batch_op:
        batch_op.add_column(sa.Column('set_aside_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('set_aside_reason', sa.Text(), server_default='', nullable=False))
    with op.batch_alter_table('lot_membership') as batch_op:
        batch_op.add_column(sa.Column('left_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('status_before_leaving', sa.String(length=30), nullable=True))


def downgrade():
    with op.batch_alter_table('lot_membership') as batch_op:
        batch_op.drop_column('status_before_leaving')
        batch_op.drop_column('left_at')
    with op.batch_alter_table('bid') as batch_op:
        batch_op.drop_column('set_aside_reason')
        batch_op.drop_column('set_aside_at')
