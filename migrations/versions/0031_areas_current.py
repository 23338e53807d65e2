"""areas at the current geography: Barnsley and Sheffield took new codes on 1 April 2025 (a boundary change
between them), so the codes stored for them move on; and every placement whose home has an area has its "in the
authority's own area" and "in the preferred location" worked out again by the areas rule (a district inside a
county, a home in Stockport for "Tameside, Stockport or Oldham") wherever the other side is known too: those made
before areas were data had compared the typed names. The rule and the districts' counties are this migration's own
copy, as they were when it was written.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-05 14:00:00

"""
from alembic import op
import sqlalchemy as sa


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

# Each county's districts (E10… to E07…), copied from portal/data/areas.csv on 5 December 2026: the migration
# reads no file and imports nothing of the portal, so what it does never changes with them.
COUNTY_DISTRICTS = {
    'E10000003': (  # Cambridgeshire
        'E07000008 E07000009 E07000010 E07000011 E07000012'
    ).split(),
    'E10000007': (  # Derbyshire
        'E07000032 E07000033 E07000034 E07000035 E07000036 E07000037 E07000038 E07000039'
    ).split(),
    'E10000008': (  # Devon
        'E07000040 E07000041 E07000042 E07000043 E07000044 E07000045 E07000046 E07000047'
    ).split(),
    'E10000011': (  # East Sussex
        'E07000061 E07000062 E07000063 E07000064 E07000065'
    ).split(),
    'E10000012': (  # Essex
        'E07000066 E07000067 E07000068 E07000069 E07000070 E07000071 E07000072 E07000073 E07000074 E07000075 '
        'E07000076 E07000077'
    ).split(),
    'E10000013': (  # Gloucestershire
        'E07000078 E07000079 E07000080 E07000081 E07000082 E07000083'
    ).split(),
    'E10000014': (  # Hampshire
        'E07000084 E07000085 E07000086 E07000087 E07000088 E07000089 E07000090 E07000091 E07000092 E07000093 '
        'E07000094'
    ).split(),
    'E10000015': (  # Hertfordshire
        'E07000095 E07000096 E07000098 E07000099 E07000102 E07000103 E07000240 E07000241 E07000242 E07000243'
    ).split(),
    'E10000016': (  # Kent
        'E07000105 E07000106 E07000107 E07000108 E07000109 E07000110 E07000111 E07000112 E07000113 E07000114 '
        'E07000115 E07000116'
    ).split(),
    'E10000017': (  # Lancashire
        'E07000117 E07000118 E07000119 E07000120 E07000121 E07000122 E07000123 E07000124 E07000125 E07000126 '
        'E07000127 E07000128'
    ).split(),
    'E10000018': (  # Leicestershire
        'E07000129 E07000130 E07000131 E07000132 E07000133 E07000134 E07000135'
    ).split(),
    'E10000019': (  # Lincolnshire
        'E07000136 E07000137 E07000138 E07000139 E07000140 E07000141 E07000142'
    ).split(),
    'E10000020': (  # Norfolk
        'E07000143 E07000144 E07000145 E07000146 E07000147 E07000148 E07000149'
    ).split(),
    'E10000024': (  # Nottinghamshire
        'E07000170 E07000171 E07000172 E07000173 E07000174 E07000175 E07000176'
    ).split(),
    'E10000025': (  # Oxfordshire
        'E07000177 E07000178 E07000179 E07000180 E07000181'
    ).split(),
    'E10000028': (  # Staffordshire
        'E07000192 E07000193 E07000194 E07000195 E07000196 E07000197 E07000198 E07000199'
    ).split(),
    'E10000029': (  # Suffolk
        'E07000200 E07000202 E07000203 E07000244 E07000245'
    ).split(),
    'E10000030': (  # Surrey
        'E07000207 E07000208 E07000209 E07000210 E07000211 E07000212 E07000213 E07000214 E07000215 E07000216 '
        'E07000217'
    ).split(),
    'E10000031': (  # Warwickshire
        'E07000218 E07000219 E07000220 E07000221 E07000222'
    ).split(),
    'E10000032': (  # West Sussex
        'E07000223 E07000224 E07000225 E07000226 E07000227 E07000228 E07000229'
    ).split(),
    'E10000034': (  # Worcestershire
        'E07000234 E07000235 E07000236 E07000237 E07000238 E07000239'
    ).split(),
}
DISTRICT_COUNTY = {district: county for county, districts in COUNTY_DISTRICTS.items() for district in districts}


def within(area: str, preferred: str | None) -> bool:
    """The areas rule of today: an area lies within another when it is that area or a district of that county."""
    return preferred is not None and (area == preferred or DISTRICT_COUNTY.get(area) == preferred)


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
        in_home_area = within(row.location_area_code, row.authority_area) if row.authority_area \
            else row.in_home_area
        was_preferred = any(within(row.location_area_code, code) for code in preferred) if preferred \
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
