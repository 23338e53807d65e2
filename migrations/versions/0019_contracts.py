"""Contract management's foundation: providers' settings, the contract of each provider on each DPS with its
contract manager, restrictions (standing per DPS), placement reviews requested by events, and the setting a bid
offers and a placement is at

Existing providers get one setting from their Ofsted URN; each provider admitted to a lot of a DPS gets its
contract there; a provider recorded as suspended or terminated on the register keeps that standing, now per DPS
(a restriction "recorded" or a terminated contract on each DPS it is on), and its register standing returns to
admitted (the register keeps applicant, admitted and place with caution).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 08:10:00

"""
from datetime import datetime

from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

KIND_FOR_SERVICE = {'foster': 'fostering_agency', 'residential': 'childrens_home',
                    'sixteen_plus': 'supported_accommodation'}


def _fk(table, column, target):
    return sa.ForeignKeyConstraint([column], [f'{target}.id'], name=op.f(f'fk_{table}_{column}_{target}'))


def upgrade():
    op.create_table(
        'setting',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('ofsted_urn', sa.String(length=12), nullable=True),
        sa.Column('area_code', sa.String(length=9), nullable=True),
        sa.Column('address', sa.Text(), server_default='', nullable=False),
        sa.Column('description', sa.Text(), server_default='', nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        _fk('setting', 'provider_id', 'organisation'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_setting')),
        sa.UniqueConstraint('ofsted_urn', name=op.f('uq_setting_ofsted_urn')),
    )
    op.create_index('ix_setting_provider_name', 'setting', ['provider_id', 'name'])
    op.create_table(
        'provider_contract',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dps_id', sa.Integer(), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('contract_manager_id', sa.Integer(), nullable=True),
        sa.Column('allocated_at', sa.DateTime(), nullable=True),
        sa.Column('allocated_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('terminated_at', sa.DateTime(), nullable=True),
        sa.Column('termination_reason', sa.Text(), server_default='', nullable=False),
        sa.Column('reinstated_at', sa.DateTime(), nullable=True),
        sa.Column('reinstatement_reason', sa.Text(), server_default='', nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        _fk('provider_contract', 'dps_id', 'dps'),
        _fk('provider_contract', 'provider_id', 'organisation'),
        sa.ForeignKeyConstraint(['contract_manager_id'], ['user_account.id'],
                                name=op.f('fk_provider_contract_contract_manager_id_user_account')),
        sa.ForeignKeyConstraint(['allocated_by_id'], ['user_account.id'],
                                name=op.f('fk_provider_contract_allocated_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_provider_contract')),
        sa.UniqueConstraint('dps_id', 'provider_id', name='uq_provider_contract_dps_provider'),
    )
    op.create_index('ix_provider_contract_manager', 'provider_contract', ['contract_manager_id'])
    op.create_index('ix_provider_contract_provider', 'provider_contract', ['provider_id'])
    op.create_table(
        'restriction',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dps_id', sa.Integer(), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('setting_id', sa.Integer(), nullable=True),
        sa.Column('cause', sa.String(length=30), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('source_type', sa.String(length=40), nullable=True),
        sa.Column('source_id', sa.Integer(), nullable=True),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('started_by_id', sa.Integer(), nullable=True),
        sa.Column('lifted_at', sa.DateTime(), nullable=True),
        sa.Column('lifted_by_id', sa.Integer(), nullable=True),
        sa.Column('lift_reason', sa.Text(), server_default='', nullable=False),
        _fk('restriction', 'dps_id', 'dps'),
        _fk('restriction', 'provider_id', 'organisation'),
        _fk('restriction', 'setting_id', 'setting'),
        sa.ForeignKeyConstraint(['started_by_id'], ['user_account.id'],
                                name=op.f('fk_restriction_started_by_id_user_account')),
        sa.ForeignKeyConstraint(['lifted_by_id'], ['user_account.id'],
                                name=op.f('fk_restriction_lifted_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_restriction')),
    )
    op.create_index('ix_restriction_dps_provider_lifted', 'restriction', ['dps_id', 'provider_id', 'lifted_at'])
    op.create_index('ix_restriction_source', 'restriction', ['source_type', 'source_id'])
    op.create_index('ix_restriction_setting', 'restriction', ['setting_id'])
    op.create_table(
        'review_request',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('placement_id', sa.Integer(), nullable=False),
        sa.Column('raised_on', sa.Date(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('source_type', sa.String(length=40), nullable=True),
        sa.Column('source_id', sa.Integer(), nullable=True),
        sa.Column('raised_at', sa.DateTime(), nullable=False),
        _fk('review_request', 'placement_id', 'placement'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_review_request')),
    )
    op.create_index('ix_review_request_placement', 'review_request', ['placement_id', 'raised_on'])
    with op.batch_alter_table('placement') as batch_op:
        batch_op.add_column(sa.Column('setting_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_placement_setting_id_setting'), 'setting', ['setting_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_placement_setting_id'), ['setting_id'], unique=False)
    with op.batch_alter_table('bid') as batch_op:
        batch_op.add_column(sa.Column('setting_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_bid_setting_id_setting'), 'setting', ['setting_id'], ['id'])
    _carry_over()


def _carry_over():
    """Settings from URNs, contracts from lot places, per-DPS standings from the register's. Earlier placements
    keep no setting: their home was described in the bid."""
    bind = op.get_bind()
    now = datetime.utcnow().replace(microsecond=0)
    services = {}
    for provider_id, service in bind.execute(sa.text(
            "SELECT DISTINCT lm.provider_id, d.service_type FROM lot_membership lm JOIN lot l ON l.id = lm.lot_id "
            "JOIN dps d ON d.id = l.dps_id")):
        services.setdefault(provider_id, service)
    providers = bind.execute(sa.text(
        "SELECT id, name, ofsted_urn, area_code, registered_office, provider_status FROM organisation "
        "WHERE kind = 'provider' ORDER BY id")).all()
    for provider_id, name, urn, area_code, office, _status in providers:
        if urn:
            bind.execute(sa.text(
                "INSERT INTO setting (provider_id, name, kind, ofsted_urn, area_code, address, description, "
                "created_at) VALUES (:provider, :name, :kind, :urn, :area, :address, '', :now)"),
                {"provider": provider_id, "name": name, "urn": urn, "area": area_code, "address": office or "",
                 "kind": KIND_FOR_SERVICE.get(services.get(provider_id), 'other'), "now": now})
    pairs = bind.execute(sa.text(
        "SELECT DISTINCT l.dps_id, lm.provider_id FROM lot_membership lm JOIN lot l ON l.id = lm.lot_id")).all()
    status_of = {row[0]: row[5] for row in providers}
    for dps_id, provider_id in pairs:
        status = status_of.get(provider_id)
        bind.execute(sa.text(
            "INSERT INTO provider_contract (dps_id, provider_id, created_at, terminated_at, termination_reason, "
            "reinstatement_reason, version) VALUES (:dps, :provider, :now, :terminated, :reason, '', 1)"),
            {"dps": dps_id, "provider": provider_id, "now": now,
             "terminated": now if status == 'terminated' else None,
             "reason": "Recorded as terminated on the register before contracts were kept per DPS"
             if status == 'terminated' else ''})
        if status == 'suspended':
            bind.execute(sa.text(
                "INSERT INTO restriction (dps_id, provider_id, cause, reason, started_at, lift_reason) "
                "VALUES (:dps, :provider, 'recorded', :reason, :now, '')"),
                {"dps": dps_id, "provider": provider_id, "now": now,
                 "reason": "Recorded as suspended on the register before restrictions were kept"})
    bind.execute(sa.text("UPDATE organisation SET provider_status = 'admitted' "
                         "WHERE provider_status IN ('suspended', 'terminated')"))


def downgrade():
    with op.batch_alter_table('bid') as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_bid_setting_id_setting'), type_='foreignkey')
        batch_op.drop_column('setting_id')
    with op.batch_alter_table('placement') as batch_op:
        batch_op.drop_index(batch_op.f('ix_placement_setting_id'))
        batch_op.drop_constraint(batch_op.f('fk_placement_setting_id_setting'), type_='foreignkey')
        batch_op.drop_column('setting_id')
    op.drop_index('ix_review_request_placement', table_name='review_request')
    op.drop_table('review_request')
    for name in ('ix_restriction_setting', 'ix_restriction_source', 'ix_restriction_dps_provider_lifted'):
        op.drop_index(name, table_name='restriction')
    op.drop_table('restriction')
    op.drop_index('ix_provider_contract_provider', table_name='provider_contract')
    op.drop_index('ix_provider_contract_manager', table_name='provider_contract')
    op.drop_table('provider_contract')
    op.drop_index('ix_setting_provider_name', table_name='setting')
    op.drop_table('setting')
