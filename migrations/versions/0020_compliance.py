"""The compliance register: Ofsted inspections per setting, the Ofsted import and its remembered column mapping,
providers' dated evidence, the monthly Ofsted review and enforcement notices

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 08:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def _fk(table, column, target):
    return sa.ForeignKeyConstraint([column], [f'{target}.id'], name=op.f(f'fk_{table}_{column}_{target}'))


def upgrade():
    op.create_table(
        'ofsted_mapping',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('lead_id', sa.Integer(), nullable=False),
        sa.Column('urn_column', sa.String(length=200), nullable=False),
        sa.Column('provider_type_column', sa.String(length=200), nullable=False),
        sa.Column('date_column', sa.String(length=200), nullable=False),
        sa.Column('type_column', sa.String(length=200), nullable=False),
        sa.Column('judgement_column', sa.String(length=200), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        _fk('ofsted_mapping', 'lead_id', 'organisation'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ofsted_mapping')),
        sa.UniqueConstraint('lead_id', name=op.f('uq_ofsted_mapping_lead_id')),
    )
    op.create_table(
        'ofsted_import',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('lead_id', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('stored_name', sa.String(length=64), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
        sa.Column('applied_at', sa.DateTime(), nullable=True),
        sa.Column('applied_by_id', sa.Integer(), nullable=True),
        sa.Column('recorded', sa.Integer(), nullable=False),
        sa.Column('falls', sa.Integer(), nullable=False),
        _fk('ofsted_import', 'lead_id', 'organisation'),
        _fk('ofsted_import', 'uploaded_by_id', 'user_account'),
        _fk('ofsted_import', 'applied_by_id', 'user_account'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ofsted_import')),
    )
    op.create_index('ix_ofsted_import_lead_uploaded', 'ofsted_import', ['lead_id', 'uploaded_at'])
    op.create_table(
        'inspection',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('setting_id', sa.Integer(), nullable=False),
        sa.Column('inspected_on', sa.Date(), nullable=False),
        sa.Column('inspection_type', sa.String(length=120), nullable=False),
        sa.Column('judgement', sa.Integer(), nullable=False),
        sa.Column('previous_judgement', sa.Integer(), nullable=True),
        sa.Column('lead_id', sa.Integer(), nullable=True),
        sa.Column('import_id', sa.Integer(), nullable=True),
        sa.Column('recorded_at', sa.DateTime(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('decision', sa.String(length=10), nullable=True),
        sa.Column('decision_reason', sa.Text(), server_default='', nullable=False),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        _fk('inspection', 'setting_id', 'setting'),
        _fk('inspection', 'lead_id', 'organisation'),
        _fk('inspection', 'import_id', 'ofsted_import'),
        _fk('inspection', 'recorded_by_id', 'user_account'),
        _fk('inspection', 'decided_by_id', 'user_account'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection')),
        sa.UniqueConstraint('setting_id', 'inspected_on', 'inspection_type', name='uq_inspection_setting_date_type'),
    )
    op.create_index('ix_inspection_setting_date', 'inspection', ['setting_id', 'inspected_on'])
    op.create_index('ix_inspection_lead_decision', 'inspection', ['lead_id', 'judgement', 'decided_at'])
    op.create_table(
        'evidence',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('expires_on', sa.Date(), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('stored_name', sa.String(length=64), nullable=False),
        sa.Column('file_type', sa.String(length=10), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decision_reason', sa.Text(), server_default='', nullable=False),
        sa.Column('warned_30_at', sa.DateTime(), nullable=True),
        sa.Column('warned_7_at', sa.DateTime(), nullable=True),
        sa.Column('lapsed_at', sa.DateTime(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        _fk('evidence', 'provider_id', 'organisation'),
        _fk('evidence', 'uploaded_by_id', 'user_account'),
        _fk('evidence', 'decided_by_id', 'user_account'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence')),
    )
    op.create_index('ix_evidence_provider_kind', 'evidence', ['provider_id', 'kind', 'status'])
    op.create_index('ix_evidence_status_expires', 'evidence', ['status', 'expires_on'])
    op.create_table(
        'ofsted_review',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contract_manager_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('reminded_at', sa.DateTime(), nullable=True),
        sa.Column('done_at', sa.DateTime(), nullable=True),
        sa.Column('notes', sa.Text(), server_default='', nullable=False),
        _fk('ofsted_review', 'contract_manager_id', 'user_account'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ofsted_review')),
        sa.UniqueConstraint('contract_manager_id', 'month', name='uq_ofsted_review_manager_month'),
    )
    op.create_table(
        'enforcement_notice',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('setting_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('issued_on', sa.Date(), nullable=False),
        sa.Column('notes', sa.Text(), server_default='', nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('stored_name', sa.String(length=64), nullable=False),
        sa.Column('file_type', sa.String(length=10), nullable=False),
        sa.Column('recorded_at', sa.DateTime(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=False),
        _fk('enforcement_notice', 'setting_id', 'setting'),
        _fk('enforcement_notice', 'recorded_by_id', 'user_account'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_enforcement_notice')),
    )
    op.create_index('ix_enforcement_notice_setting', 'enforcement_notice', ['setting_id', 'issued_on'])


def downgrade():
    op.drop_index('ix_enforcement_notice_setting', table_name='enforcement_notice')
    op.drop_table('enforcement_notice')
    op.drop_table('ofsted_review')
    op.drop_index('ix_evidence_status_expires', table_name='evidence')
    op.drop_index('ix_evidence_provider_kind', table_name='evidence')
    op.drop_table('evidence')
    op.drop_index('ix_inspection_lead_decision', table_name='inspection')
    op.drop_index('ix_inspection_setting_date', table_name='inspection')
    op.drop_table('inspection')
    op.drop_index('ix_ofsted_import_lead_uploaded', table_name='ofsted_import')
    op.drop_table('ofsted_import')
    op.drop_table('ofsted_mapping')
