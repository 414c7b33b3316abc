"""Invitations: single-use, expiring links whose tokens are stored only as hashes."""
import hashlib
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from scheduler_app.domain import accounts, invitations
from scheduler_app.domain.errors import DomainError, NotAllowed
from scheduler_app.domain.invitations import InvitationGone, InvitationUnknown
from scheduler_app.models import AuditEntry, Invitation, Membership, OrganisationKind, OutgoingMail, User
from tests.factories import PASSWORD, agency_of, make_coordinator, make_organisation, make_partner, make_school_contact, make_user

NOW = datetime(2027, 1, 10, 9, 0)
TTL = timedelta(days=14)
BASE_URL = "https://bo.example.org"


def _invite(db_session, email="lehrerin@schule.example", name="Frau Meyer", organisation=None, now=NOW):
    coordinator = make_coordinator()
    school = organisation or make_organisation(OrganisationKind.school)
    make_partner(agency_of(coordinator), school)
    return invitations.invite(coordinator, school, email, name, now, TTL, BASE_URL)


def test_invite_stores_only_the_hash_of_the_token_and_queues_a_mail_with_the_link(db_session):
    invitation, token = _invite(db_session, organisation=make_organisation(OrganisationKind.school, name="Gesamtschule Nord"))

    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in invitation.token_hash
    assert invitation.expires_at == NOW + TTL
    mail = db_session.scalar(select(OutgoingMail))
    assert mail.recipient == "lehrerin@schule.example"
    assert f"{BASE_URL}/auth/invitation/{token}" in mail.body
    assert "Gesamtschule Nord" in mail.body
    assert mail.agency_id == invitation.invited_by.memberships[0].organisation_id  # listed for that agency only
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "invitation.create"))
    assert entry.object_id == invitation.id
    assert token not in str(entry.details)


def test_each_invitation_gets_a_different_unguessable_token(db_session):
    _first, token_a = _invite(db_session, email="a@example.org")
    _second, token_b = _invite(db_session, email="b@example.org")
    assert token_a != token_b
    assert len(token_a) >= 43  # 32 random bytes, base64url


def test_only_coordinators_may_invite(db_session):
    teacher = make_school_contact()
    with pytest.raises(NotAllowed):
        invitations.invite(teacher, teacher.schools[0], "x@example.org", "X", NOW, TTL, BASE_URL)
    assert db_session.scalar(select(func.count(Invitation.id))) == 0


def test_inviting_a_current_contact_again_is_refused_next_to_the_email(db_session):
    coordinator = make_coordinator()
    school = make_organisation(OrganisationKind.school, partner_of=agency_of(coordinator))
    make_school_contact(school, email="da@example.org")
    with pytest.raises(DomainError) as caught:
        invitations.invite(coordinator, school, "DA@example.org", "Schon Da", NOW, TTL, BASE_URL)
    assert caught.value.field == "email"


def test_a_coordinator_of_another_agency_may_neither_invite_to_nor_revoke_for_an_organisation(db_session):
    """Inviting oneself as contact of another agency's school would open its students' personal codes."""
    invitation, _token = _invite(db_session)
    outsider = make_coordinator()
    with pytest.raises(NotAllowed):
        invitations.invite(outsider, invitation.organisation, "ich@andere-agentur.example", "Ich", NOW, TTL, BASE_URL)
    with pytest.raises(NotAllowed):
        invitations.revoke(outsider, invitation, NOW)
    assert invitation.revoked_at is None


def test_a_new_invitation_replaces_the_pending_one_for_the_same_person(db_session):
    school = make_organisation(OrganisationKind.school)
    _old, old_token = _invite(db_session, organisation=school)
    _new, new_token = _invite(db_session, organisation=school, now=NOW + timedelta(hours=1))

    with pytest.raises(InvitationGone):
        invitations.find_open(old_token, NOW + timedelta(hours=2))
    assert invitations.find_open(new_token, NOW + timedelta(hours=2)) is not None


