"""The placement's life: its ending, its prices over time, feedback and incidents

Each existing placement gets its first price (the weekly cost agreed at the award, from its start date).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 04:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def _recorded(table):
    return [
        sa.Column('recorded_by_id', sa.Integer(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['placement_id'], ['placement.id'], name=op.f(f'fk_{table}_placement_id_placement')),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'],
                                name=op.f(f'fk_{table}_recorded_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{table}')),
    ]


def upgrade():
    with op.batch_alter_table('placement') as batch_op:
        batch_op.add_column(sa.Column('notice_given_by', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('notice_given_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('end_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('ending_planned', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('ending_reason', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('ending_detail', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('short_notice_breach', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.add_column(sa.Column('next_placement_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('ending_recorded_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('ending_recorded_at', sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_placement_next_placement_id_placement'), 'placement',
                                    ['next_placement_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_placement_ending_recorded_by_id_user_account'), 'user_account',
                                    ['ending_recorded_by_id'], ['id'])
        batch_op.create_index('ix_placement_provider_start', ['provider_id', 'start_date'], unique=False)
        batch_op.create_index('ix_placement_authority_start', ['authority_id', 'start_date'], unique=False)
        batch_op.create_index('ix_placement_end_date', ['end_date'], unique=False)

    op.create_table(
        'placement_price',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('placement_id', sa.Integer(), nullable=False),
        sa.Column('effective_from', sa.Date(), nullable=False),
        sa.Column('weekly_cost', sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('approval_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['approval_id'], ['approval.id'], name=op.f('fk_placement_price_approval_id_approval')),
        *_recorded('placement_price'),
    )
    op.create_index('ix_placement_price_placement_from', 'placement_price', ['placement_id', 'effective_from'])
    op.create_table(
        'placement_feedback',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('placement_id', sa.Integer(), nullable=False),
        sa.Column('given_on', sa.Date(), nullable=False),
        sa.Column('given_by', sa.String(length=20), nullable=False),
        sa.Column('rating', sa.SmallInteger(), nullable=False),
        sa.Column('comment', sa.Text(), nullable=False),
        *_recorded('placement_feedback'),
    )
    op.create_index('ix_placement_feedback_placement_given', 'placement_feedback', ['placement_id', 'given_on'])
    op.create_table(
        'placement_incident',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('placement_id', sa.Integer(), nullable=False),
        sa.Column('occurred_on', sa.Date(), nullable=False),
        sa.Column('category', sa.String(length=20), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('lado_informed', sa.Boolean(), nullable=False),
        sa.Column('police_informed', sa.Boolean(), nullable=False),
        sa.Column('outcome', sa.Text(), nullable=False),
        sa.Column('ended_placement', sa.Boolean(), nullable=False),
        *_recorded('placement_incident'),
    )
    op.create_index('ix_placement_incident_placement_occurred', 'placement_incident', ['placement_id', 'occurred_on'])

    op.execute(
        "INSERT INTO placement_price (placement_id, effective_from, weekly_cost, reason, approval_id, recorded_by_id, "
        "recorded_at) SELECT id, start_date, weekly_cost, 'Agreed at the award', cost_approval_id, created_by_id, "
        "created_at FROM placement")


def downgrade():
    op.drop_index('ix_placement_incident_placement_occurred', table_name='placement_incident')
    op.drop_table('placement_incident')
    op.drop_index('ix_placement_feedback_placement_given', table_name='placement_feedback')
    op.drop_table('placement_feedback')
    op.drop_index('ix_placement_price_placement_from', table_name='placement_price')
    op.drop_table('placement_price')
    with op.batch_alter_table('placement') as batch_op:
        batch_op.drop_index('ix_placement_end_date')
        batch_op.drop_index('ix_placement_authority_start')
        batch_op.drop_index('ix_placement_provider_start')
        batch_op.drop_constraint(batch_op.f('fk_placement_ending_recorded_by_id_user_account'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_placement_next_placement_id_placement'), type_='foreignkey')
        for column in ('ending_recorded_at', 'ending_recorded_by_id', 'next_placement_id', 'short_notice_breach',
                       'ending_detail', 'ending_reason', 'ending_planned', 'end_date', 'notice_given_on',
                       'notice_given_by'):
            batch_op.drop_column(column)
