"""axe-core in chromium on every page each role reaches: no violation of WCAG 2.1 A/AA, on a phone and
on a desktop screen.

Each role signs in as a person would (staff with e-mail and password, a student with class code and
personal code on ``/wishes/``) and crawls like ``tests/web/test_accessibility.py``: from every URL rule
without arguments and the role's dashboard, following same-site links, so a screen added later is
audited as soon as something links to it. The region is the static crawl's plus every state of an
allocation (published, to review, queued, failed, infeasible) and a pending invitation, so every list
has rows and every print page has sheets.

axe-core comes bundled in the ``axe-playwright-python`` package (nothing is downloaded at run time).
"""
from __future__ import annotations

import re
from collections import deque
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from sqlalchemy import select

from scheduler_app.domain.allocation import publish
from scheduler_app.domain.invitations import invite
from scheduler_app.extensions import db
from scheduler_app.models import Allocation, AllocationState, CareerDay, User
from scheduler_app.models_base import utc_now
from tests import factories
from tests.browser.conftest import PHONE_VIEWPORT
from tests.domain.allocation_data import allocate, make_preference, require_solver
from tests.web.test_accessibility import FUTURE_DAY, populate, seed_urls

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WCAG_21_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_21_A_AA}, "resultTypes": ["violations", "incomplete"]}
# axe only asks for a review of an id given twice when aria-describedby names it (of the two, only the
# first is read out); here that counts as a violation. Other "incomplete" results (mostly contrast over
# text scrolled out of a table's view) are not failures.
COUNTED_WHEN_INCOMPLETE = {"duplicate-id-aria"}
VIEWPORTS = {
    "phone": {"viewport": PHONE_VIEWPORT, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 900}},
}
DOWNLOADS = (".csv", ".xlsx", ".json", ".ics", ".pdf", ".png", ".svg")
MAX_PAGES_PER_ROLE = 150
LANDING_PAGES = {"anonymous": "/", "coordinator": "/coordinator/", "school": "/school/", "company": "/company/",
                 "student": "/wishes/choose", "student_after_publication": "/wishes/route-sheet"}


@pytest.fixture(scope="module")
def axe():
    module = pytest.importorskip("axe_playwright_python.sync_playwright",
                                 reason="axe-playwright-python is not installed (pip install -e '.[test]')")
    return module.Axe()


@pytest.fixture
def region(live_server) -> dict:
    """The region of the static crawl (``populate``: a day open for wishes, an event, an alliance meeting)
    plus a published allocation, one to review, a failed, a queued and an infeasible run, and a pending
    invitation; returns how each role signs in."""
    require_solver()
    with live_server.app.app_context():
        emails = populate()
        coordinator = db.session.scalar(select(User).where(User.email == emails["coordinator"]))
        open_day = db.session.scalar(select(CareerDay).where(CareerDay.name == "BO-Tag Nord"))
        programme, school_class = open_day.programme, open_day.classes[0]
        school, company = school_class.school, open_day.offers[0].company
        now = utc_now()
        db.session.add(Allocation(career_day=open_day, state=AllocationState.failed, error="Traceback: solver crashed",
                                  finished_at=now))
        db.session.add(Allocation(career_day=open_day, state=AllocationState.queued))

        # published (route sheets, door lists, class lists), and a second run waiting for review
        published = factories.make_career_day(programme, name="BO-Tag Süd", day=FUTURE_DAY + timedelta(days=7),
                                              wishes_count=2, slots_per_student=2, wishes_deadline=now - timedelta(days=1))
        offers = [factories.make_offer(published, company=company, title="Verkauf", capacity=4),
                  factories.make_offer(published, title="Labor", capacity=4, min_size=3),
                  factories.make_offer(published, title="Büro", capacity=4, rounds=[1, 2])]
        nine = factories.make_school_class(published, school=school, name="9b", students=5)
        factories.make_school_class(published, school=school, name="10b", grade=10, students=2, first_round=2)
        for index, student in enumerate(nine.students):
            for rank in (1, 2):
                make_preference(student, offers[(index + rank) % 3], rank)
        db.session.commit()
        publish(coordinator, db.session.merge(allocate(published)), now, close_early=True)
        db.session.commit()
        allocate(published)

        # too small: the engine finds no valid allocation and says why
        small = factories.make_career_day(programme, name="BO-Tag Klein", day=FUTURE_DAY + timedelta(days=14),
                                          rounds=1, wishes_count=1, slots_per_student=1)
        factories.make_offer(small, title="Einzelplatz", capacity=1)
        factories.make_school_class(small, school=school, name="8a", grade=8, students=3)
        db.session.commit()
        allocate(small)

        _, token = invite(db.session.merge(coordinator), db.session.merge(school), "neu@example.org", "Neue Lehrkraft",
                          now, timedelta(days=7), live_server.url)
        db.session.commit()
        school_class = db.session.merge(school_class)
        return {
            **emails,
            "student": (school_class.class_code, school_class.students[0].personal_code),
            "student_after_publication": (nine.class_code, nine.students[0].personal_code),
            "invitation_token": token,
        }


