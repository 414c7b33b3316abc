"""Invitations: how school and company contacts get in.

A coordinator invites a person to an organisation; the person receives a single-use link that
expires. Only the SHA-256 of the link's token is stored, so a copy of the database holds no working
links. Looking at an invitation (:func:`find_open`) changes nothing, because mail scanners fetch
links before people click them; only :func:`redeem` uses it up.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from scheduler_app.domain import accounts, audit
from scheduler_app.domain.errors import N_, DomainError, NotAllowed
from scheduler_app.domain.mail import queue_mail
from scheduler_app.domain.tokens import hash_token, new_token
from scheduler_app.domain.scope import acting_agency, works_with
from scheduler_app.extensions import db
from scheduler_app.models import Invitation, Membership, Organisation, OrganisationKind, Role, User

NAME_MAX_LENGTH = 200
EMAIL_MAX_LENGTH = 254
INVITABLE_KINDS = (OrganisationKind.school, OrganisationKind.company)
ALREADY_USED = N_("This link has already been used. Please sign in, or ask your coordinator for a new link.")


class InvitationUnknown(DomainError):
    """No invitation has this token (mistyped or forged link)."""


class InvitationGone(DomainError):
    """The invitation existed but can no longer be used (expired, used or revoked)."""


def invitation_link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/auth/invitation/{token}"


def invite(actor: User, organisation: Organisation, email: str, name: str, now: datetime, ttl: timedelta,
           base_url: str) -> tuple[Invitation, str]:
    """Invite a person as contact of a school or company; returns the invitation and the raw token.

    The raw token exists only in the queued e-mail and in the return value (shown once to the
    coordinator). A new invitation for the same person and organisation replaces a pending one.
    """
    if not works_with(actor, organisation):
        raise NotAllowed("Only coordinators of an agency that works with this organisation may invite its contacts.")
    if organisation.kind not in INVITABLE_KINDS:
        raise DomainError("Only schools and companies have invited contacts.")
    email = accounts.normalise_email(email or "")
    name = " ".join((name or "").split())
    if not email:
        raise DomainError("Please enter an e-mail address.", field="email")
    if len(email) > EMAIL_MAX_LENGTH or "@" not in email:
        raise DomainError("Please enter a valid e-mail address.", field="email")
    if not name:
        raise DomainError("Please enter a name.", field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise DomainError("The name may have at most %(n)d characters.", field="name", n=NAME_MAX_LENGTH)
    existing = accounts.find_user_by_email(email)
    if existing is not None and existing.is_contact_of(organisation.id):
        raise DomainError("This person is already a contact of this organisation.", field="email")
    for earlier in db.session.scalars(
        select(Invitation).where(Invitation.organisation_id == organisation.id, Invitation.email == email,
                                 Invitation.used_at.is_(None), Invitation.revoked_at.is_(None))
    ):
        earlier.revoked_at = now

    token = new_token()
    invitation = Invitation(token_hash=hash_token(token), email=email, name=name, organisation=organisation,
                            role=Role.contact, invited_by=actor, created_at=now, expires_at=now + ttl)
    db.session.add(invitation)
    db.session.flush()
    queue_mail(email, "invitation", {"name": name, "inviter": actor.name, "organisation": organisation.name,
                                     "expires_at": invitation.expires_at, "link": invitation_link(base_url, token)},
               now, locale=existing.locale if existing is not None else None,
               agency_id=acting_agency(actor, organisation))
    audit.record(actor, "invitation.create", invitation, now, email=email, organisation_id=organisation.id)
    db.session.flush()
    return invitation, token


def find_open(token: str, now: datetime) -> Invitation:
    """The usable invitation with this token; raises InvitationUnknown or InvitationGone. Changes nothing."""
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == hash_token(token or "")))
    if invitation is None:
        raise InvitationUnknown(N_("This link is not valid. Please check that you copied it completely."))
    if invitation.used_at is not None:
        raise InvitationGone(ALREADY_USED)
    if invitation.revoked_at is not None:
        raise InvitationGone(N_("This link has been withdrawn. Ask your coordinator for a new one."))
    if now >= invitation.expires_at:
        raise InvitationGone(N_("This link has expired. Ask your coordinator for a new one."))
    return invitation


def existing_account(invitation: Invitation) -> User | None:
    return accounts.find_user_by_email(invitation.email)


def signs_in_by_link(invitation: Invitation) -> bool:
    """Whether redeeming signs the person in (and may set a password). Not for an account that already
    has a password: the inviting coordinator has seen the link, and it must not open someone else's
    account; such a person redeems the link and then signs in with their own password."""
    account = existing_account(invitation)
    return account is None or not account.password_hash


def redeem(token: str, now: datetime, password: str | None = None) -> User:
    """Use up the invitation: create the contact's account (or add the membership to the account with
    that e-mail), set the password if one is given, and return the user to sign in.

    A person who already has a password keeps it (see :func:`signs_in_by_link`): setting one here is refused.
    """
    invitation = find_open(token, now)
    user = existing_account(invitation)
    if user is not None and not user.active:
        raise InvitationGone(N_("This account has been deactivated. Please contact your coordinator."))
    if password and user is not None and user.password_hash:
        raise DomainError("You already have a password. Use it to sign in, or change it after signing in.",
                          field="password")
    password_hash = accounts.hash_password(password) if password else None
    # Used up in the database, not in Python: of two simultaneous clicks exactly one gets through.
    claimed = db.session.execute(
        update(Invitation).where(Invitation.id == invitation.id, Invitation.used_at.is_(None)).values(used_at=now)
    ).rowcount
    if claimed != 1:
        raise InvitationGone(ALREADY_USED)
    if user is None:
        user = User(email=invitation.email, name=invitation.name, created_at=now)
        db.session.add(user)
    if password_hash is not None:
        user.password_hash = password_hash
    if not any(m.organisation_id == invitation.organisation_id for m in user.memberships):
        db.session.add(Membership(user=user, organisation=invitation.organisation, role=invitation.role))
    user.last_login_at = now
    db.session.flush()
    audit.record(user, "invitation.redeem", invitation, now, user_id=user.id, password_set=password_hash is not None)
    return user


def revoke(actor: User, invitation: Invitation, now: datetime) -> None:
    """Withdraw a pending invitation; its link then shows "withdrawn". Revoking twice changes nothing."""
    if not works_with(actor, invitation.organisation):
        raise NotAllowed("Only coordinators of an agency that works with this organisation may withdraw invitations.")
    if invitation.used_at is not None:
        raise DomainError("This invitation has already been used and cannot be withdrawn.")
    if invitation.revoked_at is not None:
        return
    invitation.revoked_at = now
    db.session.flush()
    audit.record(actor, "invitation.revoke", invitation, now, email=invitation.email)
