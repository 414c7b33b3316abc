"""A small career day walked through by every role in a real browser on a phone screen: the company
books an offer, the teacher registers a class and uploads its roster, two students rank their wishes
with their codes, the coordinator allocates (the job sweep runs the queue, as the job process would)
and publishes, and the teacher opens the route sheets. Screenshots go to test-artifacts/."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from scheduler_app import jobs
from scheduler_app.extensions import db
from scheduler_app.models import OrganisationKind, SchoolClass, Student
from scheduler_app.models_base import utc_now
from tests import factories
from tests.browser.conftest import fits_the_phone
from tests.domain.allocation_data import require_solver

pytestmark = pytest.mark.browser

COORDINATOR, COMPANY, TEACHER = "koordination@example.org", "ausbildung@hydraulik.example", "lehrkraft@schule.example"


@pytest.fixture
def small_day(live_server):
    """A day with three rounds where students rank two offers and attend two; another company's offer
    is booked already (made with a factory); a company contact and a teacher have accounts."""
    with live_server.app.app_context():
        coordinator = factories.make_coordinator(email=COORDINATOR)
        programme = factories.make_programme(coordinator.memberships[0].organisation, name="BO-Tage Landkreis")
        career_day = factories.make_career_day(programme, name="BO-Tag Bramsche", day=date(utc_now().year + 1, 3, 10),
                                               wishes_count=2, slots_per_student=2)
        factories.make_offer(career_day, company=factories.make_organisation(OrganisationKind.company, name="Klinikum"),
                             title="Pflege erleben", capacity=10)
        factories.make_company_contact(factories.make_organisation(OrganisationKind.company, name="Hydraulik Nord"),
                                       email=COMPANY)
        factories.make_school_contact(factories.make_organisation(OrganisationKind.school, name="Realschule Bramsche"),
                                      email=TEACHER)
        db.session.commit()
        return career_day.id


def sign_in(page, url, email):
    page.context.clear_cookies()
    page.goto(f"{url}/auth/login")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort").fill(factories.PASSWORD)
    page.locator("main").get_by_role("button", name="Anmelden").click()
    page.wait_for_selector("h1:has-text('Übersicht')")


def allocate_and_publish(page, app, day_url: str) -> None:
    """On the day's page: start the allocation, let the job sweep run it, wait for the result,
    close wishes early and publish (the caller waits for the confirmation it expects)."""
    page.goto(day_url)
    page.get_by_role("button", name="Zuteilung starten").click()
    page.wait_for_selector("#allocation-bar")
    assert jobs.run_due_allocations(app) == 1
    page.wait_for_selector("#chart-histogram", timeout=15_000)
    page.get_by_label("Wünsche, Anmeldung und Buchung jetzt schließen, vor der Wunschfrist").check()
    page.get_by_role("button", name="Diese Zuteilung veröffentlichen").click()


def test_a_career_day_from_booking_to_route_sheets_in_the_browser(live_server, browser_page, screenshot, small_day, tmp_path):
    require_solver()
    page, url = browser_page, live_server.url

    # the company books an offer in every round
    sign_in(page, url, COMPANY)
    page.get_by_role("link", name="Angebot buchen").first.click()
    page.get_by_role("link", name="Angebot buchen").first.click()
    page.get_by_label("Titel").fill("Mechatronik erleben")
    page.get_by_label("Beschreibung").fill("Wir bauen gemeinsam eine kleine Hydraulik.")
    page.get_by_label("Berufsfeld").fill("Metall und Elektro")
    page.get_by_label("Plätze pro Runde").fill("10")
    assert page.get_by_label("Runde 1 (08:30–09:15)").is_checked()
    screenshot(page, "1-company-books")
    page.get_by_role("button", name="Buchen").click()
    page.wait_for_selector("text=„Mechatronik erleben“ ist gebucht.")
    assert fits_the_phone(page)
    screenshot(page, "2-company-booked")

    # the teacher registers class 9b and uploads its roster
    sign_in(page, url, TEACHER)
    page.get_by_role("link", name="Klasse anmelden").first.click()
    page.get_by_label("Klasse", exact=True).fill("9b")
    page.get_by_label("Jahrgangsstufe").fill("9")
    page.get_by_label("Anzahl der Schülerinnen und Schüler").fill("2")
    page.get_by_role("button", name="Klasse anmelden").click()
    page.wait_for_selector("h1:has-text('Klasse 9b')")
    roster = tmp_path / "9b.csv"
    roster.write_bytes("Name\r\nLena K.\r\nBen S.\r\n".encode("utf-8-sig"))
    page.get_by_label("Klassenliste als Datei (CSV oder Excel)").set_input_files(roster)
    page.get_by_role("button", name="Hochladen und hinzufügen").click()
    page.wait_for_selector("text=2 Schülerinnen und Schüler aus der Datei hinzugefügt.")
    assert fits_the_phone(page)
    screenshot(page, "3-teacher-roster")
    page.get_by_role("link", name="Klassenblatt mit Codes drucken").click()
    page.wait_for_selector("svg.qr-code")
    screenshot(page, "4-class-sheet")
    with live_server.app.app_context():
        school_class = db.session.scalar(select(SchoolClass))
        class_code = school_class.class_code
        codes = {s.display_name: s.personal_code for s in school_class.students}
    assert page.get_by_text(codes["Lena K."]).is_visible()

    # two students rank their wishes on their phones, with the class code from the QR code's address
    wishes = {"Lena K.": ["Mechatronik erleben (Hydraulik Nord)", "Pflege erleben (Klinikum)"],
              "Ben S.": ["Pflege erleben (Klinikum)", "Mechatronik erleben (Hydraulik Nord)"]}
    for name, ranked in wishes.items():
        page.context.clear_cookies()
        page.goto(f"{url}/wishes/#{class_code}")  # the QR code: the class code in the fragment, filled in by wishes.js
        assert page.get_by_label("Klassencode").input_value() == class_code
        page.get_by_label("Dein persönlicher Code").fill(codes[name].lower())
        page.get_by_role("button", name="Weiter").click()
        for offer in ranked:  # the cards: add in order of preference, no JavaScript needed
            page.get_by_role("button", name=f"Zu meinen Wünschen: {offer.split(' (')[0]}").click()
        assert fits_the_phone(page)
        screenshot(page, f"5-wishes-{name[0]}")
        page.get_by_role("button", name="Meine Wünsche speichern").click()
        page.wait_for_selector("h1:has-text('Deine Wünsche sind gespeichert')")
        assert page.locator(".ranked-wishes li").all_inner_texts()[0].startswith(ranked[0].split(" (")[0])
        assert fits_the_phone(page)
        screenshot(page, f"6-confirmation-{name[0]}")

    # the coordinator starts the allocation, the job sweep runs it, the coordinator publishes
    sign_in(page, url, COORDINATOR)
    allocate_and_publish(page, live_server.app, f"{url}/coordinator/career-days/{small_day}")
    page.wait_for_selector("text=veröffentlicht")
    screenshot(page, "7-published")

    # the teacher opens the route sheets of the class
    sign_in(page, url, TEACHER)
    page.get_by_role("link", name="BO-Tag Bramsche", exact=True).click()
    page.get_by_role("link", name="9b", exact=True).click()
    page.get_by_role("link", name="Laufzettel", exact=True).click()
    page.wait_for_selector("article.route-sheet")
    sheets = page.locator("article.route-sheet")
    assert sheets.count() == 2
    text = " ".join(sheets.all_inner_texts())
    assert "Lena K." in text and "Ben S." in text
    assert "Mechatronik erleben" in text and "Pflege erleben" in text
    with live_server.app.app_context():
        assert db.session.scalar(select(Student).where(Student.display_name == "Lena K.")).wishes_submitted_at is not None
    screenshot(page, "8-route-sheets")
