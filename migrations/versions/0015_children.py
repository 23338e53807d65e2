"""Children: each authority's private record of a child, keyed by its case number, that referrals link to

Every referral_child row moves onto a child record: one child per authority and case number (the identity of
its latest referral kept), and one child of its own for each row without a case number. referral_child is
dropped; the downgrade copies each referral's child back.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 05:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'child',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('authority_id', sa.Integer(), nullable=False),
        sa.Column('first_names', sa.String(length=120), nullable=False),
        sa.Column('surname', sa.String(length=120), nullable=False),
        sa.Column('known_as', sa.String(length=120), nullable=False),
        sa.Column('date_of_birth', sa.Date(), nullable=True),
        sa.Column('case_number', sa.String(length=40), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['authority_id'], ['organisation.id'], name=op.f('fk_child_authority_id_organisation')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_child')),
        sa.UniqueConstraint('authority_id', 'case_number', name='uq_child_authority_case_number'),
    )
    op.create_index('ix_child_authority_surname', 'child', ['authority_id', 'surname'])
    with op.batch_alter_table('referral') as batch_op:
        batch_op.add_column(sa.Column('child_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_referral_child_id_child'), 'child', ['child_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_referral_child_id'), ['child_id'], unique=False)
    _move_children()
    op.drop_table('referral_child')


def _move_children():
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT rc.referral_id, r.authority_id, rc.first_names, rc.surname, rc.known_as, rc.date_of_birth, "
        "rc.case_number, rc.updated_at, r.created_at FROM referral_child rc JOIN referral r ON r.id = rc.referral_id "
        "ORDER BY rc.updated_at DESC, rc.id DESC")).all()
    child = sa.table('child', *(sa.column(name) for name in (
        'id', 'authority_id', 'first_names', 'surname', 'known_as', 'date_of_birth', 'case_number', 'created_at',
        'updated_at')))
    referral = sa.table('referral', sa.column('id'), sa.column('child_id'))
    children = {}  # (authority, case number) -> child id; the latest row (first here) gives the identity
    for row in rows:
        case_number = (row.case_number or '').strip() or None
        key = (row.authority_id, case_number)
        child_id = children.get(key) if case_number else None
        if child_id is None:
            child_id = bind.execute(child.insert().values(
                authority_id=row.authority_id, first_names=row.first_names, surname=row.surname,
                known_as=row.known_as or '', date_of_birth=row.date_of_birth, case_number=case_number,
                created_at=row.created_at, updated_at=row.updated_at).returning(child.c.id)).scalar_one()
            if case_number:
                children[key] = child_id
        bind.execute(referral.update().where(referral.c.id == row.referral_id).values(child_id=child_id))


def downgrade():
    op.create_table(
        'referral_child',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('referral_id', sa.Integer(), nullable=False),
        sa.Column('first_names', sa.String(length=120), nullable=False),
        sa.Column('surname', sa.String(length=120), nullable=False),
        sa.Column('known_as', sa.String(length=120), nullable=False),
        sa.Column('date_of_birth', sa.Date(), nullable=True),
        sa.Column('case_number', sa.String(length=40), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_referral_child_referral_id_referral')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_child')),
        sa.UniqueConstraint('referral_id', name=op.f('uq_referral_child_referral_id')),
    )
    op.execute(
        "INSERT INTO referral_child (referral_id, first_names, surname, known_as, date_of_birth, case_number, "
        "updated_at) SELECT r.id, c.first_names, c.surname, c.known_as, c.date_of_birth, COALESCE(c.case_number, ''), "
        "c.updated_at FROM referral r JOIN child c ON c.id = r.child_id")
    with op.batch_alter_table('referral') as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_child_id'))
        batch_op.drop_constraint(batch_op.f('fk_referral_child_id_child'), type_='foreignkey')
        batch_op.drop_column('child_id')
    op.drop_index('ix_child_authority_surname', table_name='child')
    op.drop_table('child')
