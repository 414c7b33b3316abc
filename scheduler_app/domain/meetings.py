"""Alliance meetings for the coordinator: prepare a meeting, poll its date, fix the date by the rule,
invite, remind, record attendance and minutes, and plan the next meeting from the last.

A meeting moves through four states (:func:`state_of`): *draft* (candidate dates are being entered),
*polling* (the poll went to every delegate), *date fixed* (invitations sent) and *held* (the chosen
date has passed). Candidate and event times are Berlin wall-clock times, ``now`` is UTC.

Every mail carries the recipient's personal link (:mod:`scheduler_app.domain.delegate_links`); the
invitation has an ``.ics`` attachment from :mod:`scheduler_app.domain.calendar` whose UID the
calendar feeds share and whose ``SEQUENCE`` rises when the date or the place changes.
"""
from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import holidays
from sqlalchemy import func, or_, select, update

from scheduler_app.domain import audit, date_rule, dates, delegate_links
from scheduler_app.domain.alliances import may_manage
from scheduler_app.domain.calendar import CalendarEntry, build_calendar, uid, uid_domain
from scheduler_app.domain.dashboards import wall_clock
from scheduler_app.domain.errors import N_, DomainError, NotAllowed
from scheduler_app.domain.mail import Attachment, queue_mail
from scheduler_app.extensions import db
from scheduler_app.models import (
    Alliance,
    AllianceDelegate,
    AllianceMeeting,
    CandidateDate,
    CareerDay,
    EmployerEvent,
    InvitationReply,
    MeetingInvitation,
    Programme,
    User,
    Venue,
)

TITLE_MAX_LENGTH = 200
AGENDA_MAX_LENGTH = 5000
ROOM_MAX_LENGTH = 120
URL_MAX_LENGTH = 500
MIN_DURATION, MAX_DURATION = 15, 720
MAX_CANDIDATES = 30
MAX_WEEKS = 12
CANDIDATES_AHEAD = timedelta(days=2 * 365)
MINUTES_TEXT_MAX_LENGTH = 50_000
MINUTES_PDF_MAX_BYTES = 10 * 1024 * 1024
NEXT_MEETING_AFTER = timedelta(weeks=26)
NEXT_MEETING_CANDIDATES = 3
NEXT_POLL_LEAD = timedelta(days=14)  # the next poll closes two weeks before its first candidate date
MAIL_CALENDAR_TYPE = "text/calendar; method=PUBLISH; charset=utf-8"
_PDF_HEADER = re.compile(rb"%PDF-[12]\.\d")


class MeetingState(str, enum.Enum):
    draft = "draft"
    polling = "polling"
    date_fixed = "date_fixed"
    held = "held"


def state_of(meeting: AllianceMeeting, now: datetime) -> MeetingState:
    chosen = meeting.chosen_candidate
    if chosen is not None:
        return MeetingState.held if chosen.ends_at <= wall_clock(now) else MeetingState.date_fixed
    return MeetingState.polling if meeting.poll_sent_at is not None else MeetingState.draft


def poll_open(meeting: AllianceMeeting, now: datetime) -> bool:
    """Delegates may answer (and change their answer) until the deadline, while no date is fixed."""
    return (state_of(meeting, now) is MeetingState.polling
            and (meeting.poll_deadline is None or wall_clock(now) < meeting.poll_deadline))


def has_started(meeting: AllianceMeeting, now: datetime) -> bool:
    """Attendance and minutes are recorded once the chosen date has begun."""
    return meeting.chosen_candidate is not None and meeting.chosen_candidate.starts_at <= wall_clock(now)


def place_of(meeting: AllianceMeeting) -> str:
    """Venue (address), room and online link as one line, for mails and calendar entries."""
    return ", ".join(part for part in (meeting.venue.address if meeting.venue else None, meeting.room, meeting.online_url) if part)


def agenda_items(meeting: AllianceMeeting) -> list[str]:
    return [line.strip() for line in (meeting.agenda or "").splitlines() if line.strip()]


def _check_manages(actor, meeting_or_alliance) -> None:
    alliance = meeting_or_alliance if isinstance(meeting_or_alliance, Alliance) else meeting_or_alliance.alliance
    if not may_manage(actor, alliance):
        raise NotAllowed("Only coordinators of the coordinating agency may manage this alliance.")


def _local_now(now: datetime) -> datetime:
    return wall_clock(now).replace(second=0, microsecond=0)


# --- preparing a meeting -------------------------------------------------------------------------

@dataclass(frozen=True)
class MeetingSettings:
    """What the coordinator enters about a meeting (the same for creating and editing it)."""

    title: str
    agenda: str | None = None
    venue: Venue | None = None
    room: str | None = None
    online_url: str | None = None
    duration_minutes: int = 120
    poll_deadline: datetime | None = None
    poll_shows_names: bool = False
    auto_decide: bool = False


