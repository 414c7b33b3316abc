"""Employer events in the calendar feeds: the registrant's (through the personal link), the programme's,
the school's, the company's and the coordinator's; what each holds and how changes show."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import force_locale

from scheduler_app.domain import employer_events as ev
from scheduler_app.domain import feeds
from scheduler_app.domain.feeds import FeedContext
from scheduler_app.extensions import db
from scheduler_app.models import FeedKind, OrganisationKind
from tests import factories

KEY = "test-feed-key"
NOW = datetime(2027, 1, 10, 9, 0)
CTX = FeedContext(now=NOW, base_url="https://bo.example", uid_domain="bo.example")
SITE = ev.Site("https://bo.example", "testing-secret")
START = datetime(2027, 4, 20, 15, 0)


def _text(kind: FeedKind, owner_id: int) -> str:
    feed = feeds.feed_for(kind, owner_id, KEY, NOW)
    return feeds.body(feeds.content(feed, CTX)).decode().replace("\r\n ", "")


def _world():
    coordinator = factories.make_coordinator()
    agency = factories.agency_of(coordinator)
    programme = factories.make_programme(agency, name="Woche der Jobcenter")
    company = factories.make_organisation(OrganisationKind.company, name="Hasetal Automobile", partner_of=agency)
    school = factories.make_organisation(OrganisationKind.school, name="Oberschule Bramsche")
    event = factories.make_employer_event(company=company, title="Tag der offenen Tür", starts_at=START, published_at=NOW,
                                          programme=programme, address="Hasestraße 40, Bramsche", capacity=5)
    draft = factories.make_employer_event(company=company, title="Geheimer Entwurf", starts_at=START, programme=programme)
    registration = ev.register(event, name="Frau Lehmann", email="lehmann@example.org", places=3, now=NOW, site=SITE,
                               organisation=school).registration
    db.session.flush()
    return dict(coordinator=coordinator, programme=programme, company=company, school=school, event=event, draft=draft,
                registration=registration)


def test_every_audience_sees_the_published_event_and_nobody_the_draft_or_a_name(db_session):
    w = _world()
    for kind, owner in ((FeedKind.programme, w["programme"].id), (FeedKind.school, w["school"].id),
                        (FeedKind.company, w["company"].id), (FeedKind.coordinator, w["coordinator"].id),
                        (FeedKind.registrant, w["registration"].id)):
        text = _text(kind, owner)
        assert f"UID:employer-event-{w['event'].id}@bo.example" in text, kind
        assert "DTSTART;TZID=Europe/Berlin:20270420T150000" in text and "Hasestraße 40" in text, kind
        assert "Frau Lehmann" not in text and "lehmann@example.org" not in text, kind
        if kind is not FeedKind.company:
            assert "Geheimer Entwurf" not in text, kind
    assert "3 von 5 Plätzen bestätigt\\, 0 wartend" in _text(FeedKind.company, w["company"].id)  # the owner's language


def test_a_new_time_raises_the_sequence_and_a_cancellation_shows_as_cancelled(db_session):
    w = _world()
    contact = factories.make_company_contact(w["company"])
    fields = dict(kind=w["event"].kind, title=w["event"].title, description=None, occupational_field=None, min_grade=None,
                  max_grade=None, address="Hasestraße 40, Bramsche", room_name=None, starts_at=START + timedelta(hours=1),
                  ends_at=START + timedelta(hours=3), capacity=5, registration_deadline=None, max_places_per_registration=10,
                  waitlist_enabled=True)
    ev.update_event(contact, w["event"], NOW, SITE, **fields)
    text = _text(FeedKind.registrant, w["registration"].id)
    assert "SEQUENCE:1" in text and "DTSTART;TZID=Europe/Berlin:20270420T160000" in text
    ev.cancel_event(contact, w["event"], NOW, SITE)
    text = _text(FeedKind.programme, w["programme"].id)
    assert "STATUS:CANCELLED" in text and "SEQUENCE:2" in text


def test_a_cancelled_registration_empties_the_registrants_feed_and_feeds_list_names_registrants(db_session):
    w = _world()
    with force_locale("de"):  # as `flask feeds list` runs it
        assert (FeedKind.registrant, w["registration"].id) in [(o.kind, o.owner_id) for o in feeds.feed_owners()]
        ev.cancel_registration(w["registration"], NOW, SITE)
        assert "BEGIN:VEVENT" not in _text(FeedKind.registrant, w["registration"].id)
        assert (FeedKind.registrant, w["registration"].id) not in [(o.kind, o.owner_id) for o in feeds.feed_owners()]
