"""alliance meetings: delegates without accounts, personal links, poll responses, invitations per person, minutes

Delegates no longer need a user account: a delegate is a name, an e-mail address and a function, and
acts through personal links (``delegate_link``: only token hashes are stored). The poll keeps one
response per member organisation (``poll_response``: who answered last, a comment); an invitation is
one person (a delegate or the substitute a delegate sent), with attendance. Meetings gain room,
online link, duration, poll settings, the iCalendar sequence and the minutes; members a *required*
flag; alliances their federal state (for public holidays); organisations the kinds *chamber* and
*training provider*.

Existing data is carried over: delegates take name and e-mail from their user account; poll votes
become one response per organisation (answered by the voter); invitations take name, e-mail and
delegate from their user; meetings with candidate dates count as polled, and those with a chosen
date as fixed. Existing delegates have no link yet: they get one with the next mail.

Downgrade: delegates and invitations are matched to user accounts by e-mail; those without an
account, and substitutes, cannot be represented and are deleted. Chambers and training providers
become companies, substituted replies declined.

Revision ID: ddb1c5a80e02
Revises: 3989bb06b01a
Create Date: 2026-11-30 03:20:42.190957

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ddb1c5a80e02'
down_revision = '3989bb06b01a'
branch_labels = None
depends_on = None

OLD_KINDS = "kind IN ('agency', 'school', 'company')"
NEW_KINDS = "kind IN ('agency', 'school', 'company', 'chamber', 'training_provider')"
OLD_REPLIES = "reply IN ('pending', 'accepted', 'declined')"
NEW_REPLIES = "reply IN ('pending', 'accepted', 'declined', 'substituted')"


def upgrade():
    op.create_table('poll_response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('delegate_id', sa.Integer(), nullable=True),
    sa.Column('answered_by', sa.String(length=200), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['delegate_id'], ['alliance_delegate.id'], name=op.f('fk_poll_response_delegate_id_alliance_delegate'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['meeting_id'], ['alliance_meeting.id'], name=op.f('fk_poll_response_meeting_id_alliance_meeting'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_poll_response_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_poll_response')),
    sa.UniqueConstraint('meeting_id', 'organisation_id', name=op.f('uq_poll_response_meeting_id_organisation_id'))
    )
    op.create_table('delegate_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('delegate_id', sa.Integer(), nullable=True),
    sa.Column('invitation_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('(delegate_id IS NULL) <> (invitation_id IS NULL)', name=op.f('ck_delegate_link_one_holder')),
    sa.ForeignKeyConstraint(['delegate_id'], ['alliance_delegate.id'], name=op.f('fk_delegate_link_delegate_id_alliance_delegate'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invitation_id'], ['meeting_invitation.id'], name=op.f('fk_delegate_link_invitation_id_meeting_invitation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delegate_link')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_delegate_link_token_hash'))
    )
    with op.batch_alter_table('delegate_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delegate_link_delegate_id'), ['delegate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_delegate_link_invitation_id'), ['invitation_id'], unique=False)

    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_organisation_organisation_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_organisation_organisation_kind'), sa.text(NEW_KINDS))

    with op.batch_alter_table('alliance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('federal_state', sa.String(length=2), nullable=True))

    with op.batch_alter_table('alliance_member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('required', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('alliance_meeting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('room', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('online_url', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('duration_minutes', sa.Integer(), server_default='120', nullable=False))
        batch_op.add_column(sa.Column('poll_shows_names', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('auto_decide', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('poll_sent_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('date_fixed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('sequence', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('minutes_text', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('minutes_pdf', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('minutes_filename', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('minutes_added_at', sa.DateTime(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_alliance_meeting_duration_range'), sa.text('duration_minutes BETWEEN 15 AND 720'))
        batch_op.create_check_constraint(op.f('ck_alliance_meeting_sequence_non_negative'), sa.text('sequence >= 0'))
    op.execute("UPDATE alliance_meeting SET poll_sent_at = created_at "
               "WHERE EXISTS (SELECT 1 FROM candidate_date c WHERE c.meeting_id = alliance_meeting.id)")
    op.execute("UPDATE alliance_meeting SET date_fixed_at = updated_at WHERE chosen_candidate_id IS NOT NULL")

    # delegates: name and e-mail from their accounts (user_id is still there for the steps below)
    with op.batch_alter_table('alliance_delegate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('function', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('created_at', sa.DateTime(), nullable=True))
    op.execute("""
        UPDATE alliance_delegate SET
            name = (SELECT u.name FROM user_account u WHERE u.id = alliance_delegate.user_id),
            email = (SELECT lower(u.email) FROM user_account u WHERE u.id = alliance_delegate.user_id),
            created_at = (SELECT u.created_at FROM user_account u WHERE u.id = alliance_delegate.user_id)
    """)
    op.execute(POLL_RESPONSES_FROM_VOTES)

    with op.batch_alter_table('meeting_invitation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delegate_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('substitute_for_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('reminded_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('attended', sa.Boolean(), nullable=True))
    op.execute(INVITATIONS_FROM_USERS)

    with op.batch_alter_table('meeting_invitation', schema=None) as batch_op:
        batch_op.alter_column('name', existing_type=sa.String(length=200), nullable=False)
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_meeting_invitation_meeting_id_organisation_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_meeting_invitation_meeting_id_delegate_id'), ['meeting_id', 'delegate_id'])
        batch_op.drop_constraint(batch_op.f('fk_meeting_invitation_user_id_user_account'), type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_meeting_invitation_substitute_for_id_meeting_invitation'), 'meeting_invitation', ['substitute_for_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key(batch_op.f('fk_meeting_invitation_delegate_id_alliance_delegate'), 'alliance_delegate', ['delegate_id'], ['id'], ondelete='SET NULL')
        batch_op.drop_constraint(op.f('ck_meeting_invitation_invitation_reply'), type_='check')
        batch_op.create_check_constraint(op.f('ck_meeting_invitation_invitation_reply'), sa.text(NEW_REPLIES))
        batch_op.drop_column('user_id')

    with op.batch_alter_table('alliance_delegate', schema=None) as batch_op:
        batch_op.alter_column('name', existing_type=sa.String(length=200), nullable=False)
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=False)
        batch_op.alter_column('created_at', existing_type=sa.DateTime(), nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_alliance_delegate_member_id_user_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_alliance_delegate_member_id_email'), ['member_id', 'email'])
        batch_op.drop_constraint(batch_op.f('fk_alliance_delegate_user_id_user_account'), type_='foreignkey')
        batch_op.drop_column('user_id')

    with op.batch_alter_table('poll_vote', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_poll_vote_voter_id_user_account'), type_='foreignkey')
        batch_op.drop_column('voter_id')


# One response per meeting and organisation, answered by the (last) voter's delegate entry.
POLL_RESPONSES_FROM_VOTES = """
INSERT INTO poll_response (meeting_id, organisation_id, delegate_id, answered_by, updated_at)
SELECT c.meeting_id, v.organisation_id, MAX(d.id), COALESCE(MAX(u.name), MAX(o.name)), MAX(v.updated_at)
  FROM poll_vote v
  JOIN candidate_date c ON c.id = v.candidate_id
  JOIN organisation o ON o.id = v.organisation_id
  JOIN alliance_meeting am ON am.id = c.meeting_id
  LEFT JOIN user_account u ON u.id = v.voter_id
  LEFT JOIN alliance_member m ON m.alliance_id = am.alliance_id AND m.organisation_id = v.organisation_id
  LEFT JOIN alliance_delegate d ON d.member_id = m.id AND d.user_id = v.voter_id
 GROUP BY c.meeting_id, v.organisation_id
