"""Calendar feeds: which audience sees which events, and the private links they subscribe to.

Each audience has its own kind of feed (:class:`FeedKind`) with only what it may see:

- *programme* (public, no token): the programme's career days (date, place; no personal data);
- *school*: each of its classes' career days, from arrival to departure, with the rounds;
- *class*: the class's rounds; after publication, the offers its students attend per round (counts);
- *student*: the day (before publication) or the student's own route (after): offer, company, room;
- *company*: its booked slots per round with seats and, after publication, the students assigned;
- *coordinator*: every career day of the coordinator's agencies.
Employer events, registrants' and delegates' feeds join through :data:`ENTRY_SOURCES` (one function
per kind of event), so every event kind has one definition of its calendar entries.

Links: a private feed's token is derived from ``key`` (the app's ``FEED_TOKEN_KEY``) and the feed's
``generation`` (HMAC-SHA256, 256 bits); only its SHA-256 is stored. The owner's page can therefore
show the link again, ``flask feeds list`` can print it, and renewing (a new generation) stops the
old link at once.

Content comes from the database as it is now; ``now`` and the base URLs are passed in. The body is a
pure function of :class:`FeedContent`, so :func:`etag` (a hash of the content) is a strong validator
of the body and a 304 needs no body at all.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, time

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload, selectinload

from scheduler_app.domain import dates, publication
from scheduler_app.domain.calendar import CalendarEntry, build_calendar, in_feed_window, uid
from scheduler_app.domain.locks import insert_unless_present
from scheduler_app.domain.employer_events import public_path
from scheduler_app.domain.mail import locale_of
from scheduler_app.domain.scope import in_scope_clause
from scheduler_app.domain.meetings import calendar_entry as meeting_calendar_entry
from scheduler_app.domain.tokens import MAX_TOKEN_LENGTH, hash_token
from scheduler_app.extensions import db
from scheduler_app.models import (
    Alliance,
    AllianceDelegate,
    AllianceMeeting,
    AllianceMember,
    Assignment,
    CalendarFeed,
    CareerDay,
    EmployerEvent,
    EventRegistration,
    FeedKind,
    InvitationReply,
    Membership,
    Offer,
    Organisation,
    OrganisationKind,
    Programme,
    RegistrationStatus,
    Role,
    SchoolClass,
    Slot,
    Student,
    User,
)

log = logging.getLogger(__name__)

FORMAT_VERSION = "1"  # part of every ETag: a change of the builder changes every validator
OWNER_COLUMNS = {
    FeedKind.programme: "programme_id",
    FeedKind.school: "organisation_id",
    FeedKind.school_class: "class_id",
    FeedKind.student: "student_id",
    FeedKind.company: "organisation_id",
    FeedKind.registrant: "registration_id",
    FeedKind.delegate: "delegate_id",
    FeedKind.coordinator: "user_id",
}


@dataclass(frozen=True)
class FeedContent:
    """Everything a feed's body is made of."""

    name: str  # X-WR-CALNAME, and the file name in the link
    description: str
    cancelled_prefix: str
    entries: tuple[CalendarEntry, ...]

    @property
    def last_modified(self) -> datetime | None:
        return max((entry.last_modified for entry in self.entries), default=None)


@dataclass(frozen=True)
class FeedContext:
    """What the builders need besides the database: the instant, and where links and UIDs point."""

    now: datetime
    base_url: str  # PUBLIC_BASE_URL, for the entries' URL back to a page
    uid_domain: str  # the right-hand side of every UID; never changes once feeds are published


# ---------------------------------------------------------------------------------------------
# links


def owner_key(kind: FeedKind, owner_id: int) -> str:
    return f"{kind.value}:{owner_id}"


def is_private(kind: FeedKind) -> bool:
    return kind is not FeedKind.programme