def _clean_settings(alliance: Alliance, settings: MeetingSettings) -> MeetingSettings:
    title = " ".join((settings.title or "").split())
    if not title:
        raise DomainError("Please enter a title.", field="title")
    if len(title) > TITLE_MAX_LENGTH:
        raise DomainError("The title may have at most %(n)d characters.", field="title", n=TITLE_MAX_LENGTH)
    agenda = (settings.agenda or "").strip() or None
    if agenda is not None and len(agenda) > AGENDA_MAX_LENGTH:
        raise DomainError("The agenda may have at most %(n)d characters.", field="agenda", n=AGENDA_MAX_LENGTH)
    room = " ".join((settings.room or "").split()) or None
    if room is not None and len(room) > ROOM_MAX_LENGTH:
        raise DomainError("The room may have at most %(n)d characters.", field="room", n=ROOM_MAX_LENGTH)
    online_url = (settings.online_url or "").strip() or None
    if online_url is not None and (len(online_url) > URL_MAX_LENGTH or not re.fullmatch(r"https?://[^\s/]+\S*", online_url)):
        raise DomainError("Please enter the online link as a web address starting with https://.", field="online_url")
    if settings.venue is not None and settings.venue.agency_id != alliance.coordinating_agency_id:
        raise DomainError("Please choose one of your agency's venues.", field="venue")
    if not MIN_DURATION <= (settings.duration_minutes or 0) <= MAX_DURATION:
        raise DomainError("The duration must be between %(low)d and %(high)d minutes.", field="duration_minutes",
                          low=MIN_DURATION, high=MAX_DURATION)
    return MeetingSettings(title, agenda, settings.venue, room, online_url, settings.duration_minutes,
                           settings.poll_deadline, bool(settings.poll_shows_names), bool(settings.auto_decide))


def _check_deadline(deadline: datetime | None, candidates: list[CandidateDate], now: datetime, field_name: str) -> None:
    if deadline is None:
        return
    if deadline <= _local_now(now):
        raise DomainError("The poll deadline must lie in the future.", field=field_name)
    starts = [candidate.starts_at for candidate in candidates]
    if starts and deadline >= min(starts):
        raise DomainError("The poll deadline must lie before the first candidate date (%(date)s).", field=field_name,
                          date=dates.wallclock(min(starts)))


def create_meeting(actor: User, alliance: Alliance, settings: MeetingSettings, now: datetime,
                   programme: Programme | None = None) -> AllianceMeeting:
    """A new meeting in the draft state: next, candidate dates are added and the poll is sent."""
    _check_manages(actor, alliance)
    settings = _clean_settings(alliance, settings)
    _check_deadline(settings.poll_deadline, [], now, "poll_deadline")
    if programme is not None and programme.agency_id != alliance.coordinating_agency_id:
        raise NotAllowed("Only programmes of the coordinating agency may hold its meetings.")
    meeting = AllianceMeeting(alliance=alliance, programme=programme, created_at=now, updated_at=now, **vars(settings))
    db.session.add(meeting)
    db.session.flush()
    audit.record(actor, "meeting.create", meeting, now, title=meeting.title)
    return meeting


def update_meeting(actor: User, meeting: AllianceMeeting, settings: MeetingSettings, now: datetime, base_url: str) -> int:
    """Change a meeting's settings. After the date is fixed, a new place is sent to everyone invited
    (a calendar update with a higher sequence); returns the number of mails."""
    _check_manages(actor, meeting)
    state = state_of(meeting, now)
    if state is MeetingState.held:
        raise DomainError("The meeting has taken place; its settings can no longer be changed.", field="title")
    settings = _clean_settings(meeting.alliance, settings)
    if state in (MeetingState.draft, MeetingState.polling) and settings.poll_deadline != meeting.poll_deadline:
        _check_deadline(settings.poll_deadline, meeting.candidates, now, "poll_deadline")
    place_before = (meeting.venue_id, meeting.room, meeting.online_url)
    place_after = (settings.venue.id if settings.venue else None, settings.room, settings.online_url)
    for name, value in vars(settings).items():
        setattr(meeting, name, value)
    moved = state is MeetingState.date_fixed and place_before != place_after
    sent = 0
    if moved:
        meeting.sequence += 1
        meeting.updated_at = now
        sent = _send_invitations(meeting, [i for i in meeting.invitations if _still_invited(i)], now, base_url, changed=True)
    db.session.flush()
    audit.record(actor, "meeting.update", meeting, now, place_changed=moved)
    return sent


