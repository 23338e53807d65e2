"""local authority areas as data: an organisation's area code (unique among authorities), members leaving a DPS,
extensions of a DPS's term taken up, a referral's preferred areas, and the codes of a bid's, a placement's and an
off-framework provider's areas; typed names are matched to areas where they name one

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 02:00:00

"""
from collections import defaultdict

from alembic import op
import sqlalchemy as sa

from portal import areas


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

MAX_PREFERRED_AREAS = 5


def _match(text):
    area = areas.match_name(text or '')
    return area.code if area else None


def _match_organisations(bind):
    """Authorities are matched by name (then by their typed area) only where the match is one area that no other
    authority also matches; the rest wait for the administrator. Providers are matched by their typed area."""
    organisation = sa.table('organisation', sa.column('id'), sa.column('name'), sa.column('kind'),
                            sa.column('local_authority_area'), sa.column('area_code'))
    rows = bind.execute(sa.select(organisation.c.id, organisation.c.name, organisation.c.kind,
                                  organisation.c.local_authority_area)).all()
    claims = defaultdict(list)
    for row in rows:
        if row.kind == 'authority':
            code = _match(row.name) or _match(row.local_authority_area)
            if code:
                claims[code].append(row.id)
        else:
            code = _match(row.local_authority_area)
            if code:
                bind.execute(organisation.update().where(organisation.c.id == row.id).values(
                    area_code=code, local_authority_area=areas.name_of(code)))
    for code, ids in claims.items():
        if len(ids) == 1:
            bind.execute(organisation.update().where(organisation.c.id == ids[0]).values(area_code=code))


def _match_column(bind, table_name, text_column, code_column):
    table = sa.table(table_name, sa.column('id'), sa.column(text_column), sa.column(code_column))
    for row in bind.execute(sa.select(table.c.id, table.c[text_column])).all():
        code = _match(row[1])
        if code:
            bind.execute(table.update().where(table.c.id == row.id).values(
                {code_column: code, text_column: areas.name_of(code)}))


def _match_preferred_locations(bind):
    """"Tameside, Stockport or Oldham" becomes three areas; what matches no area stays as the note, and a referral
    with no area shows its location as to be confirmed."""
    referral = sa.table('referral', sa.column('id'), sa.column('preferred_location'), sa.column('preferred_areas'))
    for row in bind.execute(sa.select(referral.c.id, referral.c.preferred_location)).all():
        codes, rest = areas.match_list(row.preferred_location or '')
        bind.execute(referral.update().where(referral.c.id == row.id).values(
            preferred_areas=','.join(codes[:MAX_PREFERRED_AREAS]), preferred_location=rest[:100]))


def upgrade():
    bind = op.get_bind()
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('area_code', sa.String(length=9), nullable=True))
    _match_organisations(bind)
    op.create_index('uq_organisation_authority_area', 'organisation', ['area_code'], unique=True,
                    sqlite_where=sa.text("kind = 'authority'"), postgresql_where=sa.text("kind = 'authority'"))

    with op.batch_alter_table('dps_member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('left_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('left_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('left_reason', sa.Text(), nullable=False, server_default=''))
        batch_op.create_foreign_key('fk_dps_member_left_by_id_user_account', 'user_account', ['left_by_id'], ['id'])

    op.create_table(
        'dps_extension',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dps_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('years', sa.Integer(), nullable=False),
        sa.Column('taken_on', sa.Date(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['dps_id'], ['dps.id'], name='fk_dps_extension_dps_id_dps'),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'],
                                name='fk_dps_extension_recorded_by_id_user_account'),
        sa.PrimaryKeyConstraint('id', name='pk_dps_extension'),
        sa.UniqueConstraint('dps_id', 'number', name='uq_dps_extension_dps_id'),
    )
    op.create_index('ix_dps_extension_dps_id', 'dps_extension', ['dps_id'])

    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.add_column(sa.Column('preferred_areas', sa.String(length=60), nullable=False, server_default=''))
    _match_preferred_locations(bind)

    with op.batch_alter_table('bid', schema=None) as batch_op:
        batch_op.add_column(sa.Column('home_area_code', sa.String(length=9), nullable=True))
    _match_column(bind, 'bid', 'home_area', 'home_area_code')
    with op.batch_alter_table('placement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('location_area_code', sa.String(length=9), nullable=True))
    _match_column(bind, 'placement', 'location_area', 'location_area_code')
    with op.batch_alter_table('off_framework_provider', schema=None) as batch_op:
        batch_op.add_column(sa.Column('area_code', sa.String(length=9), nullable=True))
    _match_column(bind, 'off_framework_provider', 'local_authority_area', 'area_code')


def downgrade():
    referral = sa.table('referral', sa.column('id'), sa.column('preferred_location'), sa.column('preferred_areas'))
    bind = op.get_bind()
    for row in bind.execute(sa.select(referral.c.id, referral.c.preferred_location, referral.c.preferred_areas)).all():
        names = [areas.name_of(code) for code in (row.preferred_areas or '').split(',') if code]
        text = ', '.join(names + ([row.preferred_location] if row.preferred_location else []))
        bind.execute(referral.update().where(referral.c.id == row.id).values(preferred_location=text[:100]))
    with op.batch_alter_table('off_framework_provider', schema=None) as batch_op:
        batch_op.drop_column('area_code')
    with op.batch_alter_table('placement', schema=None) as batch_op:
        batch_op.drop_column('location_area_code')
    with op.batch_alter_table('bid', schema=None) as batch_op:
        batch_op.drop_column('home_area_code')
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_column('preferred_areas')
    op.drop_index('ix_dps_extension_dps_id', table_name='dps_extension')
    op.drop_table('dps_extension')
    with op.batch_alter_table('dps_member', schema=None) as batch_op:
        batch_op.drop_constraint('fk_dps_member_left_by_id_user_account', type_='foreignkey')
        batch_op.drop_column('left_reason')
        batch_op.drop_column('left_by_id')
        batch_op.drop_column('left_on')
    op.drop_index('uq_organisation_authority_area', table_name='organisation')
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_column('area_code')