def feed_token(feed: CalendarFeed, key: str) -> str:
    """The raw token of a private feed (never stored): HMAC of its id and generation."""
    digest = hmac.new(key.encode("utf-8"), f"calendar-feed:{feed.id}:{feed.generation}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def feed_for(kind: FeedKind, owner_id: int, key: str, now: datetime, locale: str | None = None) -> CalendarFeed:
    """The owner's feed of this kind, made on first use (flush only).

    Made by ``INSERT … ON CONFLICT DO NOTHING``: pages that show a link make the feed on their first
    view, and two requests doing so at once (a student's phone and laptop) both get the one feed.
    The token hash is then set in SQL only where it is still missing; both compute the same value."""
    key_of_owner = owner_key(kind, owner_id)
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.owner_key == key_of_owner))
    if feed is None:
        insert_unless_present(CalendarFeed, dict(kind=kind, owner_key=key_of_owner, locale=locale_of(locale), created_at=now,
                                                  generation=1, **{OWNER_COLUMNS[kind]: owner_id}), ["owner_key"])
        feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.owner_key == key_of_owner))
    if feed.token_hash is None and is_private(kind):
        db.session.execute(
            update(CalendarFeed).where(CalendarFeed.id == feed.id, CalendarFeed.token_hash.is_(None))
            .values(token_hash=hash_token(feed_token(feed, key))).execution_options(synchronize_session="fetch")
        )
    return feed


def renew(feed: CalendarFeed, key: str, now: datetime) -> None:
    """Give the feed a new link; the old one answers 404 from now on."""
    if not is_private(feed.kind):
        return
    feed.generation += 1
    feed.token_hash = hash_token(feed_token(feed, key))
    feed.renewed_at = now
    db.session.flush()


def find_by_token(token: str) -> CalendarFeed | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return db.session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == hash_token(token)))


def file_name(name: str) -> str:
    """A readable, URL-safe file name: ``BO-Tag-Bramsche-2027-Klasse-9b.ics``."""
    text = name.replace("ß", "ss").replace("Ä", "Ae").replace("Ö", "Oe").replace("Ü", "Ue")
    text = text.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:80].strip("-")
    return f"{slug or 'Kalender'}.ics"


def feed_path(feed: CalendarFeed, key: str, name: str) -> str:
    """The path of the feed's URL (its file name from the feed's current name)."""
    if is_private(feed.kind):
        return f"/feeds/{feed_token(feed, key)}/{file_name(name)}"
    return f"/feeds/programmes/{feed.programme_id}/{file_name(name)}"


# ---------------------------------------------------------------------------------------------
# content


def _latest(*stamps: datetime | None) -> datetime:
    return max(stamp for stamp in stamps if stamp is not None)


def _at(career_day: CareerDay, clock: time) -> datetime:
    return datetime.combine(career_day.date, clock)


def _venue_address(career_day: CareerDay) -> str | None:
    return career_day.venue.address if career_day.venue is not None else None


def _day_stamps(career_day: CareerDay) -> list[datetime | None]:
    stamps = [career_day.updated_at, career_day.published_at, *(r.updated_at for r in career_day.rounds)]
    if career_day.venue is not None:
        stamps.append(career_day.venue.updated_at)
    return stamps


def _present_rounds(career_day: CareerDay, school_class: SchoolClass):
    return [r for r in career_day.rounds if school_class.present_in(r.position)]


def _rounds_text(rounds) -> str:
    return "\n".join(_("Round %(n)d: %(start)s–%(end)s", n=r.position, start=dates.time(r.starts_at), end=dates.time(r.ends_at))
                     for r in rounds)


def career_day_entry(career_day: CareerDay, ctx: FeedContext, url: str | None = None) -> CalendarEntry | None:
    """The whole day, from the first round to the last (programme and coordinator feeds)."""
    rounds = list(career_day.rounds)
    if not rounds:
        return None
    return CalendarEntry(
        uid=uid("career-day", career_day.id, domain=ctx.uid_domain), summary=career_day.name,
        starts_at=_at(career_day, rounds[0].starts_at), ends_at=_at(career_day, rounds[-1].ends_at),
        last_modified=_latest(*_day_stamps(career_day)), sequence=career_day.calendar_sequence,
        location=_venue_address(career_day), description=_rounds_text(rounds), url=url,
    )


