"""What delegates and substitutes do through their personal links: answer the date poll for their
organisation, reply to the invitation (accept with the number of attendees, decline, or send a
substitute), and read the minutes.

One answer per member organisation: a delegate's answer is the organisation's, and any delegate of
it may change it until the deadline; the page says who answered last. Whether delegates see other
organisations' names in the tally or only counts is the coordinator's choice per meeting.
A substitute's link opens only the meeting they were sent to; they can accept or decline, but not
pass the invitation on again.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from scheduler_app.domain import audit
from scheduler_app.domain.alliances import clean_email, clean_person_name
from scheduler_app.domain.delegate_links import LinkAccess, LinkUnknown
from scheduler_app.domain.errors import N_, DomainError
from scheduler_app.domain.meetings import (
    MeetingState,
    mail_invitation,
    poll_open,
    sort_key,
    state_of,
)
from scheduler_app.extensions import db
from scheduler_app.models import (
    AllianceMeeting,
    CandidateDate,
    InvitationReply,
    MeetingInvitation,
    PollAnswer,
    PollResponse,
    PollVote,
)

COMMENT_MAX_LENGTH = 1000
MAX_ATTENDEES = 20


def meetings_for(access: LinkAccess) -> list[AllianceMeeting]:
    """The meetings a link opens, latest first: a delegate's, every meeting of the alliance whose
    poll was sent; a substitute's, their one meeting."""
    if access.invitation is not None:
        return [access.invitation.meeting]
    meetings = [meeting for meeting in access.alliance.meetings if meeting.poll_sent_at is not None]
    return sorted(meetings, key=sort_key, reverse=True)


def meeting_for(access: LinkAccess, meeting_id: int) -> AllianceMeeting:
    """The meeting, if the link opens it; otherwise :class:`LinkUnknown` (404, like a wrong link)."""
    meeting = next((m for m in meetings_for(access) if m.id == meeting_id), None)
    if meeting is None:
        raise LinkUnknown(N_("This link is not valid."))
    return meeting


@dataclass
class Tally:
    candidate: CandidateDate
    counts: dict[str, int]
    names: dict[str, list[str]]  # filled only when the coordinator shows names


@dataclass
class PollPage:
    meeting: AllianceMeeting
    open: bool
    answers: dict[int, str]  # candidate id → the organisation's answer
    response: PollResponse | None
    tallies: list[Tally] = field(default_factory=list)
    shows_names: bool = False
    answered: int = 0  # member organisations that answered


def poll_page(access: LinkAccess, meeting: AllianceMeeting, now: datetime) -> PollPage:
    """The poll as the link holder's organisation sees it: its answers, and the tally per date."""
    organisation_id = access.organisation.id
    members = {member.organisation_id for member in meeting.alliance.members}
    response = next((r for r in meeting.responses if r.organisation_id == organisation_id), None)
    page = PollPage(meeting, poll_open(meeting, now), {}, response, shows_names=meeting.poll_shows_names,
                    answered=sum(1 for r in meeting.responses if r.organisation_id in members))
    for candidate in meeting.candidates:
        counts = {answer.value: 0 for answer in PollAnswer}
        names: dict[str, list[str]] = {answer.value: [] for answer in PollAnswer}
        for vote in candidate.votes:
            if vote.organisation_id not in members:
                continue
            counts[vote.answer.value] += 1
            if meeting.poll_shows_names:
                names[vote.answer.value].append(vote.organisation.name)
            if vote.organisation_id == organisation_id:
                page.answers[candidate.id] = vote.answer.value
        page.tallies.append(Tally(candidate, counts, {key: sorted(value, key=str.casefold) for key, value in names.items()}))
    return page


def _upsert(model, index_elements: list[str], values: dict, changing: list[str]) -> None:
    """INSERT … ON CONFLICT DO UPDATE: two delegates of one organisation answering at the same moment
    leave one answer (the later one), never an error."""
    insert = postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(model).values(**values)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=index_elements, set_={name: statement.excluded[name] for name in changing}))