@dataclass(frozen=True)
class CandidateSeries:
    """One date, or the same weekday and time for ``weeks`` weeks ("every Tuesday 14:00–16:00 for 6 weeks").
    Without ``ends`` a date lasts the meeting's duration."""

    first_day: date
    starts: time
    ends: time | None = None
    weeks: int = 1


def add_candidates(actor: User, meeting: AllianceMeeting, series: CandidateSeries, now: datetime) -> list[CandidateDate]:
    """Add candidate dates; refuses the whole series if any date lies in the past, overlaps another
    candidate or the poll deadline, or there would be too many."""
    _check_manages(actor, meeting)
    if state_of(meeting, now) not in (MeetingState.draft, MeetingState.polling):
        raise DomainError("The date is fixed; candidate dates can no longer be changed.", field="first_day")
    if not 1 <= series.weeks <= MAX_WEEKS:
        raise DomainError("Please choose between 1 and %(n)d weeks.", field="weeks", n=MAX_WEEKS)
    if series.ends is not None and series.ends <= series.starts:
        raise DomainError("The end must lie after the start.", field="ends")
    if series.first_day > _local_now(now).date() + CANDIDATES_AHEAD:
        raise DomainError("Candidate dates may lie at most two years ahead.", field="first_day")
    new = []
    for week in range(series.weeks):
        starts = datetime.combine(series.first_day + timedelta(weeks=week), series.starts)
        ends = (datetime.combine(starts.date(), series.ends) if series.ends is not None
                else starts + timedelta(minutes=meeting.duration_minutes))
        new.append((starts, ends))
    if new[0][0] <= _local_now(now):
        raise DomainError("Candidate dates must lie in the future.", field="first_day")
    if len(meeting.candidates) + len(new) > MAX_CANDIDATES:
        raise DomainError("A poll may have at most %(n)d candidate dates.", field="first_day", n=MAX_CANDIDATES)
    for starts, ends in new:
        for other in meeting.candidates:
            if starts < other.ends_at and other.starts_at < ends:
                raise DomainError("%(new)s overlaps the candidate date %(other)s.", field="first_day",
                                  new=dates.wallclock(starts), other=dates.wallclock(other.starts_at))
    if meeting.poll_deadline is not None and new[0][0] <= meeting.poll_deadline:
        raise DomainError("The poll deadline (%(deadline)s) must lie before every candidate date.", field="first_day",
                          deadline=dates.wallclock(meeting.poll_deadline))
    candidates = [CandidateDate(starts_at=starts, ends_at=ends) for starts, ends in new]
    meeting.candidates.extend(candidates)
    db.session.flush()
    audit.record(actor, "meeting.candidates_add", meeting, now, dates=[c.starts_at.isoformat() for c in candidates])
    return candidates


def remove_candidate(actor: User, candidate: CandidateDate, now: datetime) -> None:
    """Remove a candidate date (and the answers given for it) while the date is not fixed."""
    meeting = candidate.meeting
    _check_manages(actor, meeting)
    if state_of(meeting, now) not in (MeetingState.draft, MeetingState.polling):
        raise DomainError("The date is fixed; candidate dates can no longer be changed.")
    audit.record(actor, "meeting.candidate_remove", meeting, now, date=candidate.starts_at.isoformat())
    meeting.candidates.remove(candidate)
    db.session.flush()


# --- warnings: public holidays and the agency's other events ------------------------------------------

@dataclass(frozen=True)
class CandidateWarning:
    message: str  # an English msgid; the view translates it with ``params``
    params: dict


@dataclass
class CandidateCheck:
    holiday: str | None = None
    clashes: list[CandidateWarning] = field(default_factory=list)

    @property
    def clash(self) -> bool:
        return bool(self.clashes)

    @property
    def warnings(self) -> list[CandidateWarning]:
        holiday = [CandidateWarning(N_("Public holiday: %(name)s"), {"name": self.holiday})] if self.holiday else []
        return holiday + self.clashes


def public_holidays(federal_state: str | None, years) -> holidays.HolidayBase:
    """Germany's public holidays for the years (nationwide ones only when no federal state is set)."""
    return holidays.country_holidays("DE", subdiv=federal_state or None, years=sorted(set(years)), language="de")


@dataclass(frozen=True)
class _Event:
    starts_at: datetime
    ends_at: datetime
    name: str
    message: str
    venue_id: int | None


def _ours_or_here(agency_clause, venue_column, venue_id: int | None):
    """The agency's own events, and any event at the meeting's venue."""
    return or_(agency_clause, venue_column == venue_id) if venue_id else agency_clause


