"""The escalation ladder: performance issues and their actions, contract reviews, sanctions (notice to improve,
suspension, termination) and appeals

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 08:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def _fk(table, column, target):
    return sa.ForeignKeyConstraint([column], [f'{target}.id'], name=op.f(f'fk_{table}_{column}_{target}'))


def upgrade():
    op.create_table(
        'performance_issue',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contract_id', sa.Integer(), nullable=False),
        sa.Column('authority_id', sa.Integer(), nullable=False),
        sa.Column('placement_id', sa.Integer(), nullable=True),
        sa.Column('severity', sa.String(length=20), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=30), nullable=False),
        sa.Column('raised_by_id', sa.Integer(), nullable=False),
        sa.Column('raised_at', sa.DateTime(), nullable=False),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        _fk('performance_issue', 'contract_id', 'provider_contract'),
        _fk('performance_issue', 'authority_id', 'organisation'),
        _fk('performance_issue', 'placement_id', 'placement'),
        _fk('performance_issue', 'raised_by_id', 'user_account'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_performance_issue')),
    )
    op.create_index('ix_performance_issue_contract', 'performance_issue', ['contract_id', 'raised_at'])
    op.create_table(
        'contract_review',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contract_id', sa.Integer(), nullable=False),
        sa.Column('breach', sa.String(length=40), nullable=False),
        sa.Column('details', sa.Text(), nullable=False),
        sa.Column('source_type', sa.String(length=40), nullable=True),
        sa.Column('source_id', sa.Integer(), nullable=True),
        sa.Column('opened_at', sa.DateTime(), nullable=False),
        sa.Column('opened_by_id', sa.Integer(), nullable=True),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('closed_by_id', sa.Integer(), nullable=True),
        sa.Column('outcome', sa.Text(), server_default='', nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        _fk('contract_review', 'contract_id', 'provider_contract'),
        _fk('contract_review', 'opened_by_id', 'user_account'),
        _fk('contract_review', 'closed_by_id', 'user_account'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_review')),
    )
    op.create_index('ix_contract_review_contract', 'contract_review', ['contract_id', 'closed_at'])
    op.create_index('ix_contract_review_source', 'contract_review', ['source_type', 'source_id'])
    op.create_table(
        'sanction',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contract_id', sa.Integer(), nullable=False),
        sa.Column('review_id', sa.Integer(), nullable=True),
        sa.Column('previous_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('grounds', sa.Text(), nullable=False),
        sa.Column('review_on', sa.Date(), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('proposed_by_id', sa.Integer(), nullable=True),
        sa.Column('proposed_at', sa.DateTime(), nullable=False),
        sa.Column('in_force_at', sa.DateTime(), nullable=True),
        sa.Column('appeal_by', sa.Date(), nullable=True),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.Column('end_reason', sa.Text(), server_default='', nullable=False),
        sa.Column('ended_by_id', sa.Integer(), nullable=True),
        sa.Column('review_notified_on', sa.Date(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        _fk('sanction', 'contract_id', 'provider_contract'),
        _fk('sanction', 'review_id', 'contract_review'),
        _fk('sanction', 'previous_id', 'sanction'),
        _fk('sanction', 'proposed_by_id', 'user_account'),
        _fk('sanction', 'ended_by_id', 'user_account'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sanction')),
    )
    op.create_index('ix_sanction_contract_status', 'sanction', ['contract_id', 'status'])
    op.create_index('ix_sanction_previous', 'sanction', ['previous_id'])
    op.create_table(
        'ladder_action',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('issue_id', sa.Integer(), nullable=True),
        sa.Column('sanction_id', sa.Integer(), nullable=True),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('done_at', sa.DateTime(), nullable=True),
        sa.Column('done_by_id', sa.Integer(), nullable=True),
        sa.Column('done_note', sa.Text(), server_default='', nullable=False),
        sa.Column('escalated_at', sa.DateTime(), nullable=True),
        _fk('ladder_action', 'issue_id', 'performance_issue'),
        _fk('ladder_action', 'sanction_id', 'sanction'),
        _fk('ladder_action', 'done_by_id', 'user_account'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ladder_action')),
    )
    op.create_index('ix_ladder_action_issue', 'ladder_action', ['issue_id'])
    op.create_index('ix_ladder_action_sanction', 'ladder_action', ['sanction_id'])
    op.create_index('ix_ladder_action_open_due', 'ladder_action', ['done_at', 'due_on'])
    op.create_table(
        'sanction_appeal',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sanction_id', sa.Integer(), nullable=False),
        sa.Column('grounds', sa.Text(), nullable=False),
        sa.Column('document_name', sa.String(length=255), nullable=True),
        sa.Column('document_stored_name', sa.String(length=64), nullable=True),
        sa.Column('document_type', sa.String(length=10), nullable=True),
        sa.Column('document_size', sa.Integer(), nullable=True),
        sa.Column('document_sha256', sa.String(length=64), nullable=True),
        sa.Column('submitted_by_id', sa.Integer(), nullable=False),
        sa.Column('submitted_at', sa.DateTime(), nullable=False),
        sa.Column('outcome', sa.String(length=20), nullable=True),
        sa.Column('reduced_to', sa.String(length=20), nullable=True),
        sa.Column('reason', sa.Text(), server_default='', nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        _fk('sanction_appeal', 'sanction_id', 'sanction'),
        _fk('sanction_appeal', 'submitted_by_id', 'user_account'),
        _fk('sanction_appeal', 'decided_by_id', 'user_account'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sanction_appeal')),
        sa.UniqueConstraint('document_stored_name', name=op.f('uq_sanction_appeal_document_stored_name')),
    )
    op.create_index('ix_sanction_appeal_sanction', 'sanction_appeal', ['sanction_id'], unique=True)
    op.create_index('ix_sanction_appeal_decided', 'sanction_appeal', ['decided_at'])


def downgrade():
    op.drop_table('sanction_appeal')
    op.drop_table('ladder_action')
    op.drop_table('sanction')
    op.drop_table('contract_review')
    op.drop_table('performance_issue')
