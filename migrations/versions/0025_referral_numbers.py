"""Referral numbers: each DPS counts its referrals (the number of its latest), so drafting one reads a single row
instead of every reference; the count starts from the highest number the DPS's references use

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05 10:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('dps') as batch_op:
        batch_op.add_column(sa.Column('last_referral_number', sa.Integer(), server_default='0', nullable=False))
    connection = op.get_bind()
    dps = sa.table('dps', sa.column('id', sa.Integer), sa.column('reference', sa.String),
                   sa.column('last_referral_number', sa.Integer))
    referral = sa.table('referral', sa.column('dps_id', sa.Integer), sa.column('reference', sa.String))
    prefixes = {dps_id: f"{reference[:23]}-R" for dps_id, reference in connection.execute(
        sa.select(dps.c.id, dps.c.reference))}
    highest = {}
    for dps_id, reference in connection.execute(sa.select(referral.c.dps_id, referral.c.reference)):
        number = reference[len(prefixes[dps_id]):]
        if reference.startswith(prefixes[dps_id]) and number.isdigit():
            highest[dps_id] = max(highest.get(dps_id, 0), int(number))
    for dps_id, number in highest.items():
        connection.execute(sa.update(dps).where(dps.c.id == dps_id).values(last_referral_number=number))


def downgrade():
    with op.batch_alter_table('dps') as batch_op:
        batch_op.drop_column('last_referral_number')