def _agency_events(meeting: AllianceMeeting, first: date, last: date) -> list[_Event]:
    """The agency's career days, employer events and other meetings with a fixed date between the
    two days, and any of them at the meeting's venue."""
    agency_id = meeting.alliance.coordinating_agency_id
    since, until = datetime.combine(first, time.min), datetime.combine(last + timedelta(days=1), time.min)
    venue_id = meeting.venue_id
    events = []
    for day in db.session.scalars(
        select(CareerDay).join(Programme, Programme.id == CareerDay.programme_id)
        .where(CareerDay.date.between(first, last), _ours_or_here(Programme.agency_id == agency_id, CareerDay.venue_id, venue_id))
    ):
        events.append(_Event(datetime.combine(day.date, time.min), datetime.combine(day.date, time.max), day.name,
                             N_("Same day as the career day “%(name)s”."), day.venue_id))
    for event in db.session.scalars(
        select(EmployerEvent).outerjoin(Programme, Programme.id == EmployerEvent.programme_id)
        .where(EmployerEvent.starts_at < until, EmployerEvent.ends_at >= since,
               _ours_or_here(Programme.agency_id == agency_id, EmployerEvent.venue_id, venue_id))
    ):
        events.append(_Event(event.starts_at, event.ends_at, event.title, N_("Same day as the employer event “%(name)s”."),
                             event.venue_id))
    for other, starts, ends in db.session.execute(
        select(AllianceMeeting, CandidateDate.starts_at, CandidateDate.ends_at)
        .join(CandidateDate, CandidateDate.id == AllianceMeeting.chosen_candidate_id)
        .join(Alliance, Alliance.id == AllianceMeeting.alliance_id)
        .where(AllianceMeeting.id != meeting.id, CandidateDate.starts_at < until, CandidateDate.ends_at >= since,
               _ours_or_here(Alliance.coordinating_agency_id == agency_id, AllianceMeeting.venue_id, venue_id))
    ):
        events.append(_Event(starts, ends, other.title, N_("Same day as the meeting “%(name)s”."), other.venue_id))
    return events


def check_candidates(meeting: AllianceMeeting) -> dict[int, CandidateCheck]:
    """Per candidate id: the public holiday in the alliance's federal state, and clashes with the
    agency's other events on the same day (and whether they are at the same venue)."""
    if not meeting.candidates:
        return {}
    days = [candidate.starts_at.date() for candidate in meeting.candidates]
    holiday_names = public_holidays(meeting.alliance.federal_state, [day.year for day in days])
    events = _agency_events(meeting, min(days), max(days))
    checks = {}
    for candidate in meeting.candidates:
        check = CandidateCheck(holiday=holiday_names.get(candidate.starts_at.date()))
        for event in sorted(events, key=lambda e: (e.starts_at, e.name)):
            if event.starts_at.date() <= candidate.starts_at.date() <= event.ends_at.date():
                check.clashes.append(CandidateWarning(event.message, {"name": event.name}))
                if meeting.venue_id and event.venue_id == meeting.venue_id:
                    check.clashes.append(CandidateWarning(N_("“%(name)s” takes place at the same venue."), {"name": event.name}))
        checks[candidate.id] = check
    return checks


# --- the poll and the date --------------------------------------------------------------------------

def ranking(meeting: AllianceMeeting, checks: dict[int, CandidateCheck] | None = None) -> date_rule.Ranking:
    """The candidate dates ranked by the rule (:mod:`scheduler_app.domain.date_rule`) with their figures."""
    checks = check_candidates(meeting) if checks is None else checks
    members = meeting.alliance.members
    required = {member.organisation_id: member.organisation.name for member in members if member.required}
    options = [date_rule.DateOption(candidate.id, candidate.starts_at,
                                    {vote.organisation_id: vote.answer.value for vote in candidate.votes},
                                    checks[candidate.id].clash if candidate.id in checks else False)
               for candidate in meeting.candidates]
    return date_rule.rank_dates(options, [member.organisation_id for member in members], required)


def delegates_of(alliance: Alliance) -> list[AllianceDelegate]:
    return [delegate for member in alliance.members for delegate in member.delegates]


def _mail_context(meeting: AllianceMeeting, name: str, link: str, **extra) -> dict:
    chosen = meeting.chosen_candidate
    return {"name": name, "link": link, "title": meeting.title, "alliance": meeting.alliance.name,
            "deadline": meeting.poll_deadline, "candidates": [(c.starts_at, c.ends_at) for c in meeting.candidates],
            "starts_at": chosen.starts_at if chosen else None, "ends_at": chosen.ends_at if chosen else None,
            "place": place_of(meeting), "agenda": agenda_items(meeting), **extra}


