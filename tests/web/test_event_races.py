"""Many people register for the last places of an employer event at once, and cancellations race
promotions: against a live gunicorn server (4 sync workers, on a SQLite file or a throwaway
PostgreSQL database, whichever the suite runs on), threads fire the public forms at the same moment.
After each race: no 5xx, confirmed places equal the counter and never exceed the capacity, waiting
positions are 1..k without gaps, no waiting group fits into the free places, and every promoted
registration has its mail."""
from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from scheduler_app.domain import employer_events as ev
from scheduler_app.extensions import db
from scheduler_app.models import EmployerEvent, EventRegistration, OutgoingMail, RegistrationStatus
from scheduler_app.models_base import utc_now
from tests import factories
from tests.live_server import Browser, race

pytestmark = pytest.mark.slow
KEY = "testing-secret"  # the live server's SECRET_KEY (TestingConfig), from which personal links are derived


def _event(capacity: int) -> EmployerEvent:
    starts = (utc_now() + timedelta(days=20)).replace(hour=15, minute=0, second=0, microsecond=0)
    return factories.make_employer_event(capacity=capacity, starts_at=starts, published_at=utc_now(),
                                         max_places_per_registration=10, address="Hafenstraße 1")


def _problems(event_id: int) -> list[str]:
    """Every rule of the waitlist the event's rows break, read fresh from the database."""
    db.session.expire_all()
    event = db.session.get(EmployerEvent, event_id)
    rows = list(db.session.scalars(select(EventRegistration).where(EventRegistration.event_id == event_id)
                                   .order_by(EventRegistration.id)))
    confirmed = sum(r.places for r in rows if r.status is RegistrationStatus.confirmed)
    waiting = sorted((r for r in rows if r.status is RegistrationStatus.waitlisted), key=lambda r: r.waitlist_position)
    problems = []
    if confirmed != event.booked or confirmed > event.capacity:
        problems.append(f"confirmed {confirmed}, booked {event.booked}, capacity {event.capacity}")
    if [r.waitlist_position for r in waiting] != list(range(1, len(waiting) + 1)):
        problems.append(f"positions {[r.waitlist_position for r in waiting]}")
    if [r.id for r in waiting] != sorted(r.id for r in waiting):
        problems.append("the waitlist is not in the order of registration")
    fitting = [r.id for r in waiting if r.places <= event.capacity - event.booked]
    if fitting:
        problems.append(f"waiting registrations {fitting} fit into {event.capacity - event.booked} free places")
    promoted = {r.email for r in rows if r.status is RegistrationStatus.confirmed}
    mailed = set(db.session.scalars(select(OutgoingMail.recipient).where(OutgoingMail.template == "event_promoted")))
    if mailed - promoted:
        problems.append(f"promotion mails to registrations that are not confirmed: {mailed - promoted}")
    return problems


def _no_server_errors(answers, server) -> Counter:
    statuses = Counter(answer.status for answer in answers)
    assert not [s for s in statuses if s >= 500], f"server errors {statuses}:\n{server.log()[-5000:]}"
    return statuses


def _form(index: int, places: int, token: str) -> dict:
    return {"name": f"Person {index}", "email": f"race{index}@example.org", "places": str(places), "organisation": "",
            "comment": "", "consent": "y", "csrf_token": token}


def test_40_people_registering_for_10_places_at_once_never_overbook(live_app, live_server):
    with live_app.app_context():
        event_id = _event(capacity=10).id
        db.session.commit()
    visitor = Browser(live_server.url)
    token = live_server.warm_up(visitor, f"/events/{event_id}")

    answers = race(40, lambda i: visitor.copy().post(f"/events/{event_id}/register", _form(i, 1 + i % 3, token)))

    statuses = _no_server_errors(answers, live_server)
    assert statuses == {302: 40}  # each is confirmed or waits: the waitlist is on
    with live_app.app_context():
        assert _problems(event_id) == []
        event = db.session.get(EmployerEvent, event_id)
        assert event.capacity - event.booked < 3 and len(event.registrations) == 40


def test_the_same_form_sent_20_times_at_once_registers_once(live_app, live_server):
    with live_app.app_context():
        event_id = _event(capacity=10).id
        db.session.commit()
    visitor = Browser(live_server.url)
    token = live_server.warm_up(visitor, f"/events/{event_id}")

    answers = race(20, lambda _i: visitor.copy().post(f"/events/{event_id}/register", _form(7, 2, token)))

    _no_server_errors(answers, live_server)
    assert all(answer.status in (302, 422) for answer in answers)
    with live_app.app_context():
        assert len(db.session.scalars(select(EventRegistration).where(EventRegistration.event_id == event_id)).all()) == 1
        assert _problems(event_id) == []


def test_cancellations_racing_promotions_and_new_registrations_keep_the_waitlist_rule(live_app, live_server):
    site = ev.Site(live_server.url, KEY)
    with live_app.app_context():
        event = _event(capacity=8)
        links = []
        for index in range(8):  # eight confirmed singles, then groups of 1–3 waiting
            registration = ev.register(event, name=f"K{index}", email=f"keep{index}@example.org", places=1, now=utc_now(),
                                       site=site).registration
            links.append("/registration/" + ev.registration_token(registration, KEY))
        for index in range(10):
            ev.register(event, name=f"W{index}", email=f"wait{index}@example.org", places=1 + index % 3, now=utc_now(), site=site)
        db.session.commit()
        event_id = event.id
    visitor = Browser(live_server.url)
    token = live_server.warm_up(visitor, f"/events/{event_id}")
    cancel_token = visitor.csrf_token(links[0])

    def act(i: int):
        if i < 8:
            return visitor.copy().post(f"{links[i]}/cancel", {"csrf_token": cancel_token})
        return visitor.copy().post(f"/events/{event_id}/register", _form(100 + i, 1 + i % 2, token))

    answers = race(20, act)

    _no_server_errors(answers, live_server)
    assert all(answer.status == 302 for answer in answers)
    with live_app.app_context():
        assert _problems(event_id) == []
        mails = db.session.scalars(select(OutgoingMail.recipient).where(OutgoingMail.template == "event_promoted")).all()
        assert len(mails) == len(set(mails)) > 0  # each promoted person once
        assert all(re.fullmatch(r"(wait\d|race\d+)@example\.org", m) for m in mails)