def class_day_entry(school_class: SchoolClass, ctx: FeedContext) -> CalendarEntry | None:
    """A class's day, from arrival to departure, with its rounds (school feed)."""
    career_day = school_class.career_day
    rounds = _present_rounds(career_day, school_class)
    if not rounds:
        return None
    return CalendarEntry(
        uid=uid("career-day-class", school_class.id, domain=ctx.uid_domain),
        summary=_("%(day)s – class %(name)s", day=career_day.name, name=school_class.name),
        starts_at=_at(career_day, rounds[0].starts_at), ends_at=_at(career_day, rounds[-1].ends_at),
        last_modified=_latest(*_day_stamps(career_day), school_class.updated_at), sequence=career_day.calendar_sequence,
        location=_venue_address(career_day), description=_rounds_text(rounds),
    )


def _assigned_counts(slot_ids: list[int]) -> Counter:
    """Students assigned per slot in the published allocation of the slot's day (one query)."""
    if not slot_ids:
        return Counter()
    return Counter(dict(db.session.execute(
        select(Assignment.slot_id, func.count(Assignment.id))
        .join(CareerDay, CareerDay.published_allocation_id == Assignment.allocation_id)
        .where(Assignment.slot_id.in_(slot_ids)).group_by(Assignment.slot_id)
    ).all()))


def class_round_entries(school_class: SchoolClass, ctx: FeedContext) -> list[CalendarEntry]:
    """One entry per round the class is present; after publication, what its students attend (counts,
    no names), as published (the snapshot of :mod:`scheduler_app.domain.publication`)."""
    career_day = school_class.career_day
    plan = publication.published_plan(career_day)
    counts: dict[int, Counter] = {}
    if plan is not None:
        published_class = next((c for c in plan.classes if c.id == school_class.id), None)
        for student in published_class.students if published_class is not None else ():
            for round_id, slot in plan.by_student.get(student.id, {}).items():
                counts.setdefault(round_id, Counter())[f"{slot.offer.title} ({slot.offer.company})"] += 1
    entries = []
    for round_ in _present_rounds(career_day, school_class):
        if plan is None:
            description = _("The programme per student appears here once the allocation is published.")
        else:
            description = "\n".join(_("%(offer)s: %(n)d students", offer=offer, n=n)
                                    for offer, n in sorted(counts.get(round_.id, Counter()).items()))
        entries.append(CalendarEntry(
            uid=uid("career-day-class-round", school_class.id, round_.id, domain=ctx.uid_domain),
            summary=_("%(day)s – class %(name)s – round %(n)d", day=career_day.name, name=school_class.name, n=round_.position),
            starts_at=_at(career_day, round_.starts_at), ends_at=_at(career_day, round_.ends_at),
            last_modified=_latest(*_day_stamps(career_day), school_class.updated_at), sequence=career_day.calendar_sequence,
            location=_venue_address(career_day), description=description,
        ))
    return entries


def student_entries(student: Student, ctx: FeedContext) -> list[CalendarEntry]:
    """Before publication the day without offers (release gating); after it, the student's own route
    as published (the snapshot: a later change to an offer's title or room does not reach it)."""
    school_class = student.school_class
    career_day = school_class.career_day
    rounds = _present_rounds(career_day, school_class)
    if not rounds:
        return []
    stamps = [*_day_stamps(career_day), school_class.updated_at]
    plan = publication.published_plan(career_day)
    if plan is None:
        return [CalendarEntry(
            uid=uid("career-day-student", student.id, domain=ctx.uid_domain), summary=career_day.name,
            starts_at=_at(career_day, rounds[0].starts_at), ends_at=_at(career_day, rounds[-1].ends_at),
            last_modified=_latest(*stamps), sequence=career_day.calendar_sequence, location=_venue_address(career_day),
            description=_("Your programme appears here once the allocation is published."),
        )]
    own = plan.by_student.get(student.id, {})
    entries = []
    for round_ in rounds:
        slot = own.get(round_.id)
        location = _venue_address(career_day)
        if slot is None:
            summary = _("Round %(n)d: free", n=round_.position)
        else:
            offer = slot.offer
            summary = _("Round %(n)d: %(offer)s (%(company)s)", n=round_.position, offer=offer.title, company=offer.company)
            if offer.room is not None:
                location = ", ".join(part for part in (offer.room, location) if part)
        entries.append(CalendarEntry(
            uid=uid("career-day-student-round", student.id, round_.id, domain=ctx.uid_domain), summary=summary,
            starts_at=_at(career_day, round_.starts_at), ends_at=_at(career_day, round_.ends_at),
            last_modified=_latest(*stamps), sequence=career_day.calendar_sequence, location=location,
        ))
    return entries


