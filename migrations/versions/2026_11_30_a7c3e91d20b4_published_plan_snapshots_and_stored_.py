"""published plan snapshots (publication) and the engine's explanations stored with an allocation

``publication``: every published version of a career day's plan (1, 2, …) with its date and a
snapshot of what the printed sheets show (rounds, offers, rooms, classes, students' display names,
assignments). Days published before this migration have no snapshot row: their print pages build
the same snapshot from the published allocation until the next publication.

``allocation.explanations``: the engine's reasons for each student who got fewer slots than wanted,
computed when the run is saved. Existing allocations have none (the review says so per student).

Revision ID: a7c3e91d20b4
Revises: 23084919607c
Create Date: 2026-11-30 06:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e91d20b4'
down_revision = '23084919607c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('publication',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('career_day_id', sa.Integer(), nullable=False),
    sa.Column('allocation_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.CheckConstraint('version >= 1', name=op.f('ck_publication_version_positive')),
    sa.ForeignKeyConstraint(['allocation_id'], ['allocation.id'], name=op.f('fk_publication_allocation_id_allocation'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['career_day_id'], ['career_day.id'], name=op.f('fk_publication_career_day_id_career_day'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['published_by_id'], ['user_account.id'], name=op.f('fk_publication_published_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publication')),
    sa.UniqueConstraint('career_day_id', 'version', name=op.f('uq_publication_career_day_id_version'))
    )
    with op.batch_alter_table('allocation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('explanations', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('allocation', schema=None) as batch_op:
        batch_op.drop_column('explanations')
    op.drop_table('publication')