def sign_in(page, base_url: str, role: str, region: dict) -> None:
    if role == "anonymous":
        return
    if role.startswith("student"):
        class_code, personal_code = region[role]
        page.goto(f"{base_url}/wishes/")
        page.locator("input[name=class_code]").fill(class_code)
        page.locator("input[name=personal_code]").fill(personal_code)
        page.locator("main button[type=submit]").click()
        page.wait_for_url(f"{base_url}/wishes/choose")
        return
    page.goto(f"{base_url}/auth/login")
    page.locator("input[name=email]").fill(region[role])
    page.locator("input[name=password]").fill(factories.PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{base_url}/{role}/")


def seed_paths(app, role: str, region: dict) -> list[str]:
    paths = seed_urls(app) + ["/no-such-page"]  # the 404 page; staff meet the 403 page at another role's dashboard
    if role == "anonymous":  # the pages behind an invitation link, valid and not
        paths += [f"/auth/invitation/{region['invitation_token']}", "/auth/invitation/no-such-token"]
    return list(dict.fromkeys(paths))


def page_key(url: str) -> str:
    """Path and query, without the ``next`` parameter: the sign-in page is the same page wherever it returns to."""
    parts = urlsplit(url)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "next"])
    return parts.path + (f"?{query}" if query else "")


# Forms that take input, one per shape (page and action with ids replaced, field names): e.g. one of the
# rename forms of a roster, not all of them. Forms of buttons only (remove, publish, sign out) are left alone.
FORMS_WITH_FIELDS = """() => Array.from(document.querySelectorAll("form[method=post]"), (form, index) => {
    const fields = Array.from(form.elements).filter(e => e.matches(
        "input:not([type=hidden]):not([type=submit]):not([type=button]), select, textarea"));
    return {index, fields: fields.map(e => e.name).sort().join(","), action: form.getAttribute("action") || ""};
}).filter(form => form.fields)"""
# Sends a form with every field emptied, as a person who submits it untouched would; the answer shows
# the form's error messages. (The forms have ``novalidate``: the server's messages are what people see.)
SUBMIT_EMPTY = """index => {
    const form = document.querySelectorAll("form[method=post]")[index];
    for (const field of form.elements) {
        if (field.matches("input[type=checkbox], input[type=radio]")) field.checked = false;
        else if (field.matches("input:not([type=hidden]):not([type=submit]):not([type=button]), textarea")) field.value = "";
        else if (field.matches("select")) field.selectedIndex = Array.from(field.options).findIndex(o => !o.value);
    }
    form.requestSubmit();
}"""
OPEN_DETAILS = "() => document.querySelectorAll('details').forEach(d => { d.open = true; })"


def without_ids(path: str) -> str:
    return re.sub(r"/\d+", "/#", path)


class Audit:
    """Crawls from the seeds as one signed-in person and runs axe on every HTML page it sees."""

    def __init__(self, page, axe, base_url: str):
        self.page, self.axe, self.base_url = page, axe, base_url
        self.pages: dict[str, int] = {}  # page (or "POST form → page") → HTTP status
        self.violations: list[str] = []
        self.forms: dict[str, tuple[str, int]] = {}  # form shape → (page, index on the page)

    def check(self, key: str, status: int) -> None:
        """axe on the page as shown, with every <details> opened so what it hides is checked too."""
        self.pages[key] = status
        self.page.evaluate(OPEN_DETAILS)
        results = self.axe.run(self.page, options=AXE_OPTIONS).response
        unsure = [result for result in results["incomplete"] if result["id"] in COUNTED_WHEN_INCOMPLETE]
        for violation in results["violations"] + unsure:
            for node in violation["nodes"]:
                self.violations.append(f"{key} [{status}]: {violation['id']} ({violation['impact']}) "
                                       f"{' '.join(map(str, node['target']))} — {violation['help']}")

    def crawl(self, seeds: list[str]) -> None:
        queue, queued = deque(seeds), set(seeds)
        while queue and len(self.pages) < MAX_PAGES_PER_ROLE:
            response = self.page.goto(self.base_url + queue.popleft())
            key = page_key(self.page.url)
            if response is None or response.headers.get("content-type", "").split(";")[0] != "text/html" or key in self.pages:
                continue
            self.check(key, response.status)
            for form in self.page.evaluate(FORMS_WITH_FIELDS):
                self.forms.setdefault(f"{without_ids(key)} {without_ids(form['action'])} {form['fields']}", (key, form["index"]))
            for href in self.page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
                parts = urlsplit(href)
                if (f"{parts.scheme}://{parts.netloc}" != self.base_url or parts.path.startswith("/static/")
                        or parts.path.endswith(DOWNLOADS)):
                    continue
                local = parts.path + (f"?{parts.query}" if parts.query else "")
                if local not in queued:
                    queued.add(local)
                    queue.append(local)

    def submit_forms_empty(self) -> None:
        for key, index in list(self.forms.values()):
            if key.startswith("/auth/invitation/"):
                continue  # accepted without a password: see accept_the_invitation
            self.page.goto(self.base_url + key)
            with self.page.expect_navigation() as navigation:
                self.page.evaluate(SUBMIT_EMPTY, index)
            self.check(f"POST empty form {index} of {key} → {page_key(self.page.url)}", navigation.value.status)


