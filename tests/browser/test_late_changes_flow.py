"""Version 2 of a plan in a real browser on a phone screen: the coordinator publishes version 1, then
registers a class late for a school, sees it pending on the day's page, re-plans (the job sweep runs
the queue, as the job process would), sees who changes and why, publishes version 2; version 1 stays
readable, and the school's teacher has a mail in the outbox. Screenshots go to test-artifacts/."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from scheduler_app import jobs
from scheduler_app.extensions import db
from scheduler_app.domain.allocation import publish
from scheduler_app.models import CareerDay, LateChange, OrganisationKind, OutgoingMail, Publication, Student, User
from scheduler_app.models_base import utc_now
from tests import factories
from tests.browser.conftest import fits_the_phone
from tests.browser.test_career_day_end_to_end import allocate_and_publish, sign_in
from tests.domain.allocation_data import allocate, make_preference, require_solver

pytestmark = pytest.mark.browser

COORDINATOR, TEACHER = "koordination@example.org", "lehrkraft@schule.example"


@pytest.fixture
def ranked_day(live_server):
    """A day of three rounds with two offers; class 9b of the teacher's school has two students who
    ranked both offers (made with factories: the first pass is the end-to-end test's)."""
    with live_server.app.app_context():
        coordinator = factories.make_coordinator(email=COORDINATOR)
        programme = factories.make_programme(coordinator.memberships[0].organisation, name="BO-Tage Landkreis")
        career_day = factories.make_career_day(programme, name="BO-Tag Bramsche", day=date(utc_now().year + 1, 3, 10),
                                               wishes_count=2, slots_per_student=2)
        offers = [factories.make_offer(career_day, company=factories.make_organisation(OrganisationKind.company, name=name),
                                       title=title, capacity=10)
                  for name, title in (("Klinikum", "Pflege erleben"), ("Hydraulik Nord", "Mechatronik erleben"))]
        school = factories.make_organisation(OrganisationKind.school, name="Realschule Bramsche")
        factories.make_school_contact(school, email=TEACHER)
        nine_b = factories.make_school_class(career_day, school=school, students=2, name="9b")
        for student in nine_b.students:
            for rank, offer in enumerate(offers, start=1):
                make_preference(student, offer, rank)
        db.session.commit()
        return career_day.id


def test_late_class_replan_and_version_two_in_the_browser(live_server, browser_page, screenshot, ranked_day):
    require_solver()
    page, url = browser_page, live_server.url
    day_url = f"{url}/coordinator/career-days/{ranked_day}"

    # version 1: allocate and publish, closing wishes early
    sign_in(page, url, COORDINATOR)
    allocate_and_publish(page, live_server.app, day_url)
    page.wait_for_selector("text=Fassung 1 des Plans ist veröffentlicht")

    # a class registered late, on behalf of the school
    page.get_by_role("link", name="Nachträgliche Änderungen annehmen und neu planen").click()
    page.wait_for_selector("h1:has-text('Nachträgliche Änderungen')")
    late_class = page.locator("section[aria-labelledby=class-heading]")
    late_class.get_by_label("Schule").select_option(label="Realschule Bramsche")
    late_class.get_by_label("Klasse", exact=True).fill("9c")
    late_class.get_by_label("Jahrgangsstufe").fill("9")
    late_class.get_by_label("Schülerinnen und Schüler, eine Zeile pro Person").fill("Mia L.\nTom R.")
    late_class.get_by_role("button", name="Klasse anmelden").click()
    page.wait_for_selector("text=Klasse 9c ist nachträglich angemeldet")
    assert fits_the_phone(page)
    screenshot(page, "1-late-class")

    # pending on the day's page, with who accepted it
    page.goto(day_url)
    pending = page.locator("table", has=page.get_by_role("columnheader", name="Was sich geändert hat"))
    assert "Klasse 9c (Realschule Bramsche) nachträglich angemeldet, mit Mia L., Tom R." in pending.inner_text()
    screenshot(page, "2-pending")

    # re-plan from the published version, then see who changes and why
    page.get_by_role("link", name="Nachträgliche Änderungen annehmen und neu planen").click()
    page.get_by_role("button", name="Neu planen").click()
    page.wait_for_selector("#allocation-bar")
    assert jobs.run_due_allocations(live_server.app) == 1
    page.goto(f"{day_url}/late-changes")
    who = page.locator("table", has=page.get_by_role("columnheader", name="Grund"))
    rows = who.locator("tbody tr").all_inner_texts()
    assert rows and all("9c" in row and "nachträglich angemeldet" in row for row in rows)
    assert any(row.startswith("Mia L.") for row in rows) and any(row.startswith("Tom R.") for row in rows)
    assert fits_the_phone(page)
    screenshot(page, "3-who-changes")

    # version 2: published, the pending list is empty, version 1 still readable
    page.get_by_role("button", name="Die Änderungen als Fassung 2 veröffentlichen").click()
    page.wait_for_selector("text=Fassung 2 des Plans ist veröffentlicht")
    assert page.get_by_text("Keine nachträglichen Änderungen stehen aus").is_visible()
    versions = page.locator("ul[aria-labelledby=versions-heading] > li").all_inner_texts()
    assert [v.split(",")[0] for v in versions] == ["Fassung 2", "Fassung 1"]
    screenshot(page, "4-version-two")
    page.goto(f"{day_url}/print/route-sheets?version=1")
    version_one = " ".join(page.locator("article.route-sheet").all_inner_texts())
    assert page.locator("article.route-sheet").count() == 2 and "Mia L." not in version_one
    page.goto(f"{day_url}/print/route-sheets")
    assert page.locator("article.route-sheet").count() == 4
    assert "Mia L." in " ".join(page.locator("article.route-sheet").all_inner_texts())

    with live_server.app.app_context():
        assert [p.version for p in db.session.scalars(select(Publication).order_by(Publication.version))] == [1, 2]
        mails = list(db.session.scalars(select(OutgoingMail).where(OutgoingMail.template == "plan_changed")))
    assert [m.recipient for m in mails] == [TEACHER]
    assert "Fassung 2" in mails[0].subject and "Mia L. (9c, Realschule Bramsche)" in mails[0].body


def test_an_absence_marked_by_mistake_is_undone_from_the_pending_list_in_the_browser(live_server, browser_page, screenshot,
                                                                                    ranked_day):
    require_solver()
    page, url = browser_page, live_server.url
    with live_server.app.app_context():
        career_day = db.session.get(CareerDay, ranked_day)
        coordinator = db.session.scalar(select(User).where(User.email == COORDINATOR))
        publish(coordinator, allocate(career_day), utc_now(), close_early=True)
        db.session.commit()
        name = career_day.classes[0].students[0].display_name
    sign_in(page, url, COORDINATOR)

    page.goto(f"{url}/coordinator/career-days/{ranked_day}/late-changes?q=9b")
    page.get_by_role("button", name=f"{name} als abwesend melden").click()
    page.wait_for_selector(f"text={name} ist als abwesend gemeldet")
    undo = page.get_by_role("button", name="Rückgängig machen")
    assert undo.count() == 1
    assert fits_the_phone(page)
    screenshot(page, "5-absent-pending")

    undo.click()
    page.wait_for_selector(f"text={name} ist nicht mehr als abwesend gemeldet")
    assert page.get_by_text("Keine nachträglichen Änderungen stehen aus").is_visible()
    with live_server.app.app_context():
        assert db.session.scalar(select(Student.absent_at).where(Student.display_name == name)) is None
        assert db.session.scalar(select(func.count(LateChange.id))) == 0
    screenshot(page, "6-absence-undone")
