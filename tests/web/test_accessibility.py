"""Screen-reader and CSP basics on every page each role can reach, and error pages in the user's language.

Every GET page reachable by a role in a small populated database is checked: from every URL rule
without arguments and the role's dashboard, same-site links are followed (so screens added later are
checked as soon as something links to them).
"""
from __future__ import annotations

from collections import deque
from datetime import date, datetime
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest

from scheduler_app.extensions import db
from scheduler_app.factory import create_app
from scheduler_app.models import EventRegistration, OrganisationKind, Preference, RegistrationStatus
from scheduler_app.models_base import utc_now
from tests import factories
from tests.conftest import settings

MAX_PAGES_PER_ROLE = 300
LABEL_EXEMPT_INPUT_TYPES = {"hidden", "submit", "button", "reset", "image"}
FUTURE_DAY = date(utc_now().year + 1, 3, 10)


class PageAudit(HTMLParser):
    """Collects what the checks need from one HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.html_lang = None
        self.h1_count = 0
        self.heading_levels: list[int] = []
        self.label_for: set[str] = set()
        self.ids: set[str] = set()
        self.controls: list[tuple[str, dict]] = []  # (tag, attrs) needing a label
        self.problems: list[str] = []
        self.links: list[str] = []
        self._label_depth = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids.add(attributes["id"])
        for name in attributes:
            if name == "style":
                self.problems.append(f"inline style= on <{tag}>")
            if name.startswith("on"):
                self.problems.append(f"inline event handler {name}= on <{tag}>")
        if tag == "html":
            self.html_lang = attributes.get("lang")
        elif tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            level = int(tag[1])
            self.h1_count += level == 1
            self.heading_levels.append(level)
        elif tag == "label":
            self._label_depth += 1
            if attributes.get("for"):
                self.label_for.add(attributes["for"])
        elif tag in {"input", "select", "textarea"}:
            if tag != "input" or attributes.get("type", "text").lower() not in LABEL_EXEMPT_INPUT_TYPES:
                self.controls.append((tag, {**attributes, "_inside_label": self._label_depth > 0}))
        elif tag == "script" and not attributes.get("src"):
            self.problems.append("<script> without src (inline scripts are blocked by the CSP)")
        elif tag == "style":
            self.problems.append("<style> element (inline styles are blocked by the CSP)")
        elif tag == "img" and "alt" not in attributes:
            self.problems.append(f"<img src={attributes.get('src')!r}> without alt")
        elif tag == "th" and "scope" not in attributes:
            self.problems.append("<th> without scope")
        elif tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])

    def handle_endtag(self, tag):
        if tag == "label":
            self._label_depth = max(0, self._label_depth - 1)

    def report(self) -> list[str]:
        problems = list(self.problems)
        if not self.html_lang:
            problems.append("<html> without lang")
        if self.h1_count != 1:
            problems.append(f"{self.h1_count} <h1> elements (want exactly one)")
        previous = 0
        for level in self.heading_levels:
            if level > previous + 1:
                problems.append(f"heading <h{level}> follows <h{previous}> (a level skipped)")
            previous = level
        for tag, attributes in self.controls:
            labelled = (
                attributes.get("id") in self.label_for
                or attributes.get("aria-label")
                or (attributes.get("aria-labelledby") and all(i in self.ids for i in attributes["aria-labelledby"].split()))
                or attributes["_inside_label"]
            )
            if not labelled:
                problems.append(f"<{tag} name={attributes.get('name')!r}> without a label")
        return problems


def audit(html: str) -> PageAudit:
    parser = PageAudit()
    parser.feed(html)
    parser.close()
    return parser


def populate() -> dict[str, str]:
    """A small region with something in every list; returns the e-mail address per role."""
    coordinator = factories.make_coordinator(email="coordinator@example.org")
    agency = coordinator.memberships[0].organisation
    programme = factories.make_programme(agency, name="BO-Tage 2027")
    factories.make_programme(agency, name="Leeres Programm")
    day = factories.make_career_day(programme, name="BO-Tag Nord", day=FUTURE_DAY)
    school = factories.make_organisation(OrganisationKind.school, name="Realschule Nord")
    company = factories.make_organisation(OrganisationKind.company, name="Bäckerei Korn")
    offer = factories.make_offer(day, company=company, title="Backstube")
    factories.make_offer(day, title="Werkstatt")
    school_class = factories.make_school_class(day, school=school, name="9a", students=3)
    db.session.add(Preference(student=school_class.students[0], offer=offer, rank=1))
    event = factories.make_employer_event(company, programme=programme, title="Tag der offenen Tür",
                                          starts_at=datetime(FUTURE_DAY.year, 4, 20, 15, 0),
                                          published_at=datetime(2026, 1, 1), address="Hafenstraße 1, Bramsche")
    event.booked = 1
    db.session.add(EventRegistration(event=event, name="Eva", email="eva@example.org", status=RegistrationStatus.confirmed))
    alliance = factories.make_alliance(coordinating_agency=agency)
    factories.make_alliance_meeting(alliance, programme=programme, title="Frühjahrstreffen",
                                    candidates=[datetime(FUTURE_DAY.year, 5, 5, 10, 0)], chosen=0)
    factories.make_school_contact(school, email="teacher@example.org")
    factories.make_company_contact(company, email="company@example.org")
    return {"coordinator": "coordinator@example.org", "school": "teacher@example.org", "company": "company@example.org"}


def seed_urls(app) -> list[str]:
    urls = ["/"]
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static":
            urls.append(rule.rule)
    return urls


def crawl(app, client) -> dict[str, list[str]]:
    """Visit every same-site page reachable from the seeds; returns {url: problems} for HTML pages."""
    results: dict[str, list[str]] = {}
    queue = deque(seed_urls(app))
    seen = set(queue)
    while queue and len(results) < MAX_PAGES_PER_ROLE:
        url = queue.popleft()
        response = client.get(url)
        targets = []
        if response.status_code in (301, 302, 303, 307, 308):
            targets.append(response.headers["Location"])
        elif response.mimetype == "text/html":
            page = audit(response.text)
            problems = page.report()
            if response.status_code >= 500:
                problems.append(f"status {response.status_code}")
            results[url] = problems
            targets.extend(page.links)
        for target in targets:
            parts = urlsplit(urldefrag(target)[0])
            if parts.netloc not in ("", "localhost") or not parts.path.startswith("/") or parts.path.startswith("/static/"):
                continue
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            if local not in seen:
                seen.add(local)
                queue.append(local)
    return results


@pytest.mark.parametrize("role", ["anonymous", "coordinator", "school", "company"])
def test_every_reachable_page_passes_the_accessibility_checks(app, client, role):
    with app.app_context():
        emails = populate()
        db.session.commit()
    if role != "anonymous":
        assert client.post("/auth/login", data={"email": emails[role], "password": factories.PASSWORD}).status_code == 302

    results = crawl(app, client)

    failing = {url: problems for url, problems in results.items() if problems}
    assert not failing, failing
    dashboards = {"anonymous": "/", "coordinator": "/coordinator/", "school": "/school/", "company": "/company/"}
    assert dashboards[role] in results


def test_checker_finds_each_kind_of_problem():
    """The checks above can fail: a page with every fault is reported for each of them."""
    bad = (
        '<html><body><h2>x</h2><h1>a</h1><h1>b</h1><h4>skip</h4><input name="q"><select name="s"></select>'
        '<textarea name="t"></textarea><p style="color:red" onclick="x()">x</p><script>alert(1)</script>'
        '<img src="a.png"><table><tr><th>h</th></tr></table></body></html>'
    )
    problems = "\n".join(audit(bad).report())
    for expected in ("without lang", "2 <h1>", "<h4> follows <h1>", "<input name='q'> without a label",
                     "<select name='s'> without a label", "<textarea name='t'> without a label", "inline style=",
                     "onclick", "<script> without src", "without alt", "<th> without scope"):
        assert expected in problems, expected
    good = ('<html lang="de"><h1>a</h1><h2>b</h2><label for="q">Q</label><input id="q" name="q">'
            '<input type="hidden" name="csrf"><input aria-label="S" name="s"><img src="a.png" alt=""></html>')
    assert audit(good).report() == []


# Error pages in the user's language

def test_not_found_page_is_german_by_default_and_english_after_switching(client):
    german = client.get("/no-such-page")
    assert german.status_code == 404
    assert "Seite nicht gefunden" in german.text and '<html lang="de">' in german.text

    client.post("/language/en", data={"next": "/"})
    english = client.get("/no-such-page")

    assert english.status_code == 404
    assert "Page not found" in english.text and '<html lang="en">' in english.text


def test_forbidden_page_is_shown_in_the_users_language(app, client):
    with app.app_context():
        factories.make_school_contact(email="teacher@example.org")
        db.session.commit()
    client.post("/auth/login", data={"email": "teacher@example.org", "password": factories.PASSWORD})

    german = client.get("/coordinator/")
    client.post("/language/en", data={"next": "/"})
    english = client.get("/coordinator/")

    assert (german.status_code, english.status_code) == (403, 403)
    assert "Zugriff verweigert" in german.text
    assert "Access denied" in english.text


def test_unexpected_error_shows_the_friendly_page_with_status_500():
    app = create_app(settings(PROPAGATE_EXCEPTIONS=False))  # TESTING would otherwise re-raise the error

    @app.route("/test-only/boom")
    def boom():
        raise RuntimeError("a bug")

    client = app.test_client()
    german = client.get("/test-only/boom")
    client.post("/language/en", data={"next": "/"})
    english = client.get("/test-only/boom")

    assert (german.status_code, english.status_code) == (500, 500)
    assert "Etwas ist schiefgelaufen" in german.text
    assert "Something went wrong" in english.text
    assert "a bug" not in german.text + english.text
    assert audit(german.text).report() == []
