"""Quarterly KPIs: the providers' quarterly returns (questions per DPS, returns with their own copy of the
questions and the answers), when returns are due, and the KPI thresholds

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 04:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'return_question',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dps_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('text', sa.String(length=300), nullable=False),
        sa.Column('guidance', sa.Text(), server_default='', nullable=False),
        sa.Column('answer_type', sa.String(length=10), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('retired_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['dps_id'], ['dps.id'], name=op.f('fk_return_question_dps_id_dps')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_return_question')),
    )
    op.create_index('ix_return_question_dps_position', 'return_question', ['dps_id', 'position'])
    op.create_table(
        'return_settings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dps_id', sa.Integer(), nullable=False),
        sa.Column('due_days', sa.Integer(), nullable=False),
        sa.Column('reminder_days', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['dps_id'], ['dps.id'], name=op.f('fk_return_settings_dps_id_dps')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_return_settings')),
        sa.UniqueConstraint('dps_id', name=op.f('uq_return_settings_dps_id')),
    )
    op.create_table(
        'quarterly_return',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dps_id', sa.Integer(), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('quarter', sa.String(length=7), nullable=False),
        sa.Column('requested_at', sa.DateTime(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.Column('submitted_at', sa.DateTime(), nullable=True),
        sa.Column('submitted_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['dps_id'], ['dps.id'], name=op.f('fk_quarterly_return_dps_id_dps')),
        sa.ForeignKeyConstraint(['provider_id'], ['organisation.id'],
                                name=op.f('fk_quarterly_return_provider_id_organisation')),
        sa.ForeignKeyConstraint(['submitted_by_id'], ['user_account.id'],
                                name=op.f('fk_quarterly_return_submitted_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_quarterly_return')),
        sa.UniqueConstraint('dps_id', 'provider_id', 'quarter', name=op.f('uq_quarterly_return_dps_id')),
    )
    op.create_index('ix_quarterly_return_provider_quarter', 'quarterly_return', ['provider_id', 'quarter'])
    op.create_index('ix_quarterly_return_dps_quarter', 'quarterly_return', ['dps_id', 'quarter'])
    op.create_index('ix_quarterly_return_outstanding', 'quarterly_return', ['submitted_at', 'due_on'])
    op.create_table(
        'return_answer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('return_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('question', sa.String(length=300), nullable=False),
        sa.Column('guidance', sa.Text(), server_default='', nullable=False),
        sa.Column('answer_type', sa.String(length=10), nullable=False),
        sa.Column('number_value', sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column('text_value', sa.Text(), server_default='', nullable=False),
        sa.ForeignKeyConstraint(['return_id'], ['quarterly_return.id'],
                                name=op.f('fk_return_answer_return_id_quarterly_return')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_return_answer')),
        sa.UniqueConstraint('return_id', 'position', name=op.f('uq_return_answer_return_id')),
    )
    op.create_table(
        'kpi_threshold',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dps_id', sa.Integer(), nullable=False),
        sa.Column('kpi', sa.String(length=30), nullable=False),
        sa.Column('limit', sa.Numeric(precision=8, scale=2), nullable=False),
        sa.Column('set_by_id', sa.Integer(), nullable=False),
        sa.Column('set_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['dps_id'], ['dps.id'], name=op.f('fk_kpi_threshold_dps_id_dps')),
        sa.ForeignKeyConstraint(['set_by_id'], ['user_account.id'], name=op.f('fk_kpi_threshold_set_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_threshold')),
        sa.UniqueConstraint('dps_id', 'kpi', name=op.f('uq_kpi_threshold_dps_id')),
    )


def downgrade():
    op.drop_table('kpi_threshold')
    op.drop_table('return_answer')
    op.drop_index('ix_quarterly_return_outstanding', table_name='quarterly_return')
    op.drop_index('ix_quarterly_return_dps_quarter', table_name='quarterly_return')
    op.drop_index('ix_quarterly_return_provider_quarter', table_name='quarterly_return')
    op.drop_table('quarterly_return')
    op.drop_table('return_settings')
    op.drop_index('ix_return_question_dps_position', table_name='return_question')
    op.drop_table('return_question')
