"""letter snapshots and off-framework evidence

Each lot outcome keeps the tier award as it stood when the outcome was published; each document about an
off-framework provider says which kind of evidence it is.

Revision ID: 0007
Revises: 0003
Create Date: 2026-12-02 01:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lot_outcome', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_award_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_lot_outcome_published_award_id_tier_award'), 'tier_award',
                                    ['published_award_id'], ['id'])
    # Outcomes published before this revision: the first tier award the window's publication made.
    op.execute("""
        UPDATE lot_outcome SET published_award_id = (
            SELECT MIN(tier_award.id) FROM tier_award, application
            WHERE application.id = lot_outcome.application_id
              AND tier_award.lot_id = lot_outcome.lot_id
              AND tier_award.provider_id = application.provider_id
              AND tier_award.window_id = application.window_id)
        WHERE outcome IN ('admitted', 'admitted_with_caution')
    """)

    with op.batch_alter_table('off_framework_document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=30), nullable=False, server_default='other'))


def downgrade():
    with op.batch_alter_table('off_framework_document', schema=None) as batch_op:
        batch_op.drop_column('kind')

    with op.batch_alter_table('lot_outcome', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_lot_outcome_published_award_id_tier_award'), type_='foreignkey')
        batch_op.drop_column('published_award_id')