def test_redeem_creates_the_contact_with_a_password_and_uses_up_the_link(db_session):
    invitation, token = _invite(db_session, organisation=make_organisation(OrganisationKind.school, name="Gesamtschule Nord"))

    user = invitations.redeem(token, NOW + timedelta(days=1), password="ein sicheres Passwort")

    assert user.email == "lehrerin@schule.example"
    assert user.name == "Frau Meyer"
    assert [school.name for school in user.schools] == ["Gesamtschule Nord"]
    assert accounts.password_matches(user, "ein sicheres Passwort")
    assert invitation.used_at == NOW + timedelta(days=1)


def test_redeem_without_password_creates_a_contact_who_signs_in_by_link_only(db_session):
    _invitation, token = _invite(db_session)
    user = invitations.redeem(token, NOW)
    assert user.password_hash is None
    assert user.schools


def test_redeem_rejects_a_short_password_and_leaves_the_link_usable(db_session):
    _invitation, token = _invite(db_session)
    db_session.commit()  # the invitation was made in an earlier request
    with pytest.raises(DomainError) as caught:
        invitations.redeem(token, NOW, password="kurz")
    assert caught.value.field == "password"
    db_session.rollback()
    assert invitations.find_open(token, NOW).used_at is None


def test_a_second_redeem_is_refused(db_session):
    _invitation, token = _invite(db_session)
    invitations.redeem(token, NOW)
    with pytest.raises(InvitationGone, match="already been used"):
        invitations.redeem(token, NOW)
    assert db_session.scalar(select(func.count(User.id)).where(User.email == "lehrerin@schule.example")) == 1


def test_an_expired_link_is_refused_with_a_message_to_ask_for_a_new_one(db_session):
    _invitation, token = _invite(db_session)
    with pytest.raises(InvitationGone) as caught:
        invitations.redeem(token, NOW + TTL)
    assert caught.value.message == "This link has expired. Ask your coordinator for a new one."
    assert invitations.find_open(token, NOW + TTL - timedelta(seconds=1)) is not None


def test_a_forged_token_is_unknown(db_session):
    _invite(db_session)
    with pytest.raises(InvitationUnknown):
        invitations.redeem("forged-token-" + "x" * 30, NOW)


def test_find_open_does_not_use_up_the_link(db_session):
    invitation, token = _invite(db_session)
    invitations.find_open(token, NOW)
    invitations.find_open(token, NOW)
    assert invitation.used_at is None


def test_redeem_adds_the_membership_to_an_existing_account_with_that_email(db_session):
    company = make_organisation(OrganisationKind.company)
    existing = make_user(company, email="ausbilder@firma.example", password=None)
    school = make_organisation(OrganisationKind.school)
    _invitation, token = _invite(db_session, email="Ausbilder@Firma.example", organisation=school)

    user = invitations.redeem(token, NOW)

    assert user.id == existing.id
    assert {m.organisation_id for m in db_session.scalars(select(Membership).where(Membership.user_id == user.id))} == {
        company.id, school.id}


def test_an_existing_account_with_a_password_keeps_it_and_is_not_signed_in_by_the_link(db_session):
    existing = make_user(make_organisation(OrganisationKind.company), email="hat@passwort.example")
    _invitation, token = _invite(db_session, email="hat@passwort.example")
    db_session.commit()  # the invitation was made in an earlier request
    invitation = invitations.find_open(token, NOW)
    assert invitations.signs_in_by_link(invitation) is False

    with pytest.raises(DomainError) as caught:
        invitations.redeem(token, NOW, password="ein anderes Passwort")
    assert caught.value.field == "password"
    db_session.rollback()
    invitations.redeem(token, NOW)
    assert accounts.password_matches(existing, PASSWORD)


def test_a_revoked_invitation_cannot_be_redeemed(db_session):
    invitation, token = _invite(db_session)
    invitations.revoke(invitation.invited_by, invitation, NOW)
    with pytest.raises(InvitationGone, match="withdrawn"):
        invitations.redeem(token, NOW)


def test_a_used_invitation_cannot_be_revoked(db_session):
    invitation, token = _invite(db_session)
    invitations.redeem(token, NOW)
    with pytest.raises(DomainError):
        invitations.revoke(make_coordinator(), invitation, NOW)
