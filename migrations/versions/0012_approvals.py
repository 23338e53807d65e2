"""approvals: requests answered by someone else (funding, the cost of a placement, an off-framework search, a
senior manager's agreement) replace the budget holders' names and dates that officers typed. Each typed approval
becomes an approved request "recorded before approvals in the portal", keeping the name and the date.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 02:00:00

"""
from datetime import datetime, time
from decimal import Decimal

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

WEEKS = 52


def _as_date(value):
    if value is None or hasattr(value, 'year'):
        return value
    return datetime.strptime(str(value)[:10], '%Y-%m-%d').date()


def _as_datetime(value):
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _noon(day):
    # A typed date becomes midday UTC of that day, which is the same day in UK time, summer or winter.
    day = _as_date(day)
    return datetime.combine(day, time(12, 0)) if day is not None else None


def _annual(weekly):
    return None if weekly is None else (Decimal(str(weekly)) * WEEKS).quantize(Decimal('0.01'))


def upgrade():
    approval = op.create_table(
        'approval',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('authority_id', sa.Integer(), nullable=False),
        sa.Column('subject_type', sa.String(length=30), nullable=False),
        sa.Column('subject_id', sa.Integer(), nullable=False),
        sa.Column('basis', sa.String(length=60), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('weekly_cost', sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column('annual_cost', sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column('requested_by_id', sa.Integer(), nullable=True),
        sa.Column('requested_at', sa.DateTime(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('answered_by_id', sa.Integer(), nullable=True),
        sa.Column('answered_role', sa.String(length=40), nullable=True),
        sa.Column('answered_at', sa.DateTime(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('recorded_approver', sa.String(length=120), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['authority_id'], ['organisation.id'],
                                name=op.f('fk_approval_authority_id_organisation')),
        sa.ForeignKeyConstraint(['requested_by_id'], ['user_account.id'],
                                name=op.f('fk_approval_requested_by_id_user_account')),
        sa.ForeignKeyConstraint(['answered_by_id'], ['user_account.id'],
                                name=op.f('fk_approval_answered_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_approval')),
    )
    with op.batch_alter_table('approval') as batch_op:
        batch_op.create_index('ix_approval_subject', ['subject_type', 'subject_id', 'kind'], unique=False)
        batch_op.create_index('ix_approval_authority_status', ['authority_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_approval_answered_by_id'), ['answered_by_id'], unique=False)
    with op.batch_alter_table('placement') as batch_op:
        batch_op.add_column(sa.Column('cost_approval_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('senior_approval_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_placement_cost_approval_id_approval'), 'approval',
                                    ['cost_approval_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_placement_senior_approval_id_approval'), 'approval',
                                    ['senior_approval_id'], ['id'])

    connection = op.get_bind()
    base = {'subject_type': 'referral', 'basis': '', 'summary': '', 'status': 'approved', 'answered_by_id': None,
            'answered_role': None, 'reason': '', 'closed_at': None, 'version': 1}
    rows = []
    referrals = connection.execute(sa.text(
        "SELECT id, authority_id, created_by_id, created_at, indicative_weekly_price, funding_approved_by, "
        "funding_approved_on, off_framework_funding_by, off_framework_funding_on FROM referral "
        "WHERE funding_approved_by IS NOT NULL OR off_framework_funding_by IS NOT NULL")).all()
    for ref in referrals:
        asked = _as_datetime(ref.created_at)
        if ref.funding_approved_by:
            weekly = ref.indicative_weekly_price
            rows.append({**base, 'kind': 'funding', 'authority_id': ref.authority_id, 'subject_id': ref.id,
                         'summary': 'Funding for the referral', 'weekly_cost': weekly, 'annual_cost': _annual(weekly),
                         'requested_by_id': ref.created_by_id, 'requested_at': asked,
                         'answered_at': _noon(ref.funding_approved_on) or asked,
                         'recorded_approver': ref.funding_approved_by})
        if ref.off_framework_funding_by:
            rows.append({**base, 'kind': 'off_framework_search', 'authority_id': ref.authority_id,
                         'subject_id': ref.id, 'summary': 'An off-framework search and its funding',
                         'weekly_cost': None, 'annual_cost': None, 'requested_by_id': ref.created_by_id,
                         'requested_at': asked, 'answered_at': _noon(ref.off_framework_funding_on) or asked,
                         'recorded_approver': ref.off_framework_funding_by})
    if rows:
        op.bulk_insert(approval, rows)

    placements = connection.execute(sa.text(
        "SELECT id, referral_id, authority_id, on_framework, bid_id, off_framework_provider_id, weekly_cost, "
        "budget_holder_name, budget_approved_on, created_by_id, created_at FROM placement")).all()
    for placement in placements:
        basis = (f"bid {placement.bid_id}" if placement.on_framework
                 else f"off-framework provider {placement.off_framework_provider_id}")
        op.bulk_insert(approval, [{
            **base, 'kind': 'placement_cost', 'authority_id': placement.authority_id,
            'subject_id': placement.referral_id, 'basis': basis, 'summary': 'The cost of the placement',
            'weekly_cost': placement.weekly_cost, 'annual_cost': _annual(placement.weekly_cost),
            'requested_by_id': placement.created_by_id, 'requested_at': _as_datetime(placement.created_at),
            'answered_at': _noon(placement.budget_approved_on) or _as_datetime(placement.created_at),
            'recorded_approver': placement.budget_holder_name}])
        connection.execute(sa.text(
            "UPDATE placement SET cost_approval_id = (SELECT MAX(id) FROM approval WHERE kind = 'placement_cost' "
            "AND subject_type = 'referral' AND subject_id = :referral) WHERE id = :id"),
            {'referral': placement.referral_id, 'id': placement.id})

    with op.batch_alter_table('placement') as batch_op:
        batch_op.drop_column('budget_holder_name')
        batch_op.drop_column('budget_approved_on')
    with op.batch_alter_table('referral') as batch_op:
        batch_op.drop_column('funding_approved_by')
        batch_op.drop_column('funding_approved_on')
        batch_op.drop_column('off_framework_funding_by')
        batch_op.drop_column('off_framework_funding_on')


def _name(row):
    return (row.recorded_approver or row.answerer or '')[:120]


def downgrade():
    with op.batch_alter_table('referral') as batch_op:
        batch_op.add_column(sa.Column('funding_approved_by', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('funding_approved_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('off_framework_funding_by', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('off_framework_funding_on', sa.Date(), nullable=True))
    with op.batch_alter_table('placement') as batch_op:
        batch_op.add_column(sa.Column('budget_holder_name', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('budget_approved_on', sa.Date(), nullable=True))
    connection = op.get_bind()
    # The approved requests go back to typed names and dates.
    approved = connection.execute(sa.text(
        "SELECT a.id, a.kind, a.subject_id, a.answered_at, a.recorded_approver, u.name AS answerer "
        "FROM approval a LEFT JOIN user_account u ON u.id = a.answered_by_id "
        "WHERE a.status = 'approved' AND a.subject_type = 'referral' ORDER BY a.id")).all()
    for row in approved:
        day = _as_datetime(row.answered_at).date() if row.answered_at else None
        if row.kind == 'funding':
            connection.execute(sa.text("UPDATE referral SET funding_approved_by = :name, funding_approved_on = :day "
                                       "WHERE id = :id"), {'name': _name(row), 'day': day, 'id': row.subject_id})
        elif row.kind == 'off_framework_search':
            connection.execute(sa.text("UPDATE referral SET off_framework_funding_by = :name, "
                                       "off_framework_funding_on = :day WHERE id = :id"),
                               {'name': _name(row), 'day': day, 'id': row.subject_id})
        elif row.kind == 'placement_cost':
            connection.execute(sa.text("UPDATE placement SET budget_holder_name = :name, budget_approved_on = :day "
                                       "WHERE cost_approval_id = :id"), {'name': _name(row), 'day': day, 'id': row.id})
    connection.execute(sa.text("UPDATE placement SET budget_holder_name = '' WHERE budget_holder_name IS NULL"))
    connection.execute(sa.text("UPDATE placement SET budget_approved_on = CURRENT_DATE WHERE budget_approved_on IS NULL"))
    with op.batch_alter_table('placement') as batch_op:
        batch_op.alter_column('budget_holder_name', existing_type=sa.String(length=120), nullable=False)
        batch_op.alter_column('budget_approved_on', existing_type=sa.Date(), nullable=False)
        batch_op.drop_constraint(batch_op.f('fk_placement_cost_approval_id_approval'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_placement_senior_approval_id_approval'), type_='foreignkey')
        batch_op.drop_column('cost_approval_id')
        batch_op.drop_column('senior_approval_id')
    op.drop_table('approval')