"""

INVITATIONS_FROM_USERS = """
UPDATE meeting_invitation SET
    name = COALESCE((SELECT u.name FROM user_account u WHERE u.id = meeting_invitation.user_id),
                    (SELECT o.name FROM organisation o WHERE o.id = meeting_invitation.organisation_id)),
    email = COALESCE((SELECT lower(u.email) FROM user_account u WHERE u.id = meeting_invitation.user_id), ''),
    delegate_id = (SELECT MIN(d.id) FROM alliance_delegate d
                     JOIN alliance_member m ON m.id = d.member_id
                     JOIN alliance_meeting am ON am.alliance_id = m.alliance_id
                    WHERE am.id = meeting_invitation.meeting_id AND m.organisation_id = meeting_invitation.organisation_id
                      AND d.user_id = meeting_invitation.user_id)
"""


def downgrade():
    with op.batch_alter_table('poll_vote', schema=None) as batch_op:
        batch_op.add_column(sa.Column('voter_id', sa.INTEGER(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_poll_vote_voter_id_user_account'), 'user_account', ['voter_id'], ['id'], ondelete='SET NULL')

    # delegates and invitations need an account again: matched by e-mail; the rest cannot be kept
    with op.batch_alter_table('alliance_delegate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('user_id', sa.INTEGER(), nullable=True))
    op.execute("UPDATE alliance_delegate SET user_id = (SELECT u.id FROM user_account u WHERE lower(u.email) = alliance_delegate.email)")
    op.execute("DELETE FROM alliance_delegate WHERE user_id IS NULL")
    op.execute("""
        UPDATE poll_vote SET voter_id = (
            SELECT d.user_id FROM poll_response r JOIN candidate_date c ON c.meeting_id = r.meeting_id
              JOIN alliance_delegate d ON d.id = r.delegate_id
             WHERE c.id = poll_vote.candidate_id AND r.organisation_id = poll_vote.organisation_id)
    """)

    with op.batch_alter_table('meeting_invitation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('user_id', sa.INTEGER(), nullable=True))
    op.execute("DELETE FROM meeting_invitation WHERE substitute_for_id IS NOT NULL")
    op.execute("UPDATE meeting_invitation SET reply = 'declined' WHERE reply = 'substituted'")
    op.execute("UPDATE meeting_invitation SET user_id = (SELECT u.id FROM user_account u WHERE lower(u.email) = meeting_invitation.email)")
    op.execute("""
        DELETE FROM meeting_invitation WHERE id NOT IN (
            SELECT keep FROM (SELECT MIN(i.id) AS keep FROM meeting_invitation i GROUP BY i.meeting_id, i.organisation_id) AS firsts)
    """)
    with op.batch_alter_table('meeting_invitation', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_meeting_invitation_invitation_reply'), type_='check')
        batch_op.create_check_constraint(op.f('ck_meeting_invitation_invitation_reply'), sa.text(OLD_REPLIES))
        batch_op.drop_constraint(batch_op.f('fk_meeting_invitation_delegate_id_alliance_delegate'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_meeting_invitation_substitute_for_id_meeting_invitation'), type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_meeting_invitation_user_id_user_account'), 'user_account', ['user_id'], ['id'], ondelete='SET NULL')
        batch_op.drop_constraint(batch_op.f('uq_meeting_invitation_meeting_id_delegate_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_meeting_invitation_meeting_id_organisation_id'), ['meeting_id', 'organisation_id'])
        batch_op.drop_column('attended')
        batch_op.drop_column('reminded_at')
        batch_op.drop_column('email')
        batch_op.drop_column('name')
        batch_op.drop_column('substitute_for_id')
        batch_op.drop_column('delegate_id')

    with op.batch_alter_table('alliance_delegate', schema=None) as batch_op:
        batch_op.alter_column('user_id', existing_type=sa.INTEGER(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_alliance_delegate_user_id_user_account'), 'user_account', ['user_id'], ['id'], ondelete='CASCADE')
        batch_op.drop_constraint(batch_op.f('uq_alliance_delegate_member_id_email'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_alliance_delegate_member_id_user_id'), ['member_id', 'user_id'])
        batch_op.drop_column('created_at')
        batch_op.drop_column('function')
        batch_op.drop_column('email')
        batch_op.drop_column('name')

    with op.batch_alter_table('alliance_meeting', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_alliance_meeting_sequence_non_negative'), type_='check')
        batch_op.drop_constraint(op.f('ck_alliance_meeting_duration_range'), type_='check')
        batch_op.drop_column('minutes_added_at')
        batch_op.drop_column('minutes_filename')
        batch_op.drop_column('minutes_pdf')
        batch_op.drop_column('minutes_text')
        batch_op.drop_column('sequence')
        batch_op.drop_column('date_fixed_at')
        batch_op.drop_column('poll_sent_at')
        batch_op.drop_column('auto_decide')
        batch_op.drop_column('poll_shows_names')
        batch_op.drop_column('duration_minutes')
        batch_op.drop_column('online_url')
        batch_op.drop_column('room')

    with op.batch_alter_table('alliance_member', schema=None) as batch_op:
        batch_op.drop_column('required')

    with op.batch_alter_table('alliance', schema=None) as batch_op:
        batch_op.drop_column('federal_state')

    op.execute("UPDATE organisation SET kind = 'company' WHERE kind IN ('chamber', 'training_provider')")
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_organisation_organisation_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_organisation_organisation_kind'), sa.text(OLD_KINDS))

    with op.batch_alter_table('delegate_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delegate_link_invitation_id'))
        batch_op.drop_index(batch_op.f('ix_delegate_link_delegate_id'))

    op.drop_table('delegate_link')
    op.drop_table('poll_response')
