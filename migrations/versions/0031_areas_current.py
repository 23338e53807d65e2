"""areas at the current geography: Barnsley and Sheffield took new codes on 1 April 2025 (a boundary change
between them), so the codes stored for them move on; and a placement made before areas were data has its "in the
authority's own area" and "in the preferred location" worked out again by the areas rule (a district inside a
county, a home in Stockport for "Tameside, Stockport or Oldham") wherever both sides have an area, instead of by the
typed names being spelt alike

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-05 14:00:00

"""
from alembic import op
import sqlalchemy as sa

from portal import areas


revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None

RECODED = {'E08000016': 'E08000038', 'E08000019': 'E08000039'}  # Barnsley, Sheffield
CODE_COLUMNS = (
    ('organisation', 'area_code'), ('bid', 'home_area_code'), ('placement', 'location_area_code'),
    ('off_framework_provider', 'area_code'), ('setting', 'area_code'), ('vacancy', 'area_code'),
    ('sufficiency_notice', 'area_code'),
)


def _recode(bind, codes: dict) -> None:
    for table_name, column_name in CODE_COLUMNS:
        table = sa.table(table_name, sa.column(column_name))
        for old, new in codes.items():
            bind.execute(table.update().where(table.c[column_name] == old).values({column_name: new}))
    referral = sa.table('referral', sa.column('id'), sa.column('preferred_areas'))
    rows = bind.execute(sa.select(referral.c.id, referral.c.preferred_areas)
                        .where(sa.or_(*(referral.c.preferred_areas.contains(old) for old in codes)))).all()
    for row in rows:
        listed = ','.join(codes.get(code, code) for code in row.preferred_areas.split(','))
        bind.execute(referral.update().where(referral.c.id == row.id).values(preferred_areas=listed))


def _place_flags_again(bind) -> None:
    """Each placement whose home has an area: in the authority's own area when the authority's area is known, in
    the preferred location when the referral names preferred areas; otherwise what was recorded stays."""
    placement = sa.table('placement', sa.column('id'), sa.column('referral_id'), sa.column('authority_id'),
                         sa.column('location_area_code'), sa.column('in_home_area'),
                         sa.column('location_was_preferred'))
    referral = sa.table('referral', sa.column('id'), sa.column('preferred_areas'))
    organisation = sa.table('organisation', sa.column('id'), sa.column('area_code'))
    rows = bind.execute(
        sa.select(placement.c.id, placement.c.location_area_code, placement.c.in_home_area,
                  placement.c.location_was_preferred, referral.c.preferred_areas,
                  organisation.c.area_code.label('authority_area'))
        .select_from(placement.outerjoin(referral, referral.c.id == placement.c.referral_id)
                     .join(organisation, organisation.c.id == placement.c.authority_id))
        .where(placement.c.location_area_code.is_not(None)).order_by(placement.c.id)).all()
    for row in rows:
        preferred = [code for code in (row.preferred_areas or '').split(',') if code]
        in_home_area = areas.within(row.location_area_code, row.authority_area) if row.authority_area \
            else row.in_home_area
        was_preferred = areas.within_any(row.location_area_code, preferred) if preferred \
            else row.location_was_preferred
        if (in_home_area, was_preferred) != (row.in_home_area, row.location_was_preferred):
            bind.execute(placement.update().where(placement.c.id == row.id).values(
                in_home_area=in_home_area, location_was_preferred=was_preferred))


def upgrade():
    bind = op.get_bind()
    _recode(bind, RECODED)
    _place_flags_again(bind)


def downgrade():
    # The flags worked out again stay: they follow the areas rule, which is no schema.
    _recode(op.get_bind(), {new: old for old, new in RECODED.items()})
