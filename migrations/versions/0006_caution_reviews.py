"""caution reviews: evidence a provider sends about its caution, the decision to lift or confirm it, and
placements made with a provider placed with caution

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-02 01:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('caution_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('lead_authority_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('lots', sa.Text(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['provider_id'], ['organisation.id'], name=op.f('fk_caution_review_provider_id_organisation')),
    sa.ForeignKeyConstraint(['lead_authority_id'], ['organisation.id'], name=op.f('fk_caution_review_lead_authority_id_organisation')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_caution_review_decided_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_caution_review'))
    )
    with op.batch_alter_table('caution_review', schema=None) as batch_op:
        batch_op.create_index('ix_caution_review_provider_decided', ['provider_id', 'decided_at'], unique=False)

    op.create_table('caution_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('original_filename', sa.String(length=255), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('file_type', sa.String(length=10), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('sent_by_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['provider_id'], ['organisation.id'], name=op.f('fk_caution_evidence_provider_id_organisation')),
    sa.ForeignKeyConstraint(['sent_by_id'], ['user_account.id'], name=op.f('fk_caution_evidence_sent_by_id_user_account')),
    sa.ForeignKeyConstraint(['review_id'], ['caution_review.id'], name=op.f('fk_caution_evidence_review_id_caution_review')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_caution_evidence')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_caution_evidence_stored_name'))
    )
    with op.batch_alter_table('caution_evidence', schema=None) as batch_op:
        batch_op.create_index('ix_caution_evidence_provider_sent', ['provider_id', 'sent_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_caution_evidence_review_id'), ['review_id'], unique=False)

    with op.batch_alter_table('placement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('placed_with_caution', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('placement', schema=None) as batch_op:
        batch_op.drop_column('placed_with_caution')

    with op.batch_alter_table('caution_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_caution_evidence_review_id'))
        batch_op.drop_index('ix_caution_evidence_provider_sent')
    op.drop_table('caution_evidence')

    with op.batch_alter_table('caution_review', schema=None) as batch_op:
        batch_op.drop_index('ix_caution_review_provider_decided')
    op.drop_table('caution_review')