def company_slot_entries(offer: Offer, ctx: FeedContext, assigned: Counter | None = None) -> list[CalendarEntry]:
    """The offer's slots with their seats and, after publication, the students assigned (``assigned``:
    counts per slot id, when the caller has them for many offers at once)."""
    career_day = offer.career_day
    published = career_day.published_allocation_id is not None
    if assigned is None:
        assigned = _assigned_counts([slot.id for slot in offer.slots])
    location = _venue_address(career_day)
    if offer.room is not None:
        location = ", ".join(part for part in (offer.room.name, location) if part)
    entries = []
    for slot in sorted(offer.slots, key=lambda s: s.round.position):
        description = _("%(n)d seats", n=slot.capacity)
        if published:
            description += "\n" + _("%(n)d students assigned", n=assigned[slot.id])
        entries.append(CalendarEntry(
            uid=uid("career-day-slot", slot.id, domain=ctx.uid_domain),
            summary=_("%(day)s: %(offer)s (round %(n)d)", day=career_day.name, offer=offer.title, n=slot.round.position),
            starts_at=_at(career_day, slot.round.starts_at), ends_at=_at(career_day, slot.round.ends_at),
            last_modified=_latest(*_day_stamps(career_day), offer.updated_at, slot.updated_at, offer.company.updated_at,
                                  offer.room.updated_at if offer.room is not None else None),
            sequence=career_day.calendar_sequence, location=location, description=description,
        ))
    return entries


def employer_event_entry(event: EmployerEvent, ctx: FeedContext, description: str | None = None,
                         url: str | None = None) -> CalendarEntry:
    """An employer event (every feed that shows one): its time and place, cancelled once cancelled."""
    stamps = [event.updated_at, event.published_at, event.cancelled_at, event.company.updated_at]
    if event.venue is not None:
        stamps.append(event.venue.updated_at)
    if event.room is not None:
        stamps.append(event.room.updated_at)
    return CalendarEntry(
        uid=uid("employer-event", event.id, domain=ctx.uid_domain),
        summary=_("%(title)s (%(company)s)", title=event.title, company=event.company.name),
        starts_at=event.starts_at, ends_at=event.ends_at, last_modified=_latest(*stamps), sequence=event.calendar_sequence,
        location=event.location, description=description or event.description,
        url=url or ctx.base_url + public_path(event), cancelled=event.is_cancelled,
    )


def _registration_counts(event: EmployerEvent) -> str:
    waiting = sum(r.places for r in event.registrations if r.status is RegistrationStatus.waitlisted)
    return _("%(n)d of %(total)d places confirmed, %(waiting)d waiting", n=event.booked, total=event.capacity, waiting=waiting)


def _events(*where) -> list[EmployerEvent]:
    """Employer events matching ``where``, with what their entries show loaded."""
    return list(db.session.scalars(
        select(EmployerEvent).where(*where).order_by(EmployerEvent.id)
        .options(joinedload(EmployerEvent.company), joinedload(EmployerEvent.venue), joinedload(EmployerEvent.room))
    ))


def _published_events(*where) -> list[EmployerEvent]:
    return _events(EmployerEvent.published_at.is_not(None), *where)


# ---------------------------------------------------------------------------------------------
# the feeds


def _coordinator_agency_ids(user: User) -> list[int]:
    return sorted({m.organisation_id for m in user.memberships if m.role is Role.coordinator and user.active})


