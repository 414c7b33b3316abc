"""Employer events: creating, changing, publishing, cancelling; registrations and the group-aware waitlist."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from scheduler_app.domain import employer_events as ev
from scheduler_app.domain.errors import DomainError, NotAllowed
from scheduler_app.extensions import db
from scheduler_app.models import EmployerEventKind, OrganisationKind, OutgoingMail, RegistrationStatus
from tests.factories import (
    make_company_contact,
    make_coordinator,
    make_employer_event,
    make_organisation,
    make_school_contact,
)

NOW = datetime(2027, 1, 10, 9, 0)  # naive UTC
SITE = ev.Site("https://bo.example.org", "testing-secret")
START = datetime(2027, 4, 20, 15, 0)


def fields(**overrides) -> dict:
    values = dict(kind=EmployerEventKind.info_session, title="Infoabend Ausbildung", description="Wir stellen uns vor.",
                  occupational_field="Metall", min_grade=None, max_grade=None, address="Hafenstraße 1, 49074 Osnabrück",
                  room_name="Kantine", starts_at=START, ends_at=START + timedelta(hours=2), capacity=10,
                  registration_deadline=START - timedelta(days=1), max_places_per_registration=30, waitlist_enabled=True)
    values.update(overrides)
    return values


def published(capacity: int = 10, **extra):
    return make_employer_event(capacity=capacity, published_at=NOW, max_places_per_registration=30, **extra)


def reg(event, email: str, places: int = 1):
    return ev.register(event, name=email.split("@")[0], email=email, places=places, now=NOW, site=SITE).registration


def mails(template: str) -> list[OutgoingMail]:
    return list(db.session.scalars(select(OutgoingMail).where(OutgoingMail.template == template).order_by(OutgoingMail.id)))


def positions(event) -> list[tuple[str, int]]:
    db.session.refresh(event)
    return [(r.email, r.waitlist_position) for r in ev.waitlist(event)]


# --- events ------------------------------------------------------------------------------------


def test_a_company_contact_creates_a_draft_that_the_public_cannot_see(db_session):
    contact = make_company_contact()
    event = ev.create_event(contact, contact.companies[0], NOW, **fields())
    assert event.published_at is None and not ev.is_public(event)
    assert ev.state_of(event, NOW) == "draft"
    ev.publish(contact, event, NOW)
    assert ev.state_of(event, NOW) == "published" and ev.registration_open(event, NOW)


@pytest.mark.parametrize(("overrides", "field"), [
    (dict(ends_at=START - timedelta(minutes=1)), "ends_at"),
    (dict(starts_at=datetime(2026, 12, 1, 10), ends_at=datetime(2026, 12, 1, 12),
          registration_deadline=None), "starts_at"),
    (dict(capacity=0), "capacity"),
    (dict(title="  "), "title"),
    (dict(max_places_per_registration=51), "max_places_per_registration"),
    (dict(min_grade=10, max_grade=8), "max_grade"),
    (dict(registration_deadline=START + timedelta(days=1)), "registration_deadline"),
])
def test_bad_event_input_names_the_field_and_writes_nothing(db_session, overrides, field):
    contact = make_company_contact()
    with pytest.raises(DomainError) as caught:
        ev.create_event(contact, contact.companies[0], NOW, **fields(**overrides))
    assert caught.value.field == field


def test_only_the_companys_contacts_and_coordinators_working_with_it_manage_its_events(db_session):
    company = make_organisation(OrganisationKind.company)
    coordinator = make_coordinator()
    stranger = make_coordinator()
    ev_company = make_company_contact(company)
    agency = coordinator.memberships[0].organisation
    from tests.factories import make_partner
    make_partner(agency, company)
    assert ev.may_manage(ev_company, company) and ev.may_manage(coordinator, company)
    assert not ev.may_manage(stranger, company)
    assert not ev.may_manage(make_company_contact(), company) and not ev.may_manage(make_school_contact(), company)
    with pytest.raises(NotAllowed):
        ev.create_event(stranger, company, NOW, **fields())


def test_changing_time_mails_every_registrant_and_raises_the_sequence(db_session):
    contact = make_company_contact()
    event = published(company=contact.companies[0])
    reg(event, "a@example.org")
    reg(event, "b@example.org")
    ev.update_event(contact, event, NOW, SITE, **fields(starts_at=START + timedelta(hours=1), ends_at=START + timedelta(hours=3),
                                                         capacity=event.capacity))
    assert event.calendar_sequence == 1
    assert sorted(m.recipient for m in mails("event_changed")) == ["a@example.org", "b@example.org"]
    ev.update_event(contact, event, NOW, SITE, **fields(starts_at=START + timedelta(hours=1), ends_at=START + timedelta(hours=3),
                                                         capacity=event.capacity, title="Neuer Titel"))
    assert len(mails("event_changed")) == 2 and event.calendar_sequence == 1  # a new title is no new time or place


def test_cancelling_keeps_the_event_visible_mails_everyone_and_closes_registration(db_session):
    contact = make_company_contact()
    event = published(company=contact.companies[0], capacity=1)
    reg(event, "a@example.org")
    reg(event, "b@example.org")  # waiting
    ev.cancel_event(contact, event, NOW, SITE)
    assert ev.is_public(event) and ev.state_of(event, NOW) == "cancelled"
    assert sorted(m.recipient for m in mails("event_cancelled")) == ["a@example.org", "b@example.org"]
    assert "STATUS:CANCELLED" in mails("event_cancelled")[0].attachments[0]["text"]
    with pytest.raises(DomainError, match="cancelled"):
        reg(event, "c@example.org")


def test_capacity_cannot_go_below_the_confirmed_places_and_raising_it_promotes(db_session):
    contact = make_company_contact()
    event = published(company=contact.companies[0], capacity=4)
    reg(event, "a@example.org", 3)
    reg(event, "b@example.org", 2)  # waits
    db.session.commit()
    with pytest.raises(DomainError) as caught:
        ev.change_capacity(contact, event, 2, NOW, SITE)
    assert caught.value.field == "capacity"
    db.session.rollback()
    ev.change_capacity(contact, event, 5, NOW, SITE)
    assert event.booked == 5 and positions(event) == []
    assert [m.recipient for m in mails("event_promoted")] == ["b@example.org"]


def test_a_duplicate_is_a_draft_at_the_new_date_without_registrations(db_session):
    contact = make_company_contact()
    event = published(company=contact.companies[0], registration_deadline=START - timedelta(days=2))
    reg(event, "a@example.org")
    copy = ev.duplicate(contact, event, START + timedelta(days=7), NOW)
    assert copy.id != event.id and copy.published_at is None and copy.registrations == []
    assert copy.ends_at - copy.starts_at == event.ends_at - event.starts_at
    assert copy.registration_deadline == START + timedelta(days=5)


# --- registrations -----------------------------------------------------------------------------


def test_a_group_that_fits_is_confirmed_and_gets_a_personal_link(db_session):
    event = published(capacity=10)
    registration = reg(event, "Lehrerin@Schule.example", 8)
    assert registration.status is RegistrationStatus.confirmed and event.booked == 8
    assert registration.email == "lehrerin@schule.example"
    mail = mails("event_registration")[0]
    token = ev.registration_token(registration, SITE.key)
    assert len(token) >= 43 and token in mail.body and registration.token_hash != token
    assert ev.open_registration(token).id == registration.id
    calendar_file = mail.attachments[0]["text"]  # the same UID as in the calendar feeds
    assert f"UID:employer-event-{event.id}@bo.example.org" in calendar_file and "METHOD:PUBLISH" in calendar_file


def test_a_group_that_does_not_fit_waits_whole_never_half_confirmed(db_session):
    event = published(capacity=5)
    reg(event, "a@example.org", 3)
    group = reg(event, "b@example.org", 3)
    assert group.status is RegistrationStatus.waitlisted and group.waitlist_position == 1
    assert event.booked == 3


def test_without_waitlist_a_full_event_refuses(db_session):
    event = published(capacity=2, waitlist_enabled=False)
    reg(event, "a@example.org", 2)
    with pytest.raises(DomainError, match="full"):
        reg(event, "b@example.org")


@pytest.mark.parametrize("places", [0, 31, 11])
def test_places_outside_the_range_or_above_the_capacity_are_refused(db_session, places):
    event = published(capacity=10)
    with pytest.raises(DomainError) as caught:
        reg(event, "a@example.org", places)
    assert caught.value.field == "places"


def test_after_the_deadline_registration_is_closed(db_session):
    event = published(registration_deadline=datetime(2027, 1, 1, 12))
    with pytest.raises(DomainError, match="closed"):
        reg(event, "a@example.org")


def test_a_draft_cannot_be_registered_for(db_session):
    event = make_employer_event()
    with pytest.raises(DomainError):
        reg(event, "a@example.org")


def test_the_same_address_twice_gets_the_link_again_not_a_second_registration(db_session):
    event = published()
    first = reg(event, "a@example.org", 2)
    again = ev.register(event, name="A", email=" A@example.org ", places=5, now=NOW, site=SITE)
    assert again.duplicate and again.registration.id == first.id
    assert len(event.registrations) == 1 and event.booked == 2
    assert ev.registration_token(first, SITE.key) in mails("event_link_again")[0].body


def test_consent_is_required(db_session):
    event = published()
    with pytest.raises(DomainError) as caught:
        ev.register(event, name="A", email="a@example.org", places=1, now=NOW, site=SITE, consent=False)
    assert caught.value.field == "consent"


def test_a_cancelled_or_unknown_link_opens_nothing(db_session):
    event = published()
    registration = reg(event, "a@example.org")
    token = ev.registration_token(registration, SITE.key)
    ev.cancel_registration(registration, NOW, SITE)
    for bad in (token, "x" * 43, "", "y" * 500):
        with pytest.raises(ev.RegistrationUnknown):
            ev.open_registration(bad)


# --- the waitlist ------------------------------------------------------------------------------


def test_a_cancellation_promotes_in_order_and_a_big_group_keeps_its_place_at_the_head(db_session):
    event = published(capacity=6)
    leaving = reg(event, "leaving@example.org", 2)
    reg(event, "stays@example.org", 4)
    reg(event, "big@example.org", 5)  # position 1
    reg(event, "small@example.org", 2)  # position 2
    reg(event, "one@example.org", 1)  # position 3
    assert positions(event) == [("big@example.org", 1), ("small@example.org", 2), ("one@example.org", 3)]

    ev.cancel_registration(leaving, NOW, SITE)

    assert positions(event) == [("big@example.org", 1), ("one@example.org", 2)]  # no gap
    assert event.booked == 6
    assert [m.recipient for m in mails("event_promoted")] == ["small@example.org"]


def test_lowering_places_promotes_and_a_waiting_group_that_shrinks_moves_up(db_session):
    event = published(capacity=4)
    first = reg(event, "a@example.org", 4)
    waiting = reg(event, "b@example.org", 3)
    ev.change_places(waiting, 2, NOW, SITE)
    assert waiting.status is RegistrationStatus.waitlisted and waiting.waitlist_position == 1
    ev.change_places(first, 2, NOW, SITE)
    assert waiting.status is RegistrationStatus.confirmed and event.booked == 4
    assert [m.recipient for m in mails("event_promoted")] == ["b@example.org"]


def test_raising_places_only_when_free(db_session):
    event = published(capacity=6)
    registration = reg(event, "a@example.org", 2)
    reg(event, "b@example.org", 2)
    ev.change_places(registration, 4, NOW, SITE)
    assert event.booked == 6
    with pytest.raises(DomainError, match="more places"):
        ev.change_places(registration, 5, NOW, SITE)


def test_a_registration_without_a_link_gets_a_working_one_with_its_next_mail(db_session):
    event = published()
    registration = reg(event, "a@example.org")
    registration.token_hash = None  # as migrated registrations and the demo's have none
    db.session.flush()
    ev.register(event, name="A", email="a@example.org", places=1, now=NOW, site=SITE)
    token = ev.registration_token(registration, SITE.key)
    assert token in mails("event_link_again")[0].body and ev.open_registration(token).id == registration.id
