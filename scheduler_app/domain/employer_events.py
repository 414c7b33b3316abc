"""Employer events: a company's info sessions, open days, company visits and workshops, and the
registrations for them with a fair, group-aware waitlist.

Who: a company's contacts manage its events; a coordinator may do the same on behalf of a company
their agency works with (:mod:`scheduler_app.domain.scope`), and may unpublish any of those events.

Registrations are for ``places`` seats at once (a person, or a teacher with a group). The rule,
shown on every event page (:data:`WAITLIST_RULE`):

- a registration is *confirmed* only if the whole group fits into the free places, otherwise it
  waits (if the event keeps a waitlist) at the end of the queue, otherwise it is refused;
- whenever places become free (a cancellation, fewer places, a higher capacity) the waiting
  registrations are promoted in the order they registered, each only as a whole group; a group that
  does not fit yet keeps its place at the head while smaller groups behind it may move up into the
  remaining places (:func:`promote`);
- promotion happens in the same transaction as the change that freed the places, and writes a mail to
  each promoted person; waiting positions are 1, 2, … without gaps.

Every change to an event's registrations first locks the event's row
(:func:`~scheduler_app.domain.locks.lock_for_update`), so requests for the same event run one after
the other; ``booked`` changes only by SQL relative to itself (:mod:`scheduler_app.domain.seats`) and
the database's CHECK keeps it within the capacity.

Personal links: the token of a registration is derived from the installation's key (HMAC-SHA256 of
the registration's id and ``link_generation``, 256 bits, as for calendar feeds); only its SHA-256 is
stored. Every mail can therefore carry the same working link. A cancelled registration's link, or an
unknown one, opens nothing (:class:`RegistrationUnknown`, a 404).

Functions flush, never commit; the boundary commits once per user action.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from scheduler_app.domain import audit, scope
from scheduler_app.domain.dashboards import wall_clock
from scheduler_app.domain.errors import N_, DomainError, NotAllowed
from scheduler_app.domain.locks import lock_for_update, unique_violation_as
from scheduler_app.domain.mail import Attachment, queue_mail
from scheduler_app.domain.seats import release_event_places, take_event_places
from scheduler_app.domain.tokens import MAX_TOKEN_LENGTH, hash_token, link_key
from scheduler_app.extensions import db
from scheduler_app.models import (
    EmployerEvent,
    EmployerEventKind,
    EventRegistration,
    Organisation,
    OrganisationKind,
    Programme,
    RegistrationStatus,
    SchoolClass,
    User,
)

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 5000
FIELD_MAX_LENGTH = 120
ADDRESS_MAX_LENGTH = 300
ROOM_MAX_LENGTH = 120
NAME_MAX_LENGTH = 200
EMAIL_MAX_LENGTH = 254
COMMENT_MAX_LENGTH = 2000
MESSAGE_MAX_LENGTH = 5000
MAX_CAPACITY = 5000
MAX_PLACES = 50  # the most places one registration can hold (the table's CHECK)
LOWEST_GRADE, HIGHEST_GRADE = 1, 13
WAITLIST_RULE = N_(
    "Places are given in the order of registration, always to a whole group. When places become free, "
    "waiting registrations move up in their order; a group that does not fit yet keeps its place at the "
    "head of the waitlist, while smaller groups behind it may move up into the remaining places. "
    "Everyone who moves up is told by e-mail."
)


class RegistrationUnknown(DomainError):
    """No active registration has this link (mistyped, forged, or the registration was cancelled)."""


@dataclass(frozen=True)
class Site:
    """Where personal links point and the key they are derived from (the boundary passes the app's)."""

    base_url: str
    key: str

    def registration_url(self, registration: EventRegistration) -> str:
        return f"{self.base_url.rstrip('/')}/registration/{registration_token(registration, self.key)}"

    def event_url(self, event: EmployerEvent) -> str:
        return self.base_url.rstrip("/") + public_path(event)


def site_of(config, base_url: str | None = None) -> Site:
    """The app's :class:`Site`: ``PUBLIC_BASE_URL`` (or ``base_url``) and the key links derive from."""
    return Site(base_url or config["PUBLIC_BASE_URL"], link_key(config))


def public_path(event: EmployerEvent) -> str:
    """The event's readable public path, ``/events/17/tag-der-offenen-tuer`` (only the id decides)."""
    from scheduler_app.domain.feeds import file_name  # the same transliteration as feed file names

    return f"/events/{event.id}/{file_name(event.title).removesuffix('.ics').lower()[:60].strip('-')}"


# ---------------------------------------------------------------------------------------------
# links


def registration_token(registration: EventRegistration, key: str) -> str:
    """The raw token of a registration's personal link (never stored)."""
    message = f"event-registration:{registration.id}:{registration.link_generation}".encode()
    digest = hmac.new(key.encode("utf-8"), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _set_token_hash(registration: EventRegistration, key: str) -> None:
    registration.token_hash = hash_token(registration_token(registration, key))


def open_registration(token: str) -> EventRegistration:
    """The active registration a personal link opens; raises :class:`RegistrationUnknown`. Changes nothing."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise RegistrationUnknown(N_("This link is not valid."))
    registration = db.session.scalar(select(EventRegistration).where(
        EventRegistration.token_hash == hash_token(token), EventRegistration.status != RegistrationStatus.cancelled))
    if registration is None:
        raise RegistrationUnknown(N_("This link is not valid."))
    return registration


# ---------------------------------------------------------------------------------------------
# who may do what


def may_manage(actor, company: Organisation) -> bool:
    """The company's contacts, and coordinators of an agency that works with the company."""
    if not isinstance(actor, User) or not actor.active:
        return False
    return actor.is_contact_of(company.id) or scope.works_with(actor, company)


def _check_manager(actor, company: Organisation) -> None:
    if not may_manage(actor, company):
        raise NotAllowed(N_("You may not change this event."))


def events_in_scope(actor):
    """``SELECT employer_event`` of every company the coordinator's agencies work with."""
    return select(EmployerEvent).join(Organisation, Organisation.id == EmployerEvent.company_id).where(
        scope.in_scope_clause(actor))


# ---------------------------------------------------------------------------------------------
# states


def is_public(event: EmployerEvent) -> bool:
    """Shown to the public: published (a cancelled event stays visible, marked as cancelled)."""
    return event.published_at is not None


def registration_open(event: EmployerEvent, now: datetime) -> bool:
    """Registration is possible: published, not cancelled, not begun, before the deadline (wall clock)."""
    local = wall_clock(now)
    if not is_public(event) or event.is_cancelled or event.starts_at <= local:
        return False
    return event.registration_deadline is None or local <= event.registration_deadline


def state_of(event: EmployerEvent, now: datetime) -> str:
    """draft, cancelled, past or published (for lists and ``flask events list``)."""
    if event.is_cancelled:
        return "cancelled"
    if not is_public(event):
        return "draft"
    if event.ends_at <= wall_clock(now):
        return "past"
    return "published"


def summary(event: EmployerEvent, now: datetime, base_url: str) -> dict:
    """One event for scripts (``flask events list --json``)."""
    return {"id": event.id, "title": event.title, "company": event.company.name, "starts_at": event.starts_at.isoformat(),
            "capacity": event.capacity, "confirmed": event.booked, "waiting": waiting_places(event),
            "state": state_of(event, now), "url": base_url.rstrip("/") + public_path(event)}


def all_events() -> list[EmployerEvent]:
    return list(db.session.scalars(select(EmployerEvent).order_by(EmployerEvent.starts_at, EmployerEvent.id)))


def waiting_places(event: EmployerEvent) -> int:
    return sum(r.places for r in event.registrations if r.status is RegistrationStatus.waitlisted)


def waitlist(event: EmployerEvent) -> list[EventRegistration]:
    return sorted((r for r in event.registrations if r.status is RegistrationStatus.waitlisted),
                  key=lambda r: r.waitlist_position)


def confirmed(event: EmployerEvent) -> list[EventRegistration]:
    return [r for r in event.registrations if r.status is RegistrationStatus.confirmed]


# ---------------------------------------------------------------------------------------------
# events


def _text(value: str | None, field: str, limit: int, required_message: str | None = None) -> str | None:
    value = " ".join((value or "").split()) if field not in ("description", "comment", "message", "text") else (value or "").strip()
    if not value:
        if required_message:
            raise DomainError(required_message, field=field)
        return None
    if len(value) > limit:
        raise DomainError(N_("This field may have at most %(n)d characters."), field=field, n=limit)
    return value


def _clean(*, kind, title, description, occupational_field, min_grade, max_grade, address, room_name, starts_at,
           ends_at, capacity, registration_deadline, max_places_per_registration, waitlist_enabled) -> tuple[dict, int]:
    if not isinstance(kind, EmployerEventKind):
        try:
            kind = EmployerEventKind(kind)
        except ValueError:
            raise DomainError(N_("Please choose a kind of event."), field="kind") from None
    fields = dict(
        kind=kind,
        title=_text(title, "title", TITLE_MAX_LENGTH, N_("Please enter a title.")),
        description=_text(description, "description", DESCRIPTION_MAX_LENGTH),
        occupational_field=_text(occupational_field, "occupational_field", FIELD_MAX_LENGTH),
        address=_text(address, "address", ADDRESS_MAX_LENGTH),  # the form asks for it; a copy may hold a venue instead
        room_name=_text(room_name, "room_name", ROOM_MAX_LENGTH),
    )
    for field, grade in (("min_grade", min_grade), ("max_grade", max_grade)):
        if grade is not None and not LOWEST_GRADE <= grade <= HIGHEST_GRADE:
            raise DomainError(N_("Grades range from %(low)d to %(high)d."), field=field, low=LOWEST_GRADE, high=HIGHEST_GRADE)
    if min_grade is not None and max_grade is not None and min_grade > max_grade:
        raise DomainError(N_("The lowest grade may not be above the highest grade."), field="max_grade")
    if starts_at is None:
        raise DomainError(N_("Please enter the start."), field="starts_at")
    if ends_at is None:
        raise DomainError(N_("Please enter the end."), field="ends_at")
    if ends_at <= starts_at:
        raise DomainError(N_("The end must be after the start."), field="ends_at")
    if not 1 <= capacity <= MAX_CAPACITY:
        raise DomainError(N_("Please enter a number between %(low)d and %(high)d."), field="capacity", low=1, high=MAX_CAPACITY)
    if not 1 <= max_places_per_registration <= MAX_PLACES:
        raise DomainError(N_("Please enter a number between %(low)d and %(high)d."), field="max_places_per_registration",
                          low=1, high=MAX_PLACES)
    if registration_deadline is not None and registration_deadline > starts_at:
        raise DomainError(N_("The registration deadline must not be after the start."), field="registration_deadline")
    fields.update(min_grade=min_grade, max_grade=max_grade, starts_at=starts_at, ends_at=ends_at,
                  registration_deadline=registration_deadline, max_places_per_registration=max_places_per_registration,
                  waitlist_enabled=bool(waitlist_enabled))
    return fields, capacity


def create_event(actor, company: Organisation, now: datetime, **fields) -> EmployerEvent:
    """A new draft event of ``company`` (a start in the past is refused)."""
    _check_manager(actor, company)
    if company.kind is not OrganisationKind.company:
        raise NotAllowed(N_("You may not change this event."))
    cleaned, capacity = _clean(**fields)
    if cleaned["starts_at"] <= wall_clock(now):
        raise DomainError(N_("The start must be in the future."), field="starts_at")
    event = EmployerEvent(company=company, capacity=capacity, booked=0, created_at=now, updated_at=now, **cleaned)
    db.session.add(event)
    db.session.flush()
    audit.record(actor, "employer_event.create", event, now)
    return event


def update_event(actor, event: EmployerEvent, now: datetime, site: Site, **fields) -> EmployerEvent:
    """Change the event. A new time or place is mailed to every registrant (and raises the calendar
    sequence); a higher capacity promotes from the waitlist, a lower one may not go below the
    confirmed places."""
    _check_manager(actor, event.company)
    event = lock_for_update(event)
    if event.is_cancelled:
        raise DomainError(N_("This event has been cancelled."), field="title")
    cleaned, capacity = _clean(**fields)
    moved = any(getattr(event, name) != cleaned[name] for name in ("starts_at", "ends_at", "address", "room_name"))
    if moved and cleaned["starts_at"] != event.starts_at and cleaned["starts_at"] <= wall_clock(now):
        raise DomainError(N_("The start must be in the future."), field="starts_at")
    for name, value in cleaned.items():
        setattr(event, name, value)
    event.updated_at = now
    db.session.flush()
    _set_capacity(event, capacity)
    if moved:
        event.calendar_sequence += 1
        for registration in _active(event):
            mail_registrant(registration, "event_changed", site, now)
    promote(event, now, site)
    audit.record(actor, "employer_event.update", event, now, moved=moved)
    return event


def _set_capacity(event: EmployerEvent, capacity: int) -> None:
    """Capacity in SQL, never below the confirmed places as they are in the database."""
    result = db.session.execute(
        update(EmployerEvent).where(EmployerEvent.id == event.id, EmployerEvent.booked <= capacity)
        .values(capacity=capacity).execution_options(synchronize_session="fetch"))
    if result.rowcount != 1:
        db.session.refresh(event)
        raise DomainError(N_("%(n)d places are already confirmed; the capacity cannot be lower."), field="capacity",
                          n=event.booked)


def change_capacity(actor, event: EmployerEvent, capacity: int, now: datetime, site: Site) -> EmployerEvent:
    """Raise (promoting from the waitlist) or lower (to no less than the confirmed places) the capacity."""
    _check_manager(actor, event.company)
    event = lock_for_update(event)
    if not 1 <= capacity <= MAX_CAPACITY:
        raise DomainError(N_("Please enter a number between %(low)d and %(high)d."), field="capacity", low=1, high=MAX_CAPACITY)
    _set_capacity(event, capacity)
    event.updated_at = now
    promote(event, now, site)
    audit.record(actor, "employer_event.capacity", event, now, capacity=capacity)
    return event


def publish(actor, event: EmployerEvent, now: datetime) -> None:
    _check_manager(actor, event.company)
    if event.is_cancelled:
        raise DomainError(N_("This event has been cancelled."))
    if event.published_at is None:
        event.published_at = now
        event.updated_at = now
        audit.record(actor, "employer_event.publish", event, now)
    db.session.flush()


def unpublish(actor, event: EmployerEvent, now: datetime) -> None:
    """Back to a draft: invisible to the public (registrations are kept)."""
    _check_manager(actor, event.company)
    if event.published_at is not None:
        event.published_at = None
        event.updated_at = now
        audit.record(actor, "employer_event.unpublish", event, now)
    db.session.flush()


def duplicate(actor, event: EmployerEvent, starts_at: datetime, now: datetime) -> EmployerEvent:
    """A draft copy at ``starts_at`` (same duration, deadline as far before the start), no registrations."""
    _check_manager(actor, event.company)
    shift = starts_at - event.starts_at
    deadline = event.registration_deadline + shift if event.registration_deadline is not None else None
    fields = dict(kind=event.kind, title=event.title, description=event.description,
                  occupational_field=event.occupational_field, min_grade=event.min_grade, max_grade=event.max_grade,
                  address=event.address or (event.venue.address if event.venue else None), room_name=event.room_name,
                  starts_at=starts_at, ends_at=event.ends_at + shift, capacity=event.capacity,
                  registration_deadline=deadline, max_places_per_registration=event.max_places_per_registration,
                  waitlist_enabled=event.waitlist_enabled)
    copy = create_event(actor, event.company, now, **fields)
    copy.programme_id = event.programme_id
    copy.venue_id, copy.room_id = event.venue_id, event.room_id
    db.session.flush()
    return copy


def cancel_event(actor, event: EmployerEvent, now: datetime, site: Site) -> None:
    """Cancel: the event stays visible, marked as cancelled; every registrant gets a mail."""
    _check_manager(actor, event.company)
    event = lock_for_update(event)
    if event.is_cancelled:
        return
    event.cancelled_at = now
    event.updated_at = now
    event.calendar_sequence += 1
    db.session.flush()
    for registration in _active(event):
        mail_registrant(registration, "event_cancelled", site, now)
    audit.record(actor, "employer_event.cancel", event, now)


def gather(actor, programme: Programme, event: EmployerEvent, now: datetime, *, add: bool = True) -> None:
    """Put a published event into (or take it out of) the coordinator's programme."""
    from scheduler_app.domain.programmes import may_manage as may_manage_programme

    if not may_manage_programme(actor, programme) or not scope.works_with(actor, event.company):
        raise NotAllowed(N_("You may not change this event."))
    if add:
        if not is_public(event):
            raise DomainError(N_("Only published events can join a programme."))
        event.programme_id = programme.id
    elif event.programme_id == programme.id:
        event.programme_id = None
    event.updated_at = now
    db.session.flush()


# ---------------------------------------------------------------------------------------------
# registrations


def _active(event: EmployerEvent) -> list[EventRegistration]:
    return [r for r in event.registrations if r.status is not RegistrationStatus.cancelled]


WITH_CALENDAR_FILE = ("event_registration", "event_promoted", "event_changed", "event_cancelled", "event_reminder")


def calendar_attachment(event: EmployerEvent, site: Site, now: datetime) -> Attachment:
    """The event as an iCalendar entry (``METHOD:PUBLISH``) with the UID, sequence and state the feeds show."""
    from flask_babel import force_locale

    from scheduler_app.domain.calendar import build_calendar, uid_domain
    from scheduler_app.domain.feeds import FeedContext, employer_event_entry
    from scheduler_app.domain.meetings import MAIL_CALENDAR_TYPE

    base_url = site.base_url.rstrip("/")
    with force_locale("de"):
        entry = employer_event_entry(event, FeedContext(now=now, base_url=base_url, uid_domain=uid_domain(base_url)))
    body = build_calendar([entry], name=event.title, method="PUBLISH").decode("utf-8")
    return Attachment(f"employer-event-{event.id}.ics", MAIL_CALENDAR_TYPE, body)


def mail_registrant(registration: EventRegistration, template: str, site: Site, now: datetime, **extra) -> None:
    """A mail to the registrant (``templates/mail/<template>.txt``) with their personal link, and the
    event's calendar entry where the template is one of :data:`WITH_CALENDAR_FILE`. Registrants may be
    pupils: the mail counts as naming one (retention empties it 30 days after it went out; the job log
    leaves out its text). It is listed for the agency of the event's programme."""
    event = registration.event
    if registration.token_hash is None:  # made before links existed (migrated, demo): the link works from this mail on
        _set_token_hash(registration, site.key)
        db.session.flush()
    attachments = [calendar_attachment(event, site, now)] if template in WITH_CALENDAR_FILE else []
    queue_mail(registration.email, template, dict(registration=registration, event=event, link=site.registration_url(registration),
                                                  event_url=site.event_url(event), **extra), now, attachments=attachments,
               locale=registration.user.locale if registration.user else None, personal_data=True,
               agency_id=event.programme.agency_id if event.programme else None)


def normalise_email(email: str | None) -> str:
    return (email or "").strip().lower()


@dataclass(frozen=True)
class RegistrationResult:
    registration: EventRegistration | None
    duplicate: bool = False  # the address was already registered: the link was mailed again instead


def _check_places(event: EmployerEvent, places: int, field: str = "places") -> None:
    if not 1 <= places <= min(event.max_places_per_registration, MAX_PLACES):
        raise DomainError(N_("Please enter a number between %(low)d and %(high)d."), field=field, low=1,
                          high=event.max_places_per_registration)
    if places > event.capacity:
        raise DomainError(N_("This event has %(n)d places in all; a group this large cannot take part."), field=field,
                          n=event.capacity)


def register(event: EmployerEvent, *, name: str, email: str, places: int, now: datetime, site: Site,
             organisation_name: str | None = None, comment: str | None = None, consent: bool = True,
             user: User | None = None, school_class: SchoolClass | None = None,
             organisation: Organisation | None = None) -> RegistrationResult:
    """Register ``places`` places: confirmed if the whole group fits, else waitlisted (if the event
    keeps a waitlist), else refused. The same address twice gets its personal link mailed again."""
    name = _text(name, "name", NAME_MAX_LENGTH, N_("Please enter your name."))
    email = normalise_email(email)
    if not email or "@" not in email or len(email) > EMAIL_MAX_LENGTH:
        raise DomainError(N_("Please enter an e-mail address."), field="email")
    organisation_name = _text(organisation_name, "organisation", NAME_MAX_LENGTH)
    comment = _text(comment, "comment", COMMENT_MAX_LENGTH)
    if not consent:
        raise DomainError(N_("Please agree to the processing of your data."), field="consent")
    event = lock_for_update(event)
    if event is None or not is_public(event):
        raise DomainError(N_("This event is not open for registration."), field="places")
    if event.is_cancelled:
        raise DomainError(N_("This event has been cancelled."), field="places")
    if not registration_open(event, now):
        raise DomainError(N_("Registration for this event has closed."), field="places")
    existing = db.session.scalar(select(EventRegistration).where(
        EventRegistration.event_id == event.id, EventRegistration.email == email,
        EventRegistration.status != RegistrationStatus.cancelled))
    if existing is not None:
        mail_registrant(existing, "event_link_again", site, now)
        return RegistrationResult(existing, duplicate=True)
    _check_places(event, places)
    if take_event_places(event.id, places):
        status, position = RegistrationStatus.confirmed, None
    elif event.waitlist_enabled:
        status, position = RegistrationStatus.waitlisted, _last_position(event) + 1
    else:
        raise DomainError(N_("This event is full."), field="places")
    registration = EventRegistration(event_id=event.id, name=name, email=email, places=places,
                                     organisation_name=organisation_name, comment=comment,
                                     user_id=user.id if user else None, class_id=school_class.id if school_class else None,
                                     organisation_id=organisation.id if organisation else None, created_at=now,
                                     updated_at=now, status=status, waitlist_position=position)
    db.session.add(registration)
    with unique_violation_as("uq_event_registration_active_email",
                             DomainError(N_("This address is already registered."), field="email")):
        db.session.flush()
    _set_token_hash(registration, site.key)
    db.session.flush()
    db.session.refresh(event)  # its registrations, as they are now
    mail_registrant(registration, "event_registration", site, now)
    return RegistrationResult(registration)


def _last_position(event: EmployerEvent) -> int:
    return db.session.scalar(select(func.coalesce(func.max(EventRegistration.waitlist_position), 0))
                             .where(EventRegistration.event_id == event.id))


def _renumber(event: EmployerEvent) -> None:
    """Waiting positions 1, 2, … in their order, closing the gaps (positions only move down, in
    ascending order, so each target position is free when it is taken)."""
    db.session.flush()
    rows = db.session.execute(
        select(EventRegistration.id, EventRegistration.waitlist_position)
        .where(EventRegistration.event_id == event.id, EventRegistration.status == RegistrationStatus.waitlisted)
        .order_by(EventRegistration.waitlist_position)).all()
    for position, (registration_id, current) in enumerate(rows, start=1):
        if current != position:
            db.session.execute(update(EventRegistration).where(EventRegistration.id == registration_id)
                               .values(waitlist_position=position).execution_options(synchronize_session="fetch"))


def promote(event: EmployerEvent, now: datetime, site: Site) -> list[EventRegistration]:
    """Move waiting registrations into the free places, in order, whole groups only (a group that does
    not fit keeps its place; smaller ones behind it may move up). The caller holds the event's lock."""
    db.session.flush()
    db.session.refresh(event)
    promoted = []
    if not event.is_cancelled:
        for registration in waitlist(event):
            if registration.places <= event.capacity - event.booked and take_event_places(event.id, registration.places):
                registration.status = RegistrationStatus.confirmed
                registration.waitlist_position = None
                registration.updated_at = now
                promoted.append(registration)
                db.session.flush()
                db.session.refresh(event)
    _renumber(event)
    for registration in promoted:
        mail_registrant(registration, "event_promoted", site, now)
    return promoted


def _locked_registration(registration: EventRegistration) -> tuple[EmployerEvent, EventRegistration]:
    """Lock the registration's event, then read the registration as it is now."""
    event = lock_for_update(EmployerEvent, registration.event_id)
    db.session.refresh(registration)
    if registration.status is RegistrationStatus.cancelled:
        raise RegistrationUnknown(N_("This registration has been cancelled."))
    return event, registration


def change_places(registration: EventRegistration, places: int, now: datetime, site: Site) -> EventRegistration:
    """Fewer places (freed places promote others) or more (only if free now; a waiting group keeps its
    position with the new size)."""
    event, registration = _locked_registration(registration)
    if event.is_cancelled:
        raise DomainError(N_("This event has been cancelled."), field="places")
    if event.starts_at <= wall_clock(now):
        raise DomainError(N_("This event has already begun."), field="places")
    _check_places(event, places)
    delta = places - registration.places
    if delta == 0:
        return registration
    if registration.status is RegistrationStatus.confirmed:
        if delta > 0 and not take_event_places(event.id, delta):
            raise DomainError(N_("Only %(n)d more places are free."), field="places", n=max(event.capacity - event.booked, 0))
        if delta < 0:
            release_event_places(event.id, -delta)
    registration.places = places
    registration.updated_at = now
    promote(event, now, site)
    return registration


def cancel_registration(registration: EventRegistration, now: datetime, site: Site) -> None:
    """Cancel: the places go to the waitlist at once; the personal link stops working."""
    event, registration = _locked_registration(registration)
    if registration.status is RegistrationStatus.confirmed:
        release_event_places(event.id, registration.places)
    registration.status = RegistrationStatus.cancelled
    registration.waitlist_position = None
    registration.cancelled_at = now
    registration.updated_at = now
    db.session.flush()
    promote(event, now, site)


def mail_link_again(registration: EventRegistration, now: datetime, site: Site) -> None:
    mail_registrant(registration, "event_link_again", site, now)


# ---------------------------------------------------------------------------------------------
# on the day


def record_attendance(actor, registration: EventRegistration, attended: bool | None, now: datetime) -> None:
    _check_manager(actor, registration.event.company)
    if registration.status is not RegistrationStatus.confirmed:
        raise DomainError(N_("Only confirmed registrations can be checked in."))
    registration.attended = attended
    registration.updated_at = now
    db.session.flush()


def message_registrants(actor, event: EmployerEvent, subject: str, text: str, now: datetime, site: Site) -> int:
    """One message to every active registrant (as mails); returns how many were written."""
    _check_manager(actor, event.company)
    subject = _text(subject, "subject", 200, N_("Please enter a subject."))
    text = _text(text, "message", MESSAGE_MAX_LENGTH, N_("Please enter a message."))
    recipients = _active(event)
    for registration in recipients:
        mail_registrant(registration, "event_message", site, now, subject=subject, message=text)
    audit.record(actor, "employer_event.message", event, now, recipients=len(recipients))
    return len(recipients)


def attendance_rows(event: EmployerEvent) -> list[EventRegistration]:
    """The confirmed registrations, by name (names and group sizes only on the list)."""
    return sorted(confirmed(event), key=lambda r: (r.name.casefold(), r.id))


def default_deadline(starts_at: datetime) -> datetime:
    return starts_at - timedelta(days=1)


# ---------------------------------------------------------------------------------------------
# a programme's figures, for the coordinator's charts


@dataclass(frozen=True)
class ProgrammeFigures:
    fill: list[tuple[str, int, int]]  # (event, confirmed places, capacity)
    per_school: list[tuple[str, int]]  # (school or organisation, places registered, confirmed or waiting)
    waitlist: list[tuple[str, int]]  # (event, waiting places)
    attendance: list[tuple[str, int, int]]  # (past event, places attended, places no-show)


def programme_figures(programme: Programme, now: datetime) -> ProgrammeFigures:
    events = sorted(programme.employer_events, key=lambda e: (e.starts_at, e.id))
    per_school: dict[str, int] = {}
    attendance = []
    for event in events:
        for registration in _active(event):
            name = registration.organisation.name if registration.organisation else registration.organisation_name
            if name:
                per_school[name] = per_school.get(name, 0) + registration.places
        if event.ends_at <= wall_clock(now):
            present = sum(r.places for r in confirmed(event) if r.attended)
            absent = sum(r.places for r in confirmed(event) if r.attended is False)
            attendance.append((event.title, present, absent))
    return ProgrammeFigures(
        fill=[(event.title, event.booked, event.capacity) for event in events],
        per_school=sorted(per_school.items(), key=lambda item: (-item[1], item[0])),
        waitlist=[(event.title, waiting_places(event)) for event in events],
        attendance=attendance,
    )


PRIVACY_NOTICE_MAX_LENGTH = 20_000


def set_privacy_notice(actor, agency: Organisation, text: str | None, now: datetime) -> None:
    """The agency's privacy notice, linked from the registration forms of its events (empty: the default text)."""
    if agency.id not in scope.agency_ids(actor):
        raise NotAllowed(N_("You may not change this event."))
    agency.privacy_notice = _text(text, "text", PRIVACY_NOTICE_MAX_LENGTH)
    agency.updated_at = now
    db.session.flush()
    audit.record(actor, "agency.privacy_notice", agency, now)
