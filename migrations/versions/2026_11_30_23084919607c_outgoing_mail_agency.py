"""outgoing_mail.agency_id: the agency a mail was written for; only its coordinators see the mail listed on the jobs page

Revision ID: 23084919607c
Revises: 283de060b823
Create Date: 2026-11-30 07:02:05.875712

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '23084919607c'
down_revision = '283de060b823'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agency_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outgoing_mail_agency_id'), ['agency_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outgoing_mail_agency_id_organisation'), 'organisation', ['agency_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outgoing_mail_agency_id_organisation'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outgoing_mail_agency_id'))
        batch_op.drop_column('agency_id')
