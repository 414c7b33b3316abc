"""employer events: publish/cancel, audience, address, places per registration; registrations' links, attendance

Employer events gain what companies publish and the public reads: occupational field, audience
(grades from/to), a typed address and room (when no venue of the agency is used), the most places
per registration, ``published_at`` (NULL: a draft, invisible to the public), ``cancelled_at`` and the
iCalendar sequence. Registrations gain the typed organisation or school, the class a teacher
registered, a comment, the personal link's token hash and generation, attendance and ``updated_at``;
an e-mail address may hold one active registration per event (a partial unique index). Agencies
gain an editable privacy notice, linked from the public registration forms.

Existing events count as published (they were visible before) and keep their data; existing
registrations have no personal link yet (they get one with the next mail).

Downgrade drops the new columns and the index; nothing else changes.

Revision ID: 5e7a1c2b9d40
Revises: a7c3e91d20b4
Create Date: 2026-11-30 06:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# one active registration per address and event; anonymised registrations (address "") are exempt
ACTIVE_WITH_ADDRESS = "status != 'cancelled' AND email != ''"

# revision identifiers, used by Alembic.
revision = '5e7a1c2b9d40'
down_revision = 'a7c3e91d20b4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('employer_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('occupational_field', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('min_grade', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('max_grade', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('address', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('room_name', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('max_places_per_registration', sa.Integer(), server_default='10', nullable=False))
        batch_op.add_column(sa.Column('published_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('calendar_sequence', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint(
            op.f('ck_employer_event_max_places_range'),
            'max_places_per_registration >= 1 AND max_places_per_registration <= 50')
    op.execute("UPDATE employer_event SET published_at = created_at")

    with op.batch_alter_table('event_registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('class_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('comment', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('token_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('link_generation', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('attended', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(), server_default=sa.func.now(), nullable=False))
        batch_op.create_unique_constraint(batch_op.f('uq_event_registration_token_hash'), ['token_hash'])
        batch_op.create_foreign_key(batch_op.f('fk_event_registration_class_id_school_class'), 'school_class', ['class_id'],
                                    ['id'], ondelete='SET NULL')
    op.create_index('uq_event_registration_active_email', 'event_registration', ['event_id', 'email'], unique=True,
                    sqlite_where=sa.text(ACTIVE_WITH_ADDRESS), postgresql_where=sa.text(ACTIVE_WITH_ADDRESS))

    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('privacy_notice', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_column('privacy_notice')

    op.drop_index('uq_event_registration_active_email', table_name='event_registration',
                  sqlite_where=sa.text(ACTIVE_WITH_ADDRESS), postgresql_where=sa.text(ACTIVE_WITH_ADDRESS))
    with op.batch_alter_table('event_registration', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_event_registration_class_id_school_class'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_event_registration_token_hash'), type_='unique')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('attended')
        batch_op.drop_column('link_generation')
        batch_op.drop_column('token_hash')
        batch_op.drop_column('comment')
        batch_op.drop_column('class_id')
        batch_op.drop_column('organisation_name')

    with op.batch_alter_table('employer_event', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_employer_event_max_places_range'), type_='check')
        batch_op.drop_column('calendar_sequence')
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('published_at')
        batch_op.drop_column('max_places_per_registration')
        batch_op.drop_column('room_name')
        batch_op.drop_column('address')
        batch_op.drop_column('max_grade')
        batch_op.drop_column('min_grade')
        batch_op.drop_column('occupational_field')
