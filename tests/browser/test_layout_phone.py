"""The layout on a phone in a real browser: sign in, switch language, no sideways scrolling, skip link."""
from datetime import date

import pytest

from scheduler_app.extensions import db
from scheduler_app.models_base import utc_now
from tests import factories
from tests.browser.conftest import fits_the_phone

pytestmark = pytest.mark.browser


@pytest.fixture
def coordinator_with_programme(live_server):
    with live_server.app.app_context():
        coordinator = factories.make_coordinator(email="koordination@example.org")
        programme = factories.make_programme(coordinator.memberships[0].organisation, name="Berufsorientierungstage Landkreis 2027")
        day = factories.make_career_day(programme, name="Ausbildungsbörse mit sehr langem Namen", day=date(utc_now().year + 1, 3, 10))
        factories.make_offer(day)
        db.session.commit()
    return "koordination@example.org"


def test_coordinator_uses_the_dashboard_on_a_phone_in_german_and_english(live_server, browser_page, screenshot, coordinator_with_programme):
    page = browser_page
    page.goto(f"{live_server.url}/auth/login")
    page.get_by_label("E-Mail-Adresse").fill(coordinator_with_programme)
    page.get_by_label("Passwort").fill(factories.PASSWORD)
    page.locator("main").get_by_role("button", name="Anmelden").click()

    page.wait_for_url(f"{live_server.url}/coordinator/")
    assert page.locator("h1").inner_text() == "Übersicht"
    assert page.locator("html").get_attribute("lang") == "de"
    assert fits_the_phone(page)
    screenshot(page, "dashboard-de")

    page.get_by_role("button", name="English").click()
    page.wait_for_selector("html[lang=en]")
    assert page.url == f"{live_server.url}/coordinator/"
    assert page.locator("h1").inner_text() == "Overview"
    assert page.get_by_role("link", name="Berufsorientierungstage Landkreis 2027").is_visible()
    assert fits_the_phone(page)
    screenshot(page, "dashboard-en")

    for target in page.locator("header a, header button, main .button").all():
        box = target.bounding_box()
        assert box is not None and box["height"] >= 44, f"touch target too small: {target.inner_text()!r} {box}"


def test_skip_link_is_the_first_tab_stop_and_visible_when_focused(live_server, browser_page, screenshot):
    page = browser_page
    page.goto(f"{live_server.url}/")

    page.keyboard.press("Tab")

    focused = page.evaluate("document.activeElement.className")
    assert focused == "skip-link"
    box = page.locator(".skip-link").bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= 390
    screenshot(page, "skip-link")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
