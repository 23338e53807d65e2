"""The IPA agreed in the portal: agreement versions, price changes, placement reviews, cost reviews and the
interval between reviews

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 04:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def _user(table, column):
    return sa.ForeignKeyConstraint([column], ['user_account.id'], name=op.f(f'fk_{table}_{column}_user_account'))


def upgrade():
    op.create_table(
        'price_change',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('placement_id', sa.Integer(), nullable=False),
        sa.Column('authority_id', sa.Integer(), nullable=False),
        sa.Column('weekly_cost', sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column('effective_from', sa.Date(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=False),
        sa.Column('requested_at', sa.DateTime(), nullable=False),
        sa.Column('approval_id', sa.Integer(), nullable=True),
        sa.Column('price_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['placement_id'], ['placement.id'], name=op.f('fk_price_change_placement_id_placement')),
        sa.ForeignKeyConstraint(['authority_id'], ['organisation.id'],
                                name=op.f('fk_price_change_authority_id_organisation')),
        sa.ForeignKeyConstraint(['approval_id'], ['approval.id'], name=op.f('fk_price_change_approval_id_approval')),
        sa.ForeignKeyConstraint(['price_id'], ['placement_price.id'],
                                name=op.f('fk_price_change_price_id_placement_price')),
        _user('price_change', 'requested_by_id'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_price_change')),
    )
    op.create_index('ix_price_change_placement_requested', 'price_change', ['placement_id', 'requested_at'])
    op.create_table(
        'agreement_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('placement_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=20), nullable=False),
        sa.Column('amendment', sa.Text(), nullable=False),
        sa.Column('price_change_id', sa.Integer(), nullable=True),
        sa.Column('weekly_cost', sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column('price_from', sa.Date(), nullable=False),
        sa.Column('pdf', sa.LargeBinary(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size_bytes', sa.Integer(), nullable=False),
        sa.Column('issued_by_id', sa.Integer(), nullable=False),
        sa.Column('issued_at', sa.DateTime(), nullable=False),
        sa.Column('provider_signed_by_id', sa.Integer(), nullable=True),
        sa.Column('provider_signed_name', sa.String(length=120), nullable=False),
        sa.Column('provider_signed_position', sa.String(length=120), nullable=False),
        sa.Column('provider_signed_at', sa.DateTime(), nullable=True),
        sa.Column('provider_signed_sha256', sa.String(length=64), nullable=True),
        sa.Column('countersigned_by_id', sa.Integer(), nullable=True),
        sa.Column('countersigned_at', sa.DateTime(), nullable=True),
        sa.Column('countersigned_sha256', sa.String(length=64), nullable=True),
        sa.Column('superseded_at', sa.DateTime(), nullable=True),
        sa.Column('row_version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['placement_id'], ['placement.id'],
                                name=op.f('fk_agreement_version_placement_id_placement')),
        sa.ForeignKeyConstraint(['price_change_id'], ['price_change.id'],
                                name=op.f('fk_agreement_version_price_change_id_price_change')),
        _user('agreement_version', 'issued_by_id'),
        _user('agreement_version', 'provider_signed_by_id'),
        _user('agreement_version', 'countersigned_by_id'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_version')),
        sa.UniqueConstraint('placement_id', 'number', name='uq_agreement_version_placement_id_number'),
    )
    op.create_index('ix_agreement_version_countersigned_superseded', 'agreement_version',
                    ['countersigned_at', 'superseded_at'])
    op.create_table(
        'placement_review',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('placement_id', sa.Integer(), nullable=False),
        sa.Column('held_on', sa.Date(), nullable=False),
        sa.Column('attendees', sa.Text(), nullable=False),
        sa.Column('meets_needs', sa.String(length=10), nullable=False),
        sa.Column('notes', sa.Text(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['placement_id'], ['placement.id'],
                                name=op.f('fk_placement_review_placement_id_placement')),
        _user('placement_review', 'recorded_by_id'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_placement_review')),
    )
    op.create_index('ix_placement_review_placement_held', 'placement_review', ['placement_id', 'held_on'])
    op.create_table(
        'cost_review',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cost_id', sa.Integer(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('decision', sa.String(length=20), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['cost_id'], ['placement_cost.id'], name=op.f('fk_cost_review_cost_id_placement_cost')),
        _user('cost_review', 'recorded_by_id'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_cost_review')),
        sa.UniqueConstraint('cost_id', 'due_on', name='uq_cost_review_cost_id_due_on'),
    )
    op.create_table(
        'review_setting',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('authority_id', sa.Integer(), nullable=False),
        sa.Column('interval_months', sa.SmallInteger(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['authority_id'], ['organisation.id'],
                                name=op.f('fk_review_setting_authority_id_organisation')),
        _user('review_setting', 'updated_by_id'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_review_setting')),
        sa.UniqueConstraint('authority_id', name=op.f('uq_review_setting_authority_id')),
    )


def downgrade():
    op.drop_table('review_setting')
    op.drop_table('cost_review')
    op.drop_index('ix_placement_review_placement_held', table_name='placement_review')
    op.drop_table('placement_review')
    op.drop_index('ix_agreement_version_countersigned_superseded', table_name='agreement_version')
    op.drop_table('agreement_version')
    op.drop_index('ix_price_change_placement_requested', table_name='price_change')
    op.drop_table('price_change')