def answer_poll(access: LinkAccess, meeting: AllianceMeeting, answers: dict[int, PollAnswer], comment: str | None,
                now: datetime) -> None:
    """Save the organisation's answer for every candidate date (replacing an earlier one)."""
    if access.delegate is None:
        raise DomainError("Only delegates answer the date poll.")
    if not poll_open(meeting, now):
        raise DomainError("The poll is closed; answers can no longer be changed.")
    candidate_ids = {candidate.id for candidate in meeting.candidates}
    if set(answers) != candidate_ids or not all(isinstance(answer, PollAnswer) for answer in answers.values()):
        raise DomainError("Please answer yes, if need be or no for every date.", field="answers")
    comment = (comment or "").strip() or None
    if comment is not None and len(comment) > COMMENT_MAX_LENGTH:
        raise DomainError("The comment may have at most %(n)d characters.", field="comment", n=COMMENT_MAX_LENGTH)
    organisation_id = access.organisation.id
    for candidate_id, answer in sorted(answers.items()):
        _upsert(PollVote, ["candidate_id", "organisation_id"],
                {"candidate_id": candidate_id, "organisation_id": organisation_id, "answer": answer.value, "updated_at": now},
                ["answer", "updated_at"])
    _upsert(PollResponse, ["meeting_id", "organisation_id"],
            {"meeting_id": meeting.id, "organisation_id": organisation_id, "delegate_id": access.delegate.id,
             "answered_by": access.delegate.name, "comment": comment, "updated_at": now},
            ["delegate_id", "answered_by", "comment", "updated_at"])
    for candidate in meeting.candidates:  # the ORM's view of votes and responses is stale after the upserts
        db.session.expire(candidate, ["votes"])
    db.session.expire(meeting, ["responses"])
    audit.record(None, "meeting.poll_answer", meeting, now, organisation_id=organisation_id, delegate_id=access.delegate.id)


def own_invitation(access: LinkAccess, meeting: AllianceMeeting) -> MeetingInvitation | None:
    if access.invitation is not None:
        return access.invitation
    return db.session.scalar(select(MeetingInvitation).where(MeetingInvitation.meeting_id == meeting.id,
                                                             MeetingInvitation.delegate_id == access.delegate.id))


def _open_invitation(access: LinkAccess, meeting: AllianceMeeting, now: datetime) -> MeetingInvitation:
    invitation = own_invitation(access, meeting)
    if invitation is None:
        raise DomainError("You have no invitation to this meeting. Please ask the coordinator.")
    if state_of(meeting, now) is not MeetingState.date_fixed:
        raise DomainError("The meeting has taken place; replies can no longer be changed.")
    return invitation


def _drop_substitutes(meeting: AllianceMeeting, invitation: MeetingInvitation) -> None:
    """Withdraw the substitutes a delegate sent (their links stop working with their invitations)."""
    for substitute in list(invitation.substitutes):
        meeting.invitations.remove(substitute)
    invitation.substitutes.clear()
    db.session.flush()


def reply(access: LinkAccess, meeting: AllianceMeeting, accept: bool, attendees: int | None, now: datetime) -> MeetingInvitation:
    """Accept (with the number of people coming) or decline. A delegate who had sent a substitute
    takes the invitation back: the substitute's link stops working."""
    invitation = _open_invitation(access, meeting, now)
    if accept and not 1 <= (attendees or 0) <= MAX_ATTENDEES:
        raise DomainError("Please enter between 1 and %(n)d people.", field="attendees", n=MAX_ATTENDEES)
    _drop_substitutes(meeting, invitation)
    invitation.reply = InvitationReply.accepted if accept else InvitationReply.declined
    invitation.attendees = attendees if accept else 0
    invitation.replied_at = now
    db.session.flush()
    audit.record(None, "meeting.reply", invitation, now, reply=invitation.reply.value, attendees=invitation.attendees)
    return invitation


def send_substitute(access: LinkAccess, meeting: AllianceMeeting, name: str | None, email: str | None, now: datetime,
                    base_url: str) -> MeetingInvitation:
    """The delegate cannot come and sends a colleague, who gets their own invitation and link and
    replaces the delegate for this meeting (an earlier substitute's link stops working)."""
    if access.delegate is None:
        raise DomainError("A substitute cannot pass the invitation on. Please ask the delegate who invited you.")
    invitation = _open_invitation(access, meeting, now)
    name, email = clean_person_name(name), clean_email(email)
    if email == invitation.email:
        raise DomainError("Please enter your colleague's e-mail address, not your own.", field="email")
    others = {other.email for other in meeting.invitations if other is not invitation and other.substitute_for_id != invitation.id}
    if email in others:
        raise DomainError("%(email)s is already invited to this meeting.", field="email", email=email)
    _drop_substitutes(meeting, invitation)
    substitute = MeetingInvitation(meeting=meeting, organisation=invitation.organisation, name=name, email=email,
                                   reply=InvitationReply.pending, sent_at=now)
    invitation.substitutes.append(substitute)
    invitation.reply, invitation.attendees, invitation.replied_at = InvitationReply.substituted, 0, now
    db.session.flush()
    mail_invitation(substitute, now, base_url)
    audit.record(None, "meeting.substitute", invitation, now, substitute_id=substitute.id)
    return substitute