def send_poll_to(meeting: AllianceMeeting, delegate: AllianceDelegate, now: datetime, base_url: str, *,
                 reminder: bool = False) -> None:
    """The poll mail with a new personal link (``reminder``: the job process's reminder before the deadline)."""
    link = delegate_links.link_url(base_url, delegate_links.issue(now, delegate=delegate))
    queue_mail(delegate.email, "meeting_poll", _mail_context(meeting, delegate.name, link, reminder=reminder,
                                                             organisation=delegate.member.organisation.name), now,
               agency_id=meeting.alliance.coordinating_agency_id)


def send_poll(actor: User, meeting: AllianceMeeting, now: datetime, base_url: str) -> int:
    """Open the poll: every delegate receives a mail with their personal link. Returns the number of mails."""
    _check_manages(actor, meeting)
    if state_of(meeting, now) is not MeetingState.draft:
        raise DomainError("The poll has been sent already.")
    if not meeting.candidates:
        raise DomainError("Please add at least one candidate date before sending the poll.")
    if meeting.poll_deadline is None:
        raise DomainError("Please set a poll deadline before sending the poll.")
    _check_deadline(meeting.poll_deadline, meeting.candidates, now, "poll_deadline")
    if min(candidate.starts_at for candidate in meeting.candidates) <= _local_now(now):
        raise DomainError("Please remove the candidate dates that have passed.")
    delegates = delegates_of(meeting.alliance)
    if not delegates:
        raise DomainError("The alliance has no delegates yet. Please add members and their delegates first.")
    for delegate in delegates:
        send_poll_to(meeting, delegate, now, base_url)
    meeting.poll_sent_at = now
    db.session.flush()
    audit.record(actor, "meeting.poll_send", meeting, now, mails=len(delegates))
    return len(delegates)


def calendar_entry(meeting: AllianceMeeting, domain: str, *, note: str | None = None, url: str | None = None,
                   changed_at: datetime | None = None) -> CalendarEntry:
    """The meeting (its date fixed) as a calendar entry, the same in mail attachments and feeds: the
    agenda as description (``note`` after it, e.g. the delegate's reply), the place, the UID from its
    key and the sequence that rises when the date or place changes."""
    chosen = meeting.chosen_candidate
    stamps = [meeting.updated_at, meeting.venue.updated_at if meeting.venue is not None else None, changed_at]
    return CalendarEntry(
        uid=uid("alliance-meeting", meeting.id, domain=domain),
        summary=f"{meeting.title} ({meeting.alliance.name})", starts_at=chosen.starts_at, ends_at=chosen.ends_at,
        last_modified=max(stamp for stamp in stamps if stamp is not None), sequence=meeting.sequence,
        location=place_of(meeting) or None,
        description="\n".join([*agenda_items(meeting), *([note] if note else [])]) or None, url=url,
    )


def calendar_attachment(meeting: AllianceMeeting, base_url: str) -> Attachment:
    """The meeting as an iCalendar entry (``METHOD:PUBLISH``) with the UID the calendar feeds use."""
    body = build_calendar([calendar_entry(meeting, uid_domain(base_url))], name=meeting.alliance.name,
                          method="PUBLISH").decode("utf-8")
    return Attachment(f"alliance-meeting-{meeting.id}.ics", MAIL_CALENDAR_TYPE, body)


def mail_invitation(invitation: MeetingInvitation, now: datetime, base_url: str, *, changed: bool = False,
                     template: str = "meeting_invitation") -> None:
    """Mail an invitation (or a reminder) with a new personal link and the calendar entry."""
    meeting = invitation.meeting
    if invitation.delegate is not None:
        token = delegate_links.issue(now, delegate=invitation.delegate)
    else:
        token = delegate_links.issue(now, invitation=invitation)
    substitute_for = invitation.substitute_for.name if invitation.substitute_for is not None else None
    context = _mail_context(meeting, invitation.name, delegate_links.link_url(base_url, token), changed=changed,
                            organisation=invitation.organisation.name, substitute_for=substitute_for)
    queue_mail(invitation.email, template, context, now, attachments=[calendar_attachment(meeting, base_url)],
               agency_id=meeting.alliance.coordinating_agency_id)


def _send_invitations(meeting: AllianceMeeting, invitations: list[MeetingInvitation], now: datetime, base_url: str,
                      changed: bool = False) -> int:
    for invitation in invitations:
        mail_invitation(invitation, now, base_url, changed=changed)
        invitation.sent_at = now
    return len(invitations)


def _still_invited(invitation: MeetingInvitation) -> bool:
    """Everyone who may still come: not those who declined, nor delegates who sent a substitute."""
    return invitation.reply not in (InvitationReply.declined, InvitationReply.substituted)


