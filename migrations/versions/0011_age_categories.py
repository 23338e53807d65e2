"""age categories: a lot is divided into age categories, each with its own tiers; every existing lot becomes one
category spanning its ages with its tiers, and the prices, tier awards, memberships' tiers, referrals and placements
move onto it

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 02:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'age_category',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('lot_id', sa.Integer(), nullable=False),
        sa.Column('age_from', sa.Integer(), nullable=False),
        sa.Column('age_to', sa.Integer(), nullable=False),
        sa.Column('tiers', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_age_category_lot_id_lot')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_age_category')),
        sa.UniqueConstraint('lot_id', 'age_from', name=op.f('uq_age_category_lot_id')),
    )
    with op.batch_alter_table('age_category') as batch_op:
        batch_op.create_index(batch_op.f('ix_age_category_lot_id'), ['lot_id'], unique=False)
    # Every lot becomes one category spanning its ages, with its tiers.
    op.execute("INSERT INTO age_category (lot_id, age_from, age_to, tiers) SELECT id, age_from, age_to, tiers FROM lot")

    op.create_table(
        'category_price',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('application_lot_id', sa.Integer(), nullable=False),
        sa.Column('category_id', sa.Integer(), nullable=False),
        sa.Column('weekly_price', sa.Numeric(precision=10, scale=2), nullable=False),
        sa.ForeignKeyConstraint(['application_lot_id'], ['application_lot.id'],
                                name=op.f('fk_category_price_application_lot_id_application_lot')),
        sa.ForeignKeyConstraint(['category_id'], ['age_category.id'],
                                name=op.f('fk_category_price_category_id_age_category')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_category_price')),
        sa.UniqueConstraint('application_lot_id', 'category_id', name=op.f('uq_category_price_application_lot_id')),
    )
    with op.batch_alter_table('category_price') as batch_op:
        batch_op.create_index(batch_op.f('ix_category_price_category_id'), ['category_id'], unique=False)
    op.execute("""
        INSERT INTO category_price (application_lot_id, category_id, weekly_price)
        SELECT al.id, c.id, al.weekly_price
        FROM application_lot al JOIN age_category c ON c.lot_id = al.lot_id
        WHERE al.weekly_price IS NOT NULL
    """)

    op.create_table(
        'category_membership',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('membership_id', sa.Integer(), nullable=False),
        sa.Column('category_id', sa.Integer(), nullable=False),
        sa.Column('tier', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['membership_id'], ['lot_membership.id'],
                                name=op.f('fk_category_membership_membership_id_lot_membership')),
        sa.ForeignKeyConstraint(['category_id'], ['age_category.id'],
                                name=op.f('fk_category_membership_category_id_age_category')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_category_membership')),
        sa.UniqueConstraint('membership_id', 'category_id', name=op.f('uq_category_membership_membership_id')),
    )
    with op.batch_alter_table('category_membership') as batch_op:
        batch_op.create_index('ix_category_membership_category_tier', ['category_id', 'tier'], unique=False)
    op.execute("""
        INSERT INTO category_membership (membership_id, category_id, tier)
        SELECT m.id, c.id, m.tier FROM lot_membership m JOIN age_category c ON c.lot_id = m.lot_id
    """)

    with op.batch_alter_table('tier_award') as batch_op:
        batch_op.add_column(sa.Column('category_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('published_outcome_id', sa.Integer(), nullable=True))
    op.execute("UPDATE tier_award SET category_id = (SELECT c.id FROM age_category c WHERE c.lot_id = tier_award.lot_id)")
    op.execute("""
        UPDATE tier_award SET published_outcome_id = (
            SELECT MIN(lo.id) FROM lot_outcome lo WHERE lo.published_award_id = tier_award.id)
    """)
    with op.batch_alter_table('tier_award') as batch_op:
        batch_op.alter_column('category_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_tier_award_category_id_age_category'), 'age_category',
                                    ['category_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_tier_award_published_outcome_id_lot_outcome'), 'lot_outcome',
                                    ['published_outcome_id'], ['id'])
        batch_op.create_index('ix_tier_award_category_current', ['category_id', 'current'], unique=False)
        batch_op.create_index(batch_op.f('ix_tier_award_published_outcome_id'), ['published_outcome_id'],
                              unique=False)

    with op.batch_alter_table('lot_outcome') as batch_op:
        batch_op.drop_constraint('fk_lot_outcome_published_award_id_tier_award', type_='foreignkey')
        batch_op.drop_column('published_award_id')
    with op.batch_alter_table('lot_membership') as batch_op:
        batch_op.drop_column('tier')
    with op.batch_alter_table('application_lot') as batch_op:
        batch_op.drop_column('weekly_price')
    with op.batch_alter_table('lot') as batch_op:
        batch_op.drop_column('tiers')

    for table in ('referral', 'placement'):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column('category_id', sa.Integer(), nullable=True))
            batch_op.create_foreign_key(f'fk_{table}_category_id_age_category', 'age_category',
                                        ['category_id'], ['id'])
        op.execute(f"UPDATE {table} SET category_id = (SELECT c.id FROM age_category c "
                   f"WHERE c.lot_id = {table}.lot_id) WHERE lot_id IS NOT NULL")


def downgrade():
    """Back to one age range and one set of tiers per lot: each lot keeps its youngest category's tiers, and each
    price, membership tier and published line its youngest category's."""
    for table in ('placement', 'referral'):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(f'fk_{table}_category_id_age_category', type_='foreignkey')
            batch_op.drop_column('category_id')

    with op.batch_alter_table('lot') as batch_op:
        batch_op.add_column(sa.Column('tiers', sa.Integer(), nullable=True))
    op.execute("""
        UPDATE lot SET tiers = COALESCE((SELECT c.tiers FROM age_category c WHERE c.lot_id = lot.id
                                         ORDER BY c.age_from LIMIT 1), 0)
    """)
    with op.batch_alter_table('lot') as batch_op:
        batch_op.alter_column('tiers', existing_type=sa.Integer(), nullable=False)

    with op.batch_alter_table('application_lot') as batch_op:
        batch_op.add_column(sa.Column('weekly_price', sa.Numeric(precision=10, scale=2), nullable=True))
    op.execute("""
        UPDATE application_lot SET weekly_price = (
            SELECT p.weekly_price FROM category_price p JOIN age_category c ON c.id = p.category_id
            WHERE p.application_lot_id = application_lot.id ORDER BY c.age_from LIMIT 1)
    """)
    with op.batch_alter_table('lot_membership') as batch_op:
        batch_op.add_column(sa.Column('tier', sa.Integer(), nullable=True))
    op.execute("""
        UPDATE lot_membership SET tier = (
            SELECT cm.tier FROM category_membership cm JOIN age_category c ON c.id = cm.category_id
            WHERE cm.membership_id = lot_membership.id ORDER BY c.age_from LIMIT 1)
    """)
    with op.batch_alter_table('lot_outcome') as batch_op:
        batch_op.add_column(sa.Column('published_award_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_lot_outcome_published_award_id_tier_award', 'tier_award',
                                    ['published_award_id'], ['id'])
    op.execute("""
        UPDATE lot_outcome SET published_award_id = (
            SELECT t.id FROM tier_award t JOIN age_category c ON c.id = t.category_id
            WHERE t.published_outcome_id = lot_outcome.id ORDER BY c.age_from LIMIT 1)
    """)
    with op.batch_alter_table('tier_award') as batch_op:
        batch_op.drop_index(batch_op.f('ix_tier_award_published_outcome_id'))
        batch_op.drop_index('ix_tier_award_category_current')
        batch_op.drop_constraint(batch_op.f('fk_tier_award_published_outcome_id_lot_outcome'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_tier_award_category_id_age_category'), type_='foreignkey')
        batch_op.drop_column('published_outcome_id')
        batch_op.drop_column('category_id')

    op.drop_table('category_membership')
    op.drop_table('category_price')
    op.drop_table('age_category')
