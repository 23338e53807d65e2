"""partial drafts: a referral's draft may be saved before every required field is filled in

Revision ID: 0008
Revises: 0003
Create Date: 2026-12-02 02:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# (column, type) of the referral's fields that a draft may leave empty; completeness is checked at publishing.
REFERRAL_COLUMNS = (
    ('needed_by', sa.String(length=20)),
    ('communication_needs', sa.String(length=20)),
    ('cultural_needs', sa.String(length=20)),
    ('live_alongside', sa.String(length=30)),
    ('pets', sa.String(length=20)),
    ('suitability_foster', sa.String(length=20)),
    ('suitability_residential', sa.String(length=20)),
    ('suitability_supported', sa.String(length=20)),
    ('age_years', sa.Integer()),
    ('required_start', sa.Date()),
)


def upgrade():
    with op.batch_alter_table('referral', schema=None) as batch_op:
        for name, type_ in REFERRAL_COLUMNS:
            batch_op.alter_column(name, existing_type=type_, nullable=True)
    with op.batch_alter_table('referral_child', schema=None) as batch_op:
        batch_op.alter_column('date_of_birth', existing_type=sa.Date(), nullable=True)


def downgrade():
    connection = op.get_bind()
    empty = ' OR '.join(f'{name} IS NULL' for name, _ in REFERRAL_COLUMNS)
    partial = connection.execute(sa.text(f'SELECT COUNT(*) FROM referral WHERE {empty}')).scalar()
    partial += connection.execute(sa.text('SELECT COUNT(*) FROM referral_child WHERE date_of_birth IS NULL')).scalar()
    if partial:
        raise RuntimeError(f'{partial} draft referrals are not complete: complete or delete them before downgrading')
    with op.batch_alter_table('referral_child', schema=None) as batch_op:
        batch_op.alter_column('date_of_birth', existing_type=sa.Date(), nullable=False)
    with op.batch_alter_table('referral', schema=None) as batch_op:
        for name, type_ in REFERRAL_COLUMNS:
            batch_op.alter_column(name, existing_type=type_, nullable=False)
