"""Personal links of delegates and substitutes: how people without an account act in an alliance.

A delegate's link opens every meeting of the alliance for their member organisation; a substitute's
link opens the one meeting they were sent to. Tokens come from :mod:`scheduler_app.domain.tokens`
(256 random bits, only the SHA-256 is stored). Because a hash cannot be turned back into a link,
every mail carries a new link (:func:`issue`); all of a person's links work until the coordinator
withdraws them (:func:`revoke_all`) or removes the delegate. A withdrawn, unknown or malformed link
is simply not found (:class:`LinkUnknown`, answered with 404): the page never says which.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from scheduler_app.domain.errors import N_, DomainError
from scheduler_app.domain.tokens import MAX_TOKEN_LENGTH, hash_token, new_token
from scheduler_app.extensions import db
from scheduler_app.models import Alliance, AllianceDelegate, DelegateLink, MeetingInvitation, Organisation


class LinkUnknown(DomainError):
    """No usable link has this token (mistyped, forged, withdrawn, or its holder was removed)."""


@dataclass(frozen=True)
class LinkAccess:
    """What a link opens: the holder acts for ``organisation`` in ``alliance``; a substitute only in
    the meeting of ``invitation``."""

    link: DelegateLink
    delegate: AllianceDelegate | None
    invitation: MeetingInvitation | None  # set for a substitute's link

    @property
    def alliance(self) -> Alliance:
        return self.delegate.member.alliance if self.delegate else self.invitation.meeting.alliance

    @property
    def organisation(self) -> Organisation:
        return self.delegate.member.organisation if self.delegate else self.invitation.organisation

    @property
    def name(self) -> str:
        return self.delegate.name if self.delegate else self.invitation.name


def link_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/delegate/{token}"


def issue(now: datetime, *, delegate: AllianceDelegate | None = None, invitation: MeetingInvitation | None = None) -> str:
    """A new personal link for a delegate or a substitute's invitation; returns the raw token (flush only)."""
    token = new_token()
    db.session.add(DelegateLink(token_hash=hash_token(token), delegate=delegate, invitation=invitation, created_at=now))
    db.session.flush()
    return token


def revoke_all(delegate: AllianceDelegate, now: datetime) -> int:
    """Withdraw every link of the delegate; returns how many were still working."""
    return db.session.execute(
        update(DelegateLink).where(DelegateLink.delegate_id == delegate.id, DelegateLink.revoked_at.is_(None))
        .values(revoked_at=now)
    ).rowcount


def open_link(token: str) -> LinkAccess:
    """The access a token grants; raises :class:`LinkUnknown`. Changes nothing (mail scanners open links too)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise LinkUnknown(N_("This link is not valid."))
    link = db.session.scalar(select(DelegateLink).where(DelegateLink.token_hash == hash_token(token),
                                                        DelegateLink.revoked_at.is_(None)))
    if link is None:
        raise LinkUnknown(N_("This link is not valid."))
    if link.invitation is not None and link.invitation.substitute_for_id is None:
        raise LinkUnknown(N_("This link is not valid."))  # invitation links are for substitutes only
    return LinkAccess(link, link.delegate, link.invitation)
