"""The market: providers' vacancies, authorities' sufficiency notices, and the analytics' indexes

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 04:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

ANALYTICS_INDEXES = (
    ('referral', 'ix_referral_authority_published', ['authority_id', 'published_at']),
    ('referral', 'ix_referral_authority_awarded', ['authority_id', 'awarded_at']),
    ('placement', 'ix_placement_authority_end', ['authority_id', 'end_date']),
    ('bid_invitation', 'ix_bid_invitation_declined', ['declined_at']),
    ('placement_incident', 'ix_placement_incident_occurred_category', ['occurred_on', 'category']),
)


def _kept(table):
    return [
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'],
                                name=op.f(f'fk_{table}_created_by_id_user_account')),
        sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f(f'fk_{table}_lot_id_lot')),
        sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{table}')),
    ]


def upgrade():
    op.create_table(
        'vacancy',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('lot_id', sa.Integer(), nullable=False),
        sa.Column('home_name', sa.String(length=120), nullable=False),
        sa.Column('area_code', sa.String(length=9), nullable=False),
        sa.Column('county_code', sa.String(length=9), server_default='', nullable=False),
        sa.Column('age_from', sa.SmallInteger(), nullable=False),
        sa.Column('age_to', sa.SmallInteger(), nullable=False),
        sa.Column('available_from', sa.Date(), nullable=False),
        sa.Column('available_until', sa.Date(), nullable=False),
        sa.Column('notes', sa.Text(), server_default='', nullable=False),
        sa.ForeignKeyConstraint(['provider_id'], ['organisation.id'], name=op.f('fk_vacancy_provider_id_organisation')),
        *_kept('vacancy'),
    )
    op.create_index('ix_vacancy_lot_until', 'vacancy', ['lot_id', 'available_until'])
    op.create_index('ix_vacancy_area_until', 'vacancy', ['area_code', 'available_until'])
    op.create_index('ix_vacancy_county_until', 'vacancy', ['county_code', 'available_until'])
    op.create_index('ix_vacancy_provider_created', 'vacancy', ['provider_id', 'created_at'])
    op.create_table(
        'sufficiency_notice',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('authority_id', sa.Integer(), nullable=False),
        sa.Column('lot_id', sa.Integer(), nullable=False),
        sa.Column('area_code', sa.String(length=9), nullable=False),
        sa.Column('age_from', sa.SmallInteger(), nullable=False),
        sa.Column('age_to', sa.SmallInteger(), nullable=False),
        sa.Column('places', sa.SmallInteger(), nullable=False),
        sa.Column('note', sa.Text(), server_default='', nullable=False),
        sa.Column('needed_until', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(['authority_id'], ['organisation.id'],
                                name=op.f('fk_sufficiency_notice_authority_id_organisation')),
        *_kept('sufficiency_notice'),
    )
    op.create_index('ix_sufficiency_notice_lot_until', 'sufficiency_notice', ['lot_id', 'needed_until'])
    op.create_index('ix_sufficiency_notice_authority_created', 'sufficiency_notice', ['authority_id', 'created_at'])
    for table, name, columns in ANALYTICS_INDEXES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_index(name, columns, unique=False)


def downgrade():
    for table, name, _ in reversed(ANALYTICS_INDEXES):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_index(name)
    op.drop_index('ix_sufficiency_notice_authority_created', table_name='sufficiency_notice')
    op.drop_index('ix_sufficiency_notice_lot_until', table_name='sufficiency_notice')
    op.drop_table('sufficiency_notice')
    for name in ('ix_vacancy_provider_created', 'ix_vacancy_county_until', 'ix_vacancy_area_until',
                 'ix_vacancy_lot_until'):
        op.drop_index(name, table_name='vacancy')
    op.drop_table('vacancy')
