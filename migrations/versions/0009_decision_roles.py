"""decision roles: a budget holder's annual approval limit; each provider's first user becomes its user
administrator and signatory

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 01:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account') as batch_op:
        batch_op.add_column(sa.Column('approval_limit', sa.Numeric(precision=12, scale=2), nullable=True))
    # The earliest active user of each provider manages its colleagues and signs for it.
    op.execute("""
        INSERT INTO user_role (user_id, role)
        SELECT u.id, r.role
        FROM user_account u
        JOIN organisation o ON o.id = u.organisation_id AND o.kind = 'provider'
        CROSS JOIN (SELECT 'user_administrator' AS role UNION ALL SELECT 'signatory') r
        WHERE u.active AND u.id = (
            SELECT MIN(first.id) FROM user_account first
            WHERE first.organisation_id = u.organisation_id AND first.active
        )
        AND NOT EXISTS (SELECT 1 FROM user_role existing WHERE existing.user_id = u.id AND existing.role = r.role)
    """)


def downgrade():
    op.execute("DELETE FROM user_role WHERE role IN ('user_administrator', 'signatory', 'budget_holder', "
               "'head_of_service', 'assistant_director')")
    with op.batch_alter_table('user_account') as batch_op:
        batch_op.drop_column('approval_limit')
