"""late changes after publication: the pending list, students marked absent, offers withdrawn

After a day's plan is published, a coordinator accepts late changes on purpose (issue 11): each is a
``late_change`` row, pending until a new version is published (then it names that publication).
Students gain ``absent_at`` (marked absent: no programme in later plans) and offers ``withdrawn_at``
(withdrawn by the company: its slots leave later plans); both stay in the published versions.

Downgrade drops the table and the two columns; nothing else changes.

Revision ID: c41a7e5d2f10
Revises: 5e7a1c2b9d40
Create Date: 2026-11-30 09:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c41a7e5d2f10'
down_revision = '5e7a1c2b9d40'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('late_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('career_day_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('publication_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_late_change_actor_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['career_day_id'], ['career_day.id'], name=op.f('fk_late_change_career_day_id_career_day'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['publication_id'], ['publication.id'], name=op.f('fk_late_change_publication_id_publication'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_late_change'))
    )
    with op.batch_alter_table('late_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_late_change_career_day_id'), ['career_day_id'], unique=False)
    with op.batch_alter_table('offer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('student', schema=None) as batch_op:
        batch_op.add_column(sa.Column('absent_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('student', schema=None) as batch_op:
        batch_op.drop_column('absent_at')
    with op.batch_alter_table('offer', schema=None) as batch_op:
        batch_op.drop_column('withdrawn_at')
    with op.batch_alter_table('late_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_late_change_career_day_id'))
    op.drop_table('late_change')