def _programme_days(programme_ids) -> list[CareerDay]:
    if not programme_ids:
        return []
    return list(db.session.scalars(
        select(CareerDay).where(CareerDay.programme_id.in_(programme_ids)).order_by(CareerDay.id)
        .options(selectinload(CareerDay.rounds), joinedload(CareerDay.venue))
    ))


def _each(items, build: Callable, ctx: FeedContext) -> list[CalendarEntry]:
    """``build(item, ctx)`` for every item (an entry, a list of entries or None). One broken record
    is skipped and logged; the feed still answers with everything else."""
    entries: list[CalendarEntry] = []
    for item in items:
        try:
            built = build(item, ctx)
        except Exception:  # noqa: BLE001 -- a feed must not break on one record
            log.exception("calendar feed: skipped %s %s", type(item).__name__, getattr(item, "id", "?"))
            continue
        if isinstance(built, list):
            entries.extend(built)
        elif built is not None:
            entries.append(built)
    return entries


def _programme_content(feed: CalendarFeed, ctx: FeedContext) -> tuple[str, str, list[CalendarEntry]]:
    programme = db.session.get(Programme, feed.programme_id)
    entries = _each(_programme_days([programme.id]), career_day_entry, ctx)
    entries += _each(_published_events(EmployerEvent.programme_id == programme.id), employer_event_entry, ctx)
    return programme.name, _("Career days and events of %(programme)s", programme=programme.name), entries


def _school_content(feed, ctx):
    school = db.session.get(Organisation, feed.organisation_id)
    classes = db.session.scalars(
        select(SchoolClass).where(SchoolClass.school_id == school.id).order_by(SchoolClass.id)
        .options(joinedload(SchoolClass.career_day).selectinload(CareerDay.rounds),
                 joinedload(SchoolClass.career_day).joinedload(CareerDay.venue))
    )
    entries = _each(classes, class_day_entry, ctx)
    registered = select(EventRegistration.event_id).where(EventRegistration.organisation_id == school.id,
                                                          EventRegistration.status != RegistrationStatus.cancelled)
    entries += _each(_published_events(EmployerEvent.id.in_(registered)), employer_event_entry, ctx)
    return school.name, _("Career days of %(school)s's classes", school=school.name), entries


def _class_content(feed, ctx):
    school_class = db.session.get(SchoolClass, feed.class_id)
    name = _("%(day)s – class %(name)s", day=school_class.career_day.name, name=school_class.name)
    return name, _("The career day of class %(name)s", name=school_class.name), _each([school_class], class_round_entries, ctx)


def _student_content(feed, ctx):
    student = db.session.get(Student, feed.student_id)
    career_day = student.school_class.career_day
    return career_day.name, _("Your career day"), _each([student], student_entries, ctx)


def _company_content(feed, ctx):
    company = db.session.get(Organisation, feed.organisation_id)
    offers = list(db.session.scalars(
        select(Offer).where(Offer.company_id == company.id).order_by(Offer.id)
        .options(selectinload(Offer.slots).joinedload(Slot.round), joinedload(Offer.room), joinedload(Offer.company),
                 joinedload(Offer.career_day).selectinload(CareerDay.rounds), joinedload(Offer.career_day).joinedload(CareerDay.venue))
    ))
    assigned = _assigned_counts([slot.id for offer in offers for slot in offer.slots])
    entries = _each(offers, lambda offer, ctx: company_slot_entries(offer, ctx, assigned), ctx)
    entries += _each(_events(EmployerEvent.company_id == company.id), lambda event, ctx: employer_event_entry(
        event, ctx, description=_registration_counts(event), url=f"{ctx.base_url}/company/events/{event.id}"), ctx)
    return company.name, _("Career days and events of %(company)s", company=company.name), entries


def _fixed_meetings(*where) -> list[AllianceMeeting]:
    """Meetings whose date is fixed (the only ones a calendar can show), with what the entry shows."""
    return list(db.session.scalars(
        select(AllianceMeeting).join(Alliance, Alliance.id == AllianceMeeting.alliance_id)
        .where(AllianceMeeting.chosen_candidate_id.is_not(None), *where).order_by(AllianceMeeting.id)
        .options(joinedload(AllianceMeeting.chosen_candidate), joinedload(AllianceMeeting.alliance),
                 joinedload(AllianceMeeting.venue))
    ))


