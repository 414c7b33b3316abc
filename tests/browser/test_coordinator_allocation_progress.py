"""The allocation page in a real browser: it polls while the job process computes, then shows the
result without a click; the career-day and result pages fit a phone screen."""
import pytest

from scheduler_app import jobs
from scheduler_app.extensions import db
from scheduler_app.models import Role
from tests import factories
from tests.browser.conftest import fits_the_phone
from tests.domain.allocation_data import make_small_day, require_solver

pytestmark = pytest.mark.browser


def test_the_progress_page_turns_into_the_result_once_the_job_has_run(live_server, browser_page, screenshot):
    require_solver()
    with live_server.app.app_context():
        day = make_small_day()
        factories.make_user(day.career_day.programme.agency, Role.coordinator, email="koordination@example.org")
        db.session.commit()
        day_id = day.career_day.id
    page = browser_page
    page.goto(f"{live_server.url}/auth/login")
    page.get_by_label("E-Mail-Adresse").fill("koordination@example.org")
    page.get_by_label("Passwort").fill(factories.PASSWORD)
    page.locator("main").get_by_role("button", name="Anmelden").click()
    page.goto(f"{live_server.url}/coordinator/career-days/{day_id}")
    assert fits_the_phone(page)
    screenshot(page, "career-day")

    page.get_by_role("button", name="Zuteilung starten").click()
    page.wait_for_selector("#allocation-bar")
    screenshot(page, "queued")

    assert jobs.run_due_allocations(live_server.app) == 1

    page.wait_for_selector("#chart-histogram", timeout=15_000)  # allocation.js polls every 2 s, then reloads
    assert page.locator("#allocation-bar").count() == 0
    assert fits_the_phone(page)
    screenshot(page, "result")
