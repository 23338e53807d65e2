"""referral.awarded_bid_id gets its foreign key on databases where 0003 left it out

Migration 0003 declared the key with use_alter (the bid table came after the referral table), and on PostgreSQL
no constraint was created, so the database did not refuse an award pointing at a bid that does not exist.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 02:55:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

NAME = 'fk_referral_awarded_bid_id_bid'


def _has_key() -> bool:
    keys = sa.inspect(op.get_bind()).get_foreign_keys('referral')
    return any(key['constrained_columns'] == ['awarded_bid_id'] for key in keys)


def upgrade():
    if op.get_bind().dialect.name == 'sqlite' or _has_key():
        return  # SQLite created the key with the table
    op.create_foreign_key(NAME, 'referral', 'bid', ['awarded_bid_id'], ['id'])


def downgrade():
    # The key is part of the schema 0003 meant to create, so it stays.
    pass