def invite_a_contact(audit: Audit) -> None:
    """The page that shows a new invitation link once: only a successful POST reaches it."""
    page = audit.page
    page.goto(f"{audit.base_url}/coordinator/organisations")
    page.get_by_role("link", name="Realschule Nord").click()
    page.locator("input[name=name]").fill("Zweite Lehrkraft")
    page.locator("input[name=email]").fill("zweite@example.org")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Einladung senden").click()
    audit.check(f"POST invitation → {page_key(page.url)}", navigation.value.status)


def accept_the_invitation(audit: Audit) -> None:
    """The invitation page with a password error, then the new contact's first page (the link is used up)."""
    page = audit.page
    link = next(key for key in audit.pages if key.startswith("/auth/invitation/") and "no-such-token" not in key)
    page.goto(audit.base_url + link)
    for step, password, confirm in (("password error", "kurz", "anders"), ("accepted", factories.PASSWORD, factories.PASSWORD)):
        page.locator("input[name=password]").fill(password)
        page.locator("input[name=confirm]").fill(confirm)
        with page.expect_navigation() as navigation:
            page.locator("main button[type=submit]").click()
        audit.check(f"POST invitation link ({step}) → {page_key(page.url)}", navigation.value.status)


def sign_in_with_two_errors_at_one_field(audit: Audit) -> None:
    """An address that is malformed and too long fails two checks; both messages must be one element
    that ``aria-describedby`` names (of an id given twice, only the first is read). The browser's
    maxlength is removed first, as a client that ignores it would."""
    page = audit.page
    page.goto(f"{audit.base_url}/auth/login")
    page.locator("input[name=email]").evaluate("field => field.removeAttribute('maxlength')")
    page.locator("input[name=email]").fill("x" * 300)
    page.locator("input[name=password]").fill(factories.PASSWORD)
    with page.expect_navigation() as navigation:
        page.locator("main button[type=submit]").click()
    audit.check(f"POST sign-in, two errors at one field → {page_key(page.url)}", navigation.value.status)


# Form states that an empty submission does not reach, filled in as a person would.
FILLED_FORMS = {"anonymous": [sign_in_with_two_errors_at_one_field, accept_the_invitation],
                "coordinator": [invite_a_contact]}


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
@pytest.mark.parametrize("role", list(LANDING_PAGES))
def test_every_page_a_role_reaches_has_no_wcag_21_aa_violation(live_server, browser, axe, region, role, viewport):
    # axe is evaluated through the DevTools protocol (page.evaluate), which the page's CSP does not
    # govern, so the audit runs against the real headers and no policy is relaxed for it.
    context = browser.new_context(locale="de-DE", **VIEWPORTS[viewport])
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        sign_in(page, live_server.url, role, region)
        audit = Audit(page, axe, live_server.url)
        audit.crawl(seed_paths(live_server.app, role, region))
        audit.submit_forms_empty()
        for fill_in in FILLED_FORMS.get(role, []):
            fill_in(audit)
    finally:
        context.close()

    assert not audit.violations, (f"{len(audit.violations)} WCAG 2.1 A/AA violations ({role}, {viewport}):\n"
                                  + "\n".join(audit.violations))
    assert not [key for key, status in audit.pages.items() if status >= 500], audit.pages
    assert LANDING_PAGES[role] in audit.pages, sorted(audit.pages)  # signed in, and the crawl got past the door
    print(f"{role} {viewport}: {len(audit.pages)} pages", *sorted(audit.pages), sep="\n  ")
