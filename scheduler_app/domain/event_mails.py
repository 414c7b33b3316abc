"""Mails about employer events: the registration's confirmation (or waitlist place) and the calendar
entry attached to them, with the UID the calendar feeds use (``employer-event-<id>@<host>``)."""
from __future__ import annotations

from datetime import datetime

from scheduler_app.domain.calendar import CalendarEntry, build_calendar, uid, uid_domain
from scheduler_app.domain.mail import Attachment, queue_mail
from scheduler_app.models import EmployerEvent, EventRegistration, RegistrationStatus

CALENDAR_TYPE = "text/calendar; method=PUBLISH; charset=utf-8"


def event_attachment(event: EmployerEvent, base_url: str) -> Attachment:
    entry = CalendarEntry(uid=uid("employer-event", event.id, domain=uid_domain(base_url)), summary=event.title,
                          starts_at=event.starts_at, ends_at=event.ends_at, last_modified=event.updated_at,
                          location=event.venue.address if event.venue else None, description=event.description)
    body = build_calendar([entry], name=event.title, method="PUBLISH").decode("utf-8")
    return Attachment(f"employer-event-{event.id}.ics", CALENDAR_TYPE, body)


def _context(registration: EventRegistration) -> dict:
    event = registration.event
    return {"name": registration.name, "event": event, "company": event.company.name, "places": registration.places,
            "position": registration.waitlist_position, "place": event.venue.address if event.venue else None,
            "confirmed": registration.status is RegistrationStatus.confirmed}


def mail_registration(registration: EventRegistration, now: datetime, base_url: str, template: str = "event_registration") -> None:
    """The registration's state (confirmed, or its place on the waitlist), or with ``template`` the
    reminder before the event; confirmed registrations get the calendar entry. Registrants may be
    pupils: the mail counts as naming one (retention empties it 30 days after it went out, and the
    job log leaves out its text)."""
    confirmed = registration.status is RegistrationStatus.confirmed
    queue_mail(registration.email, template, _context(registration), now,
               locale=registration.user.locale if registration.user else None,
               attachments=[event_attachment(registration.event, base_url)] if confirmed else [], personal_data=True,
               agency_id=registration.event.programme.agency_id if registration.event.programme else None)
