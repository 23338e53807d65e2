"""The counts of the main pages and the menu from an index each: a user's unread notifications, an authority's
outstanding QA visits, its placements at settings judged Inadequate

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-05 12:00:00

"""
from alembic import op

revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_notification_user_unread', 'notification', ['user_id', 'read_at'])
    op.create_index('ix_placement_authority_qa', 'placement', ['authority_id', 'qa_visit_at', 'qa_visit_due_at'])
    op.create_index('ix_placement_setting_authority', 'placement', ['setting_id', 'authority_id'])
    op.create_index('ix_inspection_judgement_setting', 'inspection', ['judgement', 'setting_id'])


def downgrade():
    op.drop_index('ix_inspection_judgement_setting', table_name='inspection')
    op.drop_index('ix_placement_setting_authority', table_name='placement')
    op.drop_index('ix_placement_authority_qa', table_name='placement')
    op.drop_index('ix_notification_user_unread', table_name='notification')