def delegate_meeting_entry(meeting: AllianceMeeting, ctx: FeedContext, delegate_id: int) -> CalendarEntry:
    """A meeting in a delegate's calendar, with the delegate's own reply."""
    invitation = next((i for i in meeting.invitations if i.delegate_id == delegate_id), None)
    note = None
    if invitation is not None:
        if invitation.substitutes:
            note = _("You have sent %(name)s in your place.", name=invitation.substitutes[0].name)
        elif invitation.reply is InvitationReply.accepted:
            note = ngettext("You have accepted for %(num)d person.", "You have accepted for %(num)d people.",
                            invitation.attendees)
        elif invitation.reply is InvitationReply.declined:
            note = _("You have declined.")
        else:
            note = _("You have not replied yet.")
    return meeting_calendar_entry(meeting, ctx.uid_domain, note=note,
                                  changed_at=invitation.replied_at if invitation is not None else None)


def _delegate_content(feed, ctx):
    delegate = db.session.get(AllianceDelegate, feed.delegate_id)
    alliance = delegate.member.alliance
    entries = _each(_fixed_meetings(AllianceMeeting.alliance_id == alliance.id),
                    lambda meeting, ctx: delegate_meeting_entry(meeting, ctx, delegate.id), ctx)
    return alliance.name, _("The meetings of %(alliance)s", alliance=alliance.name), entries


def _coordinator_content(feed, ctx):
    user = db.session.get(User, feed.user_id)
    agencies = _coordinator_agency_ids(user)
    programmes = db.session.scalars(select(Programme.id).where(Programme.agency_id.in_(agencies))).all() if agencies else []
    entries = _each(_programme_days(programmes), lambda day, ctx: career_day_entry(
        day, ctx, url=f"{ctx.base_url}/coordinator/career-days/{day.id}"), ctx)
    if agencies:
        entries += _each(_fixed_meetings(Alliance.coordinating_agency_id.in_(agencies)), lambda meeting, ctx: meeting_calendar_entry(
            meeting, ctx.uid_domain, url=f"{ctx.base_url}/coordinator/meetings/{meeting.id}"), ctx)
        entries += _each(_published_events(EmployerEvent.company_id.in_(select(Organisation.id).where(in_scope_clause(user)))),
                         lambda event, ctx: employer_event_entry(event, ctx, description=_registration_counts(event)), ctx)
    return _("Coordination"), _("Everything of your agency"), entries


def _registrant_content(feed, ctx):
    registration = db.session.get(EventRegistration, feed.registration_id)
    event = registration.event
    entries = [] if registration.status is RegistrationStatus.cancelled else _each([event], employer_event_entry, ctx)
    return event.title, _("Your registration for %(title)s", title=event.title), entries


CONTENT: dict[FeedKind, Callable] = {
    FeedKind.programme: _programme_content,
    FeedKind.school: _school_content,
    FeedKind.school_class: _class_content,
    FeedKind.student: _student_content,
    FeedKind.company: _company_content,
    FeedKind.coordinator: _coordinator_content,
    FeedKind.delegate: _delegate_content,
    FeedKind.registrant: _registrant_content,
}


def content(feed: CalendarFeed, ctx: FeedContext) -> FeedContent:
    """What the feed shows now, in its owner's language, within the feed window."""
    with force_locale(feed.locale):
        name, description, entries = CONTENT[feed.kind](feed, ctx)
        prefix = _("Cancelled:")
    shown = in_feed_window(entries, ctx.now)
    return FeedContent(name=name, description=description, cancelled_prefix=prefix,
                       entries=tuple(sorted(shown, key=lambda e: (e.starts_at, e.uid))))


def body(feed_content: FeedContent) -> bytes:
    return build_calendar(feed_content.entries, name=feed_content.name, description=feed_content.description,
                          cancelled_prefix=feed_content.cancelled_prefix)


