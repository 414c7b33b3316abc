"""The waitlist rule under random sequences of register / cancel / change places / change capacity /
cancel event, checked after every step: confirmed places never exceed the capacity and equal the
counter; no waiting group fits into the free places (promotion is eager); positions are 1..k without
gaps, in the order of registration; every promotion wrote a mail to the promoted person, and only then."""
from __future__ import annotations

from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from scheduler_app.domain import employer_events as ev
from scheduler_app.domain.errors import DomainError
from scheduler_app.extensions import db
from scheduler_app.models import EventRegistration, OutgoingMail, RegistrationStatus
from tests.factories import make_company_contact, make_employer_event

NOW = datetime(2027, 1, 10, 9, 0)
SITE = ev.Site("https://bo.example.org", "testing-secret")

# (what, a, b): register b places; cancel registration a; change registration a to b places; capacity a % 12 + 1.
# Registrations are the most frequent step, cancelling the event a rare one (after it, little else happens).
KINDS = ["register"] * 5 + ["cancel"] * 3 + ["places"] * 2 + ["capacity"] * 2 + ["cancel_event"]
steps = st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 30), st.integers(1, 5)), min_size=5, max_size=40)


def _mail_count(template: str, recipient: str | None = None) -> int:
    query = select(OutgoingMail).where(OutgoingMail.template == template)
    if recipient is not None:
        query = query.where(OutgoingMail.recipient == recipient)
    return len(db.session.scalars(query).all())


def _check(event) -> None:
    db.session.refresh(event)
    rows = list(db.session.scalars(select(EventRegistration).where(EventRegistration.event_id == event.id)
                                   .order_by(EventRegistration.id)))
    confirmed = sum(r.places for r in rows if r.status is RegistrationStatus.confirmed)
    assert confirmed == event.booked <= event.capacity
    waiting = [r for r in rows if r.status is RegistrationStatus.waitlisted]
    assert [r.waitlist_position for r in waiting] == list(range(1, len(waiting) + 1))  # unique, gapless, in order
    if not event.is_cancelled:
        free = event.capacity - event.booked
        assert all(r.places > free for r in waiting), "a waiting group fits into the free places"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(script=steps, waitlist=st.booleans())
def test_random_sequences_keep_the_waitlist_rule_after_every_step(db_session, script, waitlist):
    contact = make_company_contact()
    event = make_employer_event(company=contact.companies[0], capacity=6, published_at=NOW,
                                max_places_per_registration=5, waitlist_enabled=waitlist)
    prefix = f"e{event.id}-"
    registrations: list[EventRegistration] = []
    for number, step in enumerate(script):
        before = {r.id: r.status for r in registrations}
        promoted_mails_before = {r.id: _mail_count("event_promoted", r.email) for r in registrations}
        mails_before = _mail_count("event_registration")
        try:
            what, a, b = step
            if what == "register":
                result = ev.register(event, name="P", email=f"{prefix}{number}@example.org", places=b, now=NOW, site=SITE)
                registrations.append(result.registration)
                assert _mail_count("event_registration") == mails_before + 1
            elif what == "cancel" and registrations:
                ev.cancel_registration(registrations[a % len(registrations)], NOW, SITE)
            elif what == "places" and registrations:
                ev.change_places(registrations[a % len(registrations)], b, NOW, SITE)
            elif what == "capacity":
                ev.change_capacity(contact, event, a % 12 + 1, NOW, SITE)
            elif what == "cancel_event":
                ev.cancel_event(contact, event, NOW, SITE)
        except (DomainError, ev.RegistrationUnknown):
            assert _mail_count("event_registration") == mails_before  # a refused step writes no mail
        _check(event)
        for registration in registrations:
            db.session.refresh(registration)
            was = before.get(registration.id)
            moved_up = was is RegistrationStatus.waitlisted and registration.status is RegistrationStatus.confirmed
            new_promotion_mails = _mail_count("event_promoted", registration.email) - promoted_mails_before.get(registration.id, 0)
            assert new_promotion_mails == (1 if moved_up else 0), f"step {step}: promotion mail for {registration.email}"
