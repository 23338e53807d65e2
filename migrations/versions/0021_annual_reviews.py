"""The annual contract review: the versioned self-assessment questionnaire per DPS, each provider's reviews with
their answers and moderation, the meeting, the cost of each live placement reviewed, the rating with its risk
factors, the provider's comment and the action plan

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 08:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def _fk(table, column, target):
    return sa.ForeignKeyConstraint([column], [f'{target}.id'], name=op.f(f'fk_{table}_{column}_{target}'))


def upgrade():
    op.create_table(
        'review_questionnaire',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dps_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('locked_at', sa.DateTime(), nullable=True),
        _fk('review_questionnaire', 'dps_id', 'dps'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_review_questionnaire')),
        sa.UniqueConstraint('dps_id', 'version', name=op.f('uq_review_questionnaire_dps_version')),
    )
    op.create_table(
        'review_question',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('questionnaire_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('guidance', sa.Text(), server_default='', nullable=False),
        _fk('review_question', 'questionnaire_id', 'review_questionnaire'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_review_question')),
        sa.UniqueConstraint('questionnaire_id', 'number', name=op.f('uq_review_question_questionnaire_number')),
    )
    op.create_table(
        'annual_review',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contract_id', sa.Integer(), nullable=False),
        sa.Column('questionnaire_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('documents_requested', sa.Text(), server_default='', nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=False),
        sa.Column('sent_by_id', sa.Integer(), nullable=False),
        sa.Column('submitted_at', sa.DateTime(), nullable=True),
        sa.Column('meeting_on', sa.Date(), nullable=True),
        sa.Column('meeting_attendees', sa.Text(), server_default='', nullable=False),
        sa.Column('meeting_notes', sa.Text(), server_default='', nullable=False),
        sa.Column('rating', sa.String(length=30), nullable=True),
        sa.Column('risk_factors', sa.Text(), server_default='', nullable=False),
        sa.Column('rating_notes', sa.Text(), server_default='', nullable=False),
        sa.Column('best_practice', sa.Text(), server_default='', nullable=False),
        sa.Column('rated_at', sa.DateTime(), nullable=True),
        sa.Column('rated_by_id', sa.Integer(), nullable=True),
        sa.Column('provider_comment', sa.Text(), server_default='', nullable=False),
        sa.Column('commented_at', sa.DateTime(), nullable=True),
        sa.Column('issued_at', sa.DateTime(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        _fk('annual_review', 'contract_id', 'provider_contract'),
        _fk('annual_review', 'questionnaire_id', 'review_questionnaire'),
        _fk('annual_review', 'sent_by_id', 'user_account'),
        _fk('annual_review', 'rated_by_id', 'user_account'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_annual_review')),
    )
    op.create_index('ix_annual_review_contract_sent', 'annual_review', ['contract_id', 'sent_at'])
    op.create_index('ix_annual_review_status_due', 'annual_review', ['status', 'due_on'])
    op.create_table(
        'review_answer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('review_id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('answer', sa.Text(), server_default='', nullable=False),
        sa.Column('moderation', sa.String(length=20), nullable=True),
        sa.Column('moderation_note', sa.Text(), server_default='', nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        _fk('review_answer', 'review_id', 'annual_review'),
        _fk('review_answer', 'question_id', 'review_question'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_review_answer')),
        sa.UniqueConstraint('review_id', 'question_id', name=op.f('uq_review_answer_review_question')),
    )
    op.create_table(
        'review_cost_check',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('review_id', sa.Integer(), nullable=False),
        sa.Column('placement_id', sa.Integer(), nullable=False),
        sa.Column('outcome', sa.String(length=20), nullable=False),
        sa.Column('note', sa.Text(), server_default='', nullable=False),
        sa.Column('recorded_at', sa.DateTime(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=False),
        _fk('review_cost_check', 'review_id', 'annual_review'),
        _fk('review_cost_check', 'placement_id', 'placement'),
        _fk('review_cost_check', 'recorded_by_id', 'user_account'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_review_cost_check')),
        sa.UniqueConstraint('review_id', 'placement_id', name=op.f('uq_review_cost_check_review_placement')),
    )
    op.create_table(
        'review_action',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('review_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('owner', sa.String(length=200), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('done_at', sa.DateTime(), nullable=True),
        sa.Column('done_by_id', sa.Integer(), nullable=True),
        sa.Column('done_note', sa.Text(), server_default='', nullable=False),
        _fk('review_action', 'review_id', 'annual_review'),
        _fk('review_action', 'done_by_id', 'user_account'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_review_action')),
    )
    op.create_index('ix_review_action_review', 'review_action', ['review_id'])
    op.create_index('ix_review_action_done_due', 'review_action', ['done_at', 'due_on'])


def downgrade():
    op.drop_index('ix_review_action_done_due', table_name='review_action')
    op.drop_index('ix_review_action_review', table_name='review_action')
    op.drop_table('review_action')
    op.drop_table('review_cost_check')
    op.drop_table('review_answer')
    op.drop_index('ix_annual_review_status_due', table_name='annual_review')
    op.drop_index('ix_annual_review_contract_sent', table_name='annual_review')
    op.drop_table('annual_review')
    op.drop_table('review_question')
    op.drop_table('review_questionnaire')