def etag(feed_content: FeedContent) -> str:
    """A strong validator: the hash of everything the body is made of (the body is a pure function of it)."""
    data = json.dumps([FORMAT_VERSION, asdict(feed_content)], default=str, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------------------------
# every feed there is (for `flask feeds list`)


@dataclass(frozen=True)
class FeedOwner:
    kind: FeedKind
    owner_id: int
    label: str  # who it is for, for the operator
    name: str  # the calendar's name, as the owner's page shows it (the link's file name)


def feed_owners(organisation_id: int | None = None) -> list[FeedOwner]:
    """Everyone who has a feed (of one organisation, if given): its programmes and coordinators for an
    agency; the school, its classes and their students for a school; the company for a company."""
    organisation = db.session.get(Organisation, organisation_id) if organisation_id is not None else None
    if organisation_id is not None and organisation is None:
        return []
    owners: list[FeedOwner] = []
    programmes = select(Programme).order_by(Programme.id)
    users = select(User).join(User.memberships).where(Membership.role == Role.coordinator).order_by(User.id)
    schools = select(Organisation).where(Organisation.kind == OrganisationKind.school).order_by(Organisation.id)
    companies = select(Organisation).where(Organisation.kind == OrganisationKind.company).order_by(Organisation.id)
    if organisation is not None:
        programmes = programmes.where(Programme.agency_id == organisation.id)
        schools = schools.where(Organisation.id == organisation.id)
        companies = companies.where(Organisation.id == organisation.id)
    for programme in db.session.scalars(programmes):
        owners.append(FeedOwner(FeedKind.programme, programme.id, programme.name, programme.name))
    seen_users = set()
    for user in db.session.scalars(users):
        agencies = [m.organisation_id for m in user.memberships if m.role is Role.coordinator]
        if user.id in seen_users or not agencies or (organisation is not None and organisation.id not in agencies):
            continue
        seen_users.add(user.id)
        owners.append(FeedOwner(FeedKind.coordinator, user.id, user.email, _("Coordination")))
    for school in db.session.scalars(schools):
        owners.append(FeedOwner(FeedKind.school, school.id, school.name, school.name))
        for school_class in db.session.scalars(select(SchoolClass).where(SchoolClass.school_id == school.id)
                                                .order_by(SchoolClass.id)):
            day = school_class.career_day
            owners.append(FeedOwner(FeedKind.school_class, school_class.id, f"{school.name} {school_class.name} ({day.name})",
                                    _("%(day)s – class %(name)s", day=day.name, name=school_class.name)))
            for student in sorted(school_class.students, key=lambda s: s.id):
                owners.append(FeedOwner(FeedKind.student, student.id,
                                        f"{student.display_name} ({school_class.name}, {school.name})", day.name))
    for company in db.session.scalars(companies):
        owners.append(FeedOwner(FeedKind.company, company.id, company.name, company.name))
    registrations = (select(EventRegistration).join(EmployerEvent, EmployerEvent.id == EventRegistration.event_id)
                     .where(EventRegistration.status != RegistrationStatus.cancelled).order_by(EventRegistration.id))
    if organisation is not None:
        registrations = registrations.where((EmployerEvent.company_id == organisation.id)
                                            | (EventRegistration.organisation_id == organisation.id))
    for registration in db.session.scalars(registrations):
        owners.append(FeedOwner(FeedKind.registrant, registration.id, f"{registration.name} ({registration.event.title})",
                                registration.event.title))
    delegates = (select(AllianceDelegate).join(AllianceDelegate.member).join(AllianceMember.alliance)
                 .order_by(AllianceDelegate.id))
    if organisation is not None:
        delegates = delegates.where((AllianceMember.organisation_id == organisation.id)
                                    | (Alliance.coordinating_agency_id == organisation.id))
    for delegate in db.session.scalars(delegates):
        alliance = delegate.member.alliance
        owners.append(FeedOwner(FeedKind.delegate, delegate.id, f"{delegate.name} ({delegate.member.organisation.name}, "
                                f"{alliance.name})", alliance.name))
    return owners
