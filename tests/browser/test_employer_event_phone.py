"""An employer event's waitlist in a real browser on a phone screen: a teacher registers a group of 3
for an event with 2 free places and lands on the waitlist; another registrant cancels through the
personal link in their mail; the group moves up, and the promotion mail is in the outbox.
Screenshots go to test-artifacts/."""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from scheduler_app.domain import employer_events as ev
from scheduler_app.extensions import db
from scheduler_app.models import EventRegistration, OutgoingMail, RegistrationStatus
from scheduler_app.models_base import utc_now
from tests import factories
from tests.browser.conftest import fits_the_phone

pytestmark = pytest.mark.browser


@pytest.fixture
def event_with_two_free_places(live_server):
    with live_server.app.app_context():
        starts = (utc_now() + timedelta(days=14)).replace(hour=16, minute=0, second=0, microsecond=0)
        event = factories.make_employer_event(title="Tag der offenen Tür", capacity=3, starts_at=starts, published_at=utc_now(),
                                              address="Hasestraße 40, 49565 Bramsche", max_places_per_registration=30)
        ev.register(event, name="Erste Person", email="erste@example.org", places=1, now=utc_now(),
                    site=ev.Site(live_server.app.config["PUBLIC_BASE_URL"], live_server.app.config["SECRET_KEY"]))
        db.session.commit()
        return event.id


def _link_path(app, email: str, template: str) -> str:
    with app.app_context():
        body = db.session.scalars(select(OutgoingMail.body).where(OutgoingMail.recipient == email,
                                                                  OutgoingMail.template == template)).one()
    return urlsplit(re.search(r"https?://\S+/registration/\S+", body).group(0)).path


def test_a_group_waits_on_a_phone_and_moves_up_when_someone_cancels(live_server, browser_page, screenshot,
                                                                    event_with_two_free_places):
    page, url, event_id = browser_page, live_server.url, event_with_two_free_places

    page.goto(f"{url}/events/")
    page.get_by_role("link", name="Tag der offenen Tür").click()
    assert urlsplit(page.url).path == f"/events/{event_id}/tag-der-offenen-tuer"
    page.wait_for_selector("text=noch 2 Plätze frei")
    page.get_by_label("Ihr Name").fill("Frau Lehmann")
    page.get_by_label("E-Mail-Adresse").fill("lehmann@schule.example")
    page.get_by_label("Anzahl der Plätze").fill("3")
    page.get_by_label("Organisation oder Schule (freiwillig)").fill("Realschule Bramsche, 9b")
    page.get_by_label("Ich willige in die Verarbeitung meiner Daten für diese Anmeldung ein.").check()
    assert fits_the_phone(page)
    screenshot(page, "1-registration-form")
    page.get_by_role("button", name="Jetzt anmelden").click()
    page.wait_for_selector("h1:has-text('Ihre Anmeldung')")
    assert page.get_by_text("Auf der Warteliste mit 3 Plätzen, auf Position 1.").is_visible()
    assert fits_the_phone(page)
    screenshot(page, "2-on-the-waitlist")

    page.context.clear_cookies()  # another person, on another phone
    page.goto(url + _link_path(live_server.app, "erste@example.org", "event_registration"))
    page.get_by_role("button", name="Meine Anmeldung stornieren").click()
    page.wait_for_selector("text=Ihre Anmeldung wurde storniert.")
    screenshot(page, "3-cancelled")

    with live_server.app.app_context():
        group = db.session.scalars(select(EventRegistration).where(EventRegistration.email == "lehmann@schule.example")).one()
        assert group.status is RegistrationStatus.confirmed and group.places == 3
    page.goto(url + _link_path(live_server.app, "lehmann@schule.example", "event_promoted"))
    assert page.get_by_text("Bestätigt: 3 Plätze.").is_visible()
    screenshot(page, "4-moved-up")