def _invite(meeting: AllianceMeeting, delegate: AllianceDelegate, now: datetime) -> MeetingInvitation:
    invitation = MeetingInvitation(organisation=delegate.member.organisation, delegate=delegate, name=delegate.name,
                                   email=delegate.email, reply=InvitationReply.pending, sent_at=now)
    meeting.invitations.append(invitation)
    return invitation


def fix_date(actor: User | None, meeting: AllianceMeeting, candidate: CandidateDate, now: datetime, base_url: str) -> int:
    """Fix the meeting's date (the rule's first date or another) and invite every delegate; ``actor``
    None is the job process. Fixing another date later moves the meeting: everyone invited gets the
    new date (a calendar update) and replies start again. Returns the number of mails."""
    if actor is not None:
        _check_manages(actor, meeting)
    if candidate.meeting_id != meeting.id:
        raise DomainError("This date is not a candidate of this meeting.")
    state = state_of(meeting, now)
    if state is MeetingState.draft:
        raise DomainError("Please send the poll first.")
    if state is MeetingState.held:
        raise DomainError("The meeting has taken place; its date can no longer be changed.")
    if candidate.starts_at <= _local_now(now):
        raise DomainError("This date has passed. Please choose another one.")
    if state is MeetingState.polling:
        # claimed in the database: a coordinator's click and the job at the deadline never both fix a date
        claimed = db.session.execute(
            update(AllianceMeeting).where(AllianceMeeting.id == meeting.id, AllianceMeeting.chosen_candidate_id.is_(None))
            .values(chosen_candidate_id=candidate.id, date_fixed_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            raise DomainError("The date has just been fixed by someone else. Please reload the page.")
        db.session.refresh(meeting)
        invitations = [_invite(meeting, delegate, now) for delegate in delegates_of(meeting.alliance)]
        db.session.flush()
        sent = _send_invitations(meeting, invitations, now, base_url)
        audit.record(actor, "meeting.date_fix", meeting, now, candidate=candidate.id, mails=sent)
        db.session.flush()
        return sent
    if meeting.chosen_candidate_id == candidate.id:
        return 0
    meeting.chosen_candidate = candidate
    meeting.date_fixed_at = meeting.updated_at = now
    meeting.sequence += 1
    for invitation in meeting.invitations:
        if invitation.reply is not InvitationReply.substituted:
            invitation.reply, invitation.replied_at, invitation.attendees = InvitationReply.pending, None, 1
    sent = _send_invitations(meeting, [i for i in meeting.invitations if i.reply is not InvitationReply.substituted],
                             now, base_url, changed=True)
    audit.record(actor, "meeting.date_change", meeting, now, candidate=candidate.id, mails=sent)
    db.session.flush()
    return sent


def welcome_delegate(delegate: AllianceDelegate, now: datetime, base_url: str) -> None:
    """A delegate added late joins what is under way: open polls are sent to them, meetings whose date
    is fixed invite them."""
    for meeting in delegate.member.alliance.meetings:
        if poll_open(meeting, now):
            send_poll_to(meeting, delegate, now, base_url)
        elif state_of(meeting, now) is MeetingState.date_fixed:
            invitation = _invite(meeting, delegate, now)
            db.session.flush()
            _send_invitations(meeting, [invitation], now, base_url)


def decide_due_polls(now: datetime, base_url: str) -> int:
    """For meetings whose coordinator asked for it: at the poll deadline, fix the date the rule picks.
    Returns how many dates were fixed. Idempotent: a decided meeting is no longer due. When the rule
    finds no date, the meeting is left to the coordinator (``auto_decide`` is switched off)."""
    due = db.session.scalars(
        select(AllianceMeeting).where(AllianceMeeting.auto_decide.is_(True), AllianceMeeting.chosen_candidate_id.is_(None),
                                      AllianceMeeting.poll_sent_at.is_not(None),
                                      AllianceMeeting.poll_deadline <= _local_now(now))
        .order_by(AllianceMeeting.id)
    ).all()
    fixed = 0
    for meeting in due:
        chosen = ranking(meeting).chosen
        candidate = next((c for c in meeting.candidates if chosen and c.id == chosen.candidate), None)
        if candidate is None or candidate.starts_at <= _local_now(now):
            meeting.auto_decide = False
            audit.record(None, "meeting.auto_decide_failed", meeting, now)
            continue
        fix_date(None, meeting, candidate, now, base_url)
        fixed += 1
    db.session.flush()
    return fixed


# --- replies, reminders, attendance -----------------------------------------------------------------

@dataclass
class OrganisationReplies:
    organisation_name: str
    required: bool
    invitations: list[MeetingInvitation]

    @property
    def coming(self) -> int:
        return sum(i.attendees for i in self.invitations if i.reply is InvitationReply.accepted)

    @property
    def pending(self) -> bool:
        return any(i.reply is InvitationReply.pending for i in self.invitations)


def replies_by_organisation(meeting: AllianceMeeting) -> list[OrganisationReplies]:
    """The invitations grouped per organisation (required members first, then by name), substitutes
    listed after the delegate they replace."""
    required = {member.organisation_id for member in meeting.alliance.members if member.required}
    grouped: dict[int, OrganisationReplies] = {}
    for invitation in sorted(meeting.invitations, key=lambda i: (i.substitute_for_id or i.id, i.id)):
        grouped.setdefault(invitation.organisation_id, OrganisationReplies(
            invitation.organisation.name, invitation.organisation_id in required, [])).invitations.append(invitation)
    return sorted(grouped.values(), key=lambda g: (not g.required, g.organisation_name.casefold()))


def remind(actor: User, meeting: AllianceMeeting, now: datetime, base_url: str) -> int:
    """Write to everyone who has not replied yet (with a new link); returns the number of mails."""
    _check_manages(actor, meeting)
    if state_of(meeting, now) is not MeetingState.date_fixed:
        raise DomainError("Reminders can be sent while the meeting is coming up.")
    waiting = [invitation for invitation in meeting.invitations if invitation.reply is InvitationReply.pending]
    if not waiting:
        raise DomainError("Everyone has replied; there is nobody to remind.")
    for invitation in waiting:
        mail_invitation(invitation, now, base_url, template="meeting_reminder")
        invitation.reminded_at = now
    db.session.flush()
    audit.record(actor, "meeting.remind", meeting, now, mails=len(waiting))
    return len(waiting)


def attendance_candidates(meeting: AllianceMeeting) -> list[MeetingInvitation]:
    """The people whose attendance is recorded: everyone invited except delegates who sent a substitute."""
    return [invitation for group in replies_by_organisation(meeting) for invitation in group.invitations
            if invitation.reply is not InvitationReply.substituted]


def record_attendance(actor: User, meeting: AllianceMeeting, attended_ids: set[int], now: datetime) -> int:
    """Record who attended (every other invited person did not); returns how many attended."""
    _check_manages(actor, meeting)
    if not has_started(meeting, now):
        raise DomainError("Attendance can be recorded once the meeting has begun.")
    people = attendance_candidates(meeting)
    unknown = set(attended_ids) - {invitation.id for invitation in people}
    if unknown:
        raise DomainError("Please record attendance only for people invited to this meeting.")
    for invitation in people:
        invitation.attended = invitation.id in attended_ids
    db.session.flush()
    audit.record(actor, "meeting.attendance", meeting, now, attended=len(attended_ids), invited=len(people))
    return len(attended_ids)


# --- minutes ----------------------------------------------------------------------------------------

def is_pdf(data: bytes) -> bool:
    """A PDF by its content, not its name: the ``%PDF-1.x``/``2.x`` header at the start, a
    cross-reference pointer (``startxref``) and the ``%%EOF`` marker near the end."""
    tail = data[-2048:]
    return bool(_PDF_HEADER.match(data[:16])) and b"startxref" in tail and b"%%EOF" in tail


def add_minutes(actor: User, meeting: AllianceMeeting, now: datetime, base_url: str, *, text: str | None,
                pdf: bytes | None = None, filename: str | None = None) -> int:
    """Save the minutes (text, and/or a PDF of at most 10 MB checked to be a PDF). The first time,
    every delegate receives a link to read them; returns the number of mails."""
    _check_manages(actor, meeting)
    if not has_started(meeting, now):
        raise DomainError("Minutes can be added once the meeting has begun.", field="text")
    text = (text or "").strip() or None
    if text is not None and len(text) > MINUTES_TEXT_MAX_LENGTH:
        raise DomainError("The minutes may have at most %(n)d characters.", field="text", n=MINUTES_TEXT_MAX_LENGTH)
    if pdf is not None:
        if len(pdf) > MINUTES_PDF_MAX_BYTES:
            raise DomainError("The file is larger than %(n)d MB.", field="pdf", n=MINUTES_PDF_MAX_BYTES // (1024 * 1024))
        if not is_pdf(pdf):
            raise DomainError("The file is not a PDF. Please save the minutes as PDF and upload that file.", field="pdf")
    if text is None and pdf is None and meeting.minutes_filename is None:
        raise DomainError("Please enter the minutes or choose a PDF file.", field="text")
    meeting.minutes_text = text
    if pdf is not None:
        meeting.minutes_pdf = pdf
        name = re.sub(r"[^\w.\- ]", "_", (filename or "").replace("\\", "/").rsplit("/", 1)[-1]).strip() or "protokoll.pdf"
        meeting.minutes_filename = name[:200] if name.lower().endswith(".pdf") else f"{name[:195]}.pdf"
    first = meeting.minutes_added_at is None
    meeting.minutes_added_at = now
    sent = 0
    if first:
        for delegate in delegates_of(meeting.alliance):
            link = delegate_links.link_url(base_url, delegate_links.issue(now, delegate=delegate))
            queue_mail(delegate.email, "meeting_minutes", _mail_context(meeting, delegate.name, link), now,
                       agency_id=meeting.alliance.coordinating_agency_id)
            sent += 1
    db.session.flush()
    audit.record(actor, "meeting.minutes", meeting, now, pdf=pdf is not None, text=text is not None, mails=sent)
    return sent


# --- the next meeting -------------------------------------------------------------------------------

def suggest_dates(previous: datetime, is_holiday: Callable[[date], bool], earliest: datetime,
                  count: int = NEXT_MEETING_CANDIDATES, after: timedelta = NEXT_MEETING_AFTER) -> list[datetime]:
    """``count`` dates about ``after`` (six months) past ``previous``, on the same weekday and time, one
    week apart; a holiday moves that date a week later. None lies before ``earliest``."""
    start = previous + after - timedelta(weeks=count // 2)
    while start < earliest:
        start += timedelta(weeks=1)
    dates: list[datetime] = []
    while len(dates) < count:
        if not is_holiday(start.date()):
            dates.append(start)
        start += timedelta(weeks=1)
    return dates


def plan_next(actor: User, meeting: AllianceMeeting, now: datetime) -> AllianceMeeting:
    """A new draft meeting from this one: the same alliance (members), venue, room, online link,
    duration, poll settings and agenda; candidate dates about six months later on the same weekday,
    avoiding public holidays; a poll deadline two weeks before the first of them."""
    _check_manages(actor, meeting)
    chosen = meeting.chosen_candidate
    if chosen is None:
        raise DomainError("Fix this meeting's date first; the next meeting is planned from it.")
    federal_state = meeting.alliance.federal_state
    years = range(chosen.starts_at.year, chosen.starts_at.year + 3)
    holiday_names = public_holidays(federal_state, years)
    local_now = _local_now(now)
    starts = suggest_dates(chosen.starts_at, lambda day: day in holiday_names, local_now + NEXT_POLL_LEAD + timedelta(days=1))
    duration = chosen.ends_at - chosen.starts_at
    following = AllianceMeeting(
        alliance=meeting.alliance, programme=meeting.programme, title=meeting.title, agenda=meeting.agenda,
        venue=meeting.venue, room=meeting.room, online_url=meeting.online_url, duration_minutes=meeting.duration_minutes,
        poll_shows_names=meeting.poll_shows_names, auto_decide=meeting.auto_decide,
        poll_deadline=datetime.combine((starts[0] - NEXT_POLL_LEAD).date(), time(12, 0)),
        candidates=[CandidateDate(starts_at=start, ends_at=start + duration) for start in starts],
        created_at=now, updated_at=now,
    )
    db.session.add(following)
    db.session.flush()
    audit.record(actor, "meeting.plan_next", following, now, previous=meeting.id)
    return following


# --- lists --------------------------------------------------------------------------------------------

def sort_key(meeting: AllianceMeeting) -> tuple:
    """Meetings in date order: the chosen date, else the first candidate, else when it was created."""
    when = meeting.chosen_candidate.starts_at if meeting.chosen_candidate else (
        meeting.candidates[0].starts_at if meeting.candidates else datetime.max)
    return (when, meeting.id)


def all_meetings() -> list[AllianceMeeting]:
    """Every meeting of every alliance, in date order (for the command line)."""
    return sorted(db.session.scalars(select(AllianceMeeting)), key=sort_key)


def meetings_by_time(alliance: Alliance, now: datetime) -> tuple[list[AllianceMeeting], list[AllianceMeeting]]:
    """(coming, past): meetings still being prepared, polled or ahead, soonest first; held ones, latest first."""
    coming, past = [], []
    for meeting in sorted(alliance.meetings, key=sort_key):
        (past if state_of(meeting, now) is MeetingState.held else coming).append(meeting)
    return coming, list(reversed(past))


def count_meetings(alliance_ids: list[int]) -> dict[int, int]:
    if not alliance_ids:
        return {}
    return dict(db.session.execute(select(AllianceMeeting.alliance_id, func.count(AllianceMeeting.id))
                                   .where(AllianceMeeting.alliance_id.in_(alliance_ids))
                                   .group_by(AllianceMeeting.alliance_id)).all())
