"""Malformed submissions to every POST route and every URL with an id, as every role.

Shared by ``tests/web/test_fuzz.py`` (a few thousand cases, in CI) and ``benchmarks/fuzz.py``
(20,000 and more). Routes come from ``app.url_map`` and the fields of each form from the pages
that show it, so a new route or field is fuzzed without anyone remembering to; a new POST route
needs a line in :data:`POISON` or :data:`ACTIONS`, or the run stops and says so.

Every submission is certainly invalid, so any row written is a bug, just like any 5xx: besides
the malformed values, one field of each form gets a value no validator accepts even after control
characters are removed (:data:`POISON`), uploaded files are always ones no reader accepts, and
routes that act without form data (:data:`ACTIONS`) only get ids that nobody may act on.
"""
from __future__ import annotations

import hashlib
import io
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter

from scheduler_app.domain import employer_events, invitations
from scheduler_app.extensions import db
from scheduler_app.models import Allocation, AllocationState, Assignment, OrganisationKind, User
from scheduler_app.models_base import utc_now
from tests import factories
from tests import hostile_files as hostile

ROLES = ("anonymous", "coordinator", "school", "company", "student")
FUZZ_KEY = "testing-secret"  # the testing SECRET_KEY, from which personal links are derived
LONG = "x" * 20_000  # longer than any text field allows

# For each POST route with a form: field -> a value no validator accepts (None: leave the field out).
POISON: dict[str, dict[str, str | None]] = {
    "public.set_language": {},  # changes the session only
    "auth.login": {"email": LONG},
    "auth.invitation": {"password": "a" * 20, "confirm": "b" * 20},
    "auth.password": {"password": None},
    "coordinator.organisation_new": {"kind": "agency"},
    "coordinator.invitation_create": {"email": "not an address"},
    "coordinator.new_programme": {"name": LONG},
    "coordinator.new_career_day": {"wishes_count": "0"},
    "coordinator.edit_career_day": {"wishes_count": "0"},
    "coordinator.invite_contacts": {},  # every generated file is refused (see _invalid_file)
    "coordinator.move_student": {"student": "0"},
    "school.register_class": {"headcount": "0"},
    "school.edit_class": {"headcount": "0"},
    "school.add_students": {"names": LONG},
    "school.upload_roster": {},  # every generated file is refused (see _invalid_file)
    "school.rename_student": {"display_name": LONG},
    "school.student_wishes": {"rank_1": "0"},
    "company.book_offer": {"seats": "0"},
    "company.edit_offer": {"seats": "0"},
    "student.sign_in": {"personal_code": None},  # changes the session only, and only with the right codes
    "student.choose": {"rank_1": "0"},
    "coordinator.new_alliance": {"name": LONG},
    "coordinator.add_member": {"organisation": "not a number"},
    "coordinator.add_delegate": {"email": "not an address"},
    "coordinator.import_members": {},  # every generated file is refused (see _invalid_file)
    "coordinator.new_meeting": {"title": LONG},
    "coordinator.edit_meeting": {"title": LONG},
    "coordinator.add_candidates": {"first_day": "not a date"},
    "coordinator.add_minutes": {"text": "m" * 50_001},
    "delegate.answer_poll": {"comment_text": LONG},
    "delegate.reply": {"attendees": "0", "decision": "accept"},  # the button; without it 400
    "delegate.send_substitute": {"email": "not an address"},
    "events.register": {"places": "0"},
    "events.change_places": {"places": "0"},
    "company.new_event": {"capacity": "0"},
    "company.edit_event": {"capacity": "0"},
    "company.event_capacity": {"capacity": "0"},
    "company.duplicate_event": {"starts_at": "not a date"},
    "company.message_registrants": {"subject": LONG},
    "coordinator.new_company_event": {"capacity": "0"},
    "coordinator.edit_company_event": {"capacity": "0"},
    "coordinator.duplicate_company_event": {"starts_at": "not a date"},
    "coordinator.privacy_notice": {"text": "p" * 20_001},
    "coordinator.late_class": {"class-grade": "0"},
    "coordinator.late_students": {"students-names": LONG},
    "coordinator.late_wishes": {"rank_1": "0"},
}
# POST routes that act without form data: sent only ids nobody may act on, or (without an id) only
# as roles that may not act.
ACTIONS = {
    "auth.logout", "coordinator.invitation_revoke", "coordinator.start_allocation", "coordinator.unlock_assignment",
    "coordinator.resolve_allocation", "coordinator.publish_allocation", "school.remove_class",
    "school.remove_student", "company.withdraw_offer", "coordinator.renew_calendar", "school.renew_calendar",
    "school.renew_class_calendar", "company.renew_calendar", "student.renew_calendar", "student.sign_out",
    "coordinator.member_required", "coordinator.remove_member", "coordinator.remove_delegate", "coordinator.delegate_link",
    "coordinator.withdraw_delegate_links", "coordinator.remove_candidate", "coordinator.send_poll", "coordinator.fix_date",
    "coordinator.remind", "coordinator.record_attendance", "coordinator.plan_next", "delegate.renew_calendar",
    "company.publish_event", "company.unpublish_event", "company.cancel_event", "company.record_attendance",
    "events.cancel_registration", "events.renew_calendar", "coordinator.unpublish_event", "coordinator.gather_event", "school.register_class_for_event",
    "coordinator.publish_company_event", "coordinator.cancel_company_event",
    "coordinator.late_absent", "coordinator.late_withdraw", "coordinator.late_replan", "coordinator.late_publish",
    "coordinator.late_present", "coordinator.late_restore",
}
ROLES_WITHOUT_ACCOUNT = ("anonymous", "student")
# actions without an id that a role without an account may take (never sent as that role)
ACTING_ROLES = {"student.renew_calendar": {"student"}, "student.sign_out": {"student"}}  # sign-out ends all sessions
# ids beyond PostgreSQL's and SQLite's integer columns (sent to every URL as every role), then zero,
# the largest id and forms a converter might misread (shared out when the run is short)
HUGE_IDS = ("2147483648", "9223372036854775808")
BAD_IDS = ("0", "2147483647", "9223372036854775807", "1" + "0" * 30, "9" * 5000, "-1", "\u0663", "1.0")
# URL variables that are not ids: the world's value, then malformed ones
URL_VALUES = {
    "public.set_language": {"code": ["en", "xx", "\x00", "e" * 500]},
    "auth.invitation": {"token": ["{token}", "", "x" * 5000, "\x00abc", "%00"]},
    "feeds.private_feed": {"token": ["x" * 43, "", "x" * 5000, "\x00abc", "%00"], "name": ["Kalender", "\x00", "n" * 500]},
    "feeds.programme_feed": {"name": ["Kalender", "\x00", "n" * 500]},
    # the `any(csv, xlsx)` converter builds nothing else
    "company.event_attendance_file": {"kind": ["csv", "xlsx"]},
    "coordinator.programme_registrations_file": {"kind": ["csv", "xlsx"]},
    **{f"delegate.{name}": {"token": ["{delegate_token}", "", "x" * 5000, "\x00abc", "%00"]}
       for name in ("home", "meeting", "answer_poll", "reply", "send_substitute", "minutes_pdf")},
    "delegate.renew_calendar": {"token": ["", "x" * 5000, "\x00abc", "%00"]},  # never the world's link: it would act
    "events.event": {"slug": ["infoabend", "\x00", "s" * 500]},
    **{f"events.{name}": {"token": ["{registration_token}", "", "x" * 5000, "\x00abc", "%00"]}
       for name in ("registration", "change_places")},
    **{f"events.{name}": {"token": ["", "x" * 5000, "\x00abc", "%00"]}  # never the world's link: it would act
       for name in ("cancel_registration", "renew_calendar")},
}
SKIPPED = {"static"}


@dataclass
class World:
    """What the roles own: ``ids`` maps each URL variable to an object its owner may use."""

    users: dict[str, int]
    student_codes: tuple[str, str]  # class code, personal code
    ids: dict[str, int]
    token: str
    delegate_token: str
    registration_token: str


def build_world(app) -> World:
    """A coordinator's career day (two months ahead, all deadlines open) with a company's offer, a
    school's class of three students with wishes, a finished allocation and a pending invitation."""
    with app.app_context():
        coordinator = factories.make_coordinator()
        agency = coordinator.memberships[0].organisation
        programme = factories.make_programme(agency)
        career_day = factories.make_career_day(programme, day=utc_now().date() + timedelta(days=60),
                                               wishes_count=2, slots_per_student=2)
        company_contact, school_contact = factories.make_company_contact(), factories.make_school_contact()
        offers = [factories.make_offer(career_day, company=company_contact.companies[0]) for _ in range(3)]
        school_class = factories.make_school_class(career_day, school=school_contact.schools[0], students=3)
        student = school_class.students[0]
        allocation = Allocation(career_day=career_day, state=AllocationState.done, solver_status="optimal", progress=1.0)
        slot = offers[0].slots[0]
        allocation.assignments.append(Assignment(student=student, slot=slot, round_id=slot.round_id,
                                                 offer_id=slot.offer_id, locked=True))
        db.session.add(allocation)
        other_school = factories.make_organisation(OrganisationKind.school, partner_of=agency)
        invitation, token = invitations.invite(coordinator, other_school, "neu@schule.example", "Neue Person",
                                               utc_now(), timedelta(days=14), "http://localhost")
        alliance = factories.make_alliance(agency, federal_state="NI")
        member = factories.make_member(alliance, company_contact.companies[0])
        soon = utc_now().replace(hour=14, minute=0, second=0, microsecond=0) + timedelta(days=40)
        meeting = factories.make_alliance_meeting(alliance, candidates=[soon, soon + timedelta(days=7)],
                                                  poll_deadline=soon - timedelta(days=7))
        delegate_token = factories.make_link(member.delegates[0])
        event = factories.make_employer_event(company=company_contact.companies[0], published_at=utc_now(),
                                              starts_at=soon, ends_at=soon + timedelta(hours=2), capacity=5,
                                              max_places_per_registration=5)
        registration = employer_events.register(event, name="R", email="r@example.org", places=2, now=utc_now(),
                                                site=employer_events.Site("http://localhost", FUZZ_KEY)).registration
        registration_token = employer_events.registration_token(registration, FUZZ_KEY)
        db.session.commit()
        return World(
            users={"coordinator": coordinator.id, "school": school_contact.id, "company": company_contact.id},
            student_codes=(school_class.class_code, student.personal_code), token=token, delegate_token=delegate_token,
            registration_token=registration_token,
            ids={"career_day_id": career_day.id, "programme_id": programme.id, "organisation_id": other_school.id,
                 "invitation_id": invitation.id, "allocation_id": allocation.id,
                 "assignment_id": allocation.assignments[0].id, "class_id": school_class.id, "student_id": student.id,
                 "offer_id": offers[0].id, "school_id": school_contact.schools[0].id,
                 "company_id": company_contact.companies[0].id, "alliance_id": alliance.id, "member_id": member.id,
                 "delegate_id": member.delegates[0].id, "meeting_id": meeting.id,
                 "candidate_id": meeting.candidates[0].id, "event_id": event.id,
                 "registration_id": registration.id},
        )


def client_for(app, world: World, role: str):
    """A test client for ``role``: staff through the session (as the access matrix does), the student
    by signing in with the class code and personal code, as on the class sheet."""
    client = app.test_client()
    if role == "student":
        class_code, personal_code = world.student_codes
        response = client.post("/wishes/", data={"class_code": class_code, "personal_code": personal_code})
        assert response.status_code == 302, "the fuzz world's student could not sign in"
    elif role != "anonymous":
        with client.session_transaction() as session:
            with app.app_context():
                session["_user_id"] = db.session.get(User, world.users[role]).get_id()
            session["_fresh"] = True
    return client


# ---------------------------------------------------------------------------------------------
# URLs


ID_PLACEHOLDER = 987_654_321


def _id_names(rule) -> list[str]:
    return [name for name, converter in rule._converters.items() if isinstance(converter, IntegerConverter)]


def url_for_rule(app, rule, world: World, id_text: str | None = None, value_index: int = 0) -> str:
    """The rule's URL with the world's ids, or with ``id_text`` for every id (built as text, so that
    ids no converter would produce, like 5,000 digits, can be sent)."""
    values = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            assert name in world.ids, f"give the fuzz world an object for <{name}> of {rule.endpoint} (World.ids)"
            values[name] = ID_PLACEHOLDER if id_text is not None else world.ids[name]
        else:
            choices = URL_VALUES.get(rule.endpoint, {}).get(name)
            assert choices, f"add values for <{name}> of {rule.endpoint} to URL_VALUES in {__file__}"
            value = choices[value_index % len(choices)]
            values[name] = {"{token}": world.token, "{delegate_token}": world.delegate_token,
                            "{registration_token}": world.registration_token}.get(value, value)
    method = "POST" if "POST" in rule.methods else "GET"
    url = app.url_map.bind("localhost").build(rule.endpoint, values, method=method)
    return url.replace(str(ID_PLACEHOLDER), id_text) if id_text is not None else url


# ---------------------------------------------------------------------------------------------
# the forms each page shows


@dataclass
class FieldSpec:
    name: str
    kind: str  # the input's type ("text", "number", "date", …), "select", "textarea" or "file"
    options: list[str] = field(default_factory=list)


class _FormParser(HTMLParser):
    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.page = page  # a form without an action posts to its page
        self.forms: dict[str, dict[str, FieldSpec]] = {}
        self._action: str | None = None
        self._select: FieldSpec | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and (attributes.get("method") or "").lower() == "post":
            self._action = urlsplit(attributes.get("action") or "").path or self.page
            self.forms.setdefault(self._action, {})
        elif self._action is not None and tag in ("input", "select", "textarea") and attributes.get("name"):
            name = attributes["name"]
            if name == "csrf_token":
                return
            kind = tag if tag != "input" else (attributes.get("type") or "text").lower()
            spec = self.forms[self._action].setdefault(name, FieldSpec(name, kind))
            if kind in ("checkbox", "radio") and attributes.get("value") is not None:
                spec.options.append(attributes["value"])
            self._select = spec if tag == "select" else None
        elif tag == "option" and self._select is not None:
            self._select.options.append(attributes.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._action = None
        elif tag == "select":
            self._select = None


def harvest_forms(app, world: World) -> dict[str, dict[str, FieldSpec]]:
    """Every POST form on every page each role can open: form action path -> its fields."""
    forms: dict[str, dict[str, FieldSpec]] = {}
    rules = [rule for rule in app.url_map.iter_rules() if "GET" in rule.methods and rule.endpoint not in SKIPPED]
    for role in ROLES:
        client = client_for(app, world, role)
        for rule in rules:
            url = url_for_rule(app, rule, world)
            response = client.get(url)
            if response.status_code == 200 and response.mimetype == "text/html":
                parser = _FormParser(urlsplit(url).path)
                parser.feed(response.text)
                for action, fields in parser.forms.items():
                    known = forms.setdefault(action, {})
                    for name, spec in fields.items():
                        known.setdefault(name, spec)
    return forms


# ---------------------------------------------------------------------------------------------
# malformed values

NASTY_TEXT = [
    "", " ", "\x00", "a\x00b", "\x00" * 50, "\x01\x02\x03\x1b\x1f\x7f", "\x85\x9f", "\t\r\n", "\u202e\u200b\ufeff",
    "\U0001f600" * 50, "'; DROP TABLE users; --", "<script>alert(1)</script>", "%s%(x)s{0}{}", "../../etc/passwd",
    "9" * 500, "9" * 5000, "-9" + "9" * 400, "1e309", "NaN", "-0", "\u00b2", "\u0663", "\uff11\uff12",
    "2147483648", "9223372036854775808", "9999-12-31", "0001-01-01", "0000-00-00", "Anna\x00 K.",
]
NUMBERS = ["0", "-1", "1", "2147483647", "2147483648", "9223372036854775808", "9" * 500, "9" * 5000, "1.5", "1e3",
           "1e309", " 7 ", "0x10", "\u0663", "\u00b2", "+5", "--1", "", "\x00", "1\x00"]
DATES = ["9999-12-31", "0001-01-01", "0000-00-00", "2026-02-30", "31.12.2026", "+275760-09-13", "99999-01-01",
         "2026-1-1", "", "\x00", "1" * 5000]
DATETIMES = ["9999-12-31T23:59", "0001-01-01T00:00", "2026-13-01T00:00", "2026-01-01T24:00", "9999-12-31T23:59:59.999",
             "2026-01-01 10:00", "", "\x00"]
TIMES = ["24:00", "23:59:60", "99:99", "-1:00", "00:00", "23:59", "12:00:00.000000001", "", "\x00", "1" * 5000]
EMAILS = ["a@b", "x" * 300 + "@example.org", "\x00@example.org", "ä@ü.de", "a@b@c", "@", "a" * 64 + "@" + "b" * 250 + ".de"]


def _invalid_file(rnd: random.Random) -> tuple[io.BytesIO, str]:
    """A file no roster or contact-list reader accepts (so an upload can never be valid)."""
    refused_rows = "Name;Organisation;Art;Ansprechperson;E-Mail\n" + ";".join(
        ["x" * 61, "Org", "Behörde", "Person", "keine Adresse"]) + "\n"  # too long a name, an unknown kind
    choice = rnd.randrange(8)
    if choice == 0:
        name, data = "liste.xlsx", hostile.doctype()
    elif choice == 1:
        name, data = "liste.xlsx", hostile.empty_rows(100_000)
    elif choice == 2:
        name, data = "liste.xlsx", rnd.randbytes(rnd.randrange(0, 3000))
    elif choice == 3:
        name, data = "liste.csv", (refused_rows + "\n".join(rnd.choice(NASTY_TEXT) for _ in range(20))).encode("utf-8", "replace")
    elif choice == 4:
        name, data = "liste.csv", ("Name\n" + "\n".join(f"Schüler\x00 {n}" for n in range(70))).encode()  # 70 names
    elif choice == 5:
        name, data = rnd.choice(["a\x00.csv\x00.pdf", "liste.pdf", "liste", "../../liste.exe", "\x00"]), refused_rows.encode()
    elif choice == 6:
        name, data = "liste.csv", refused_rows.encode("utf-16")
    else:
        name, data = "liste.csv", hostile.CSV_EDGE_CASES[rnd.choice(list(hostile.CSV_EDGE_CASES))][:200_000] + refused_rows.encode()
    return io.BytesIO(data), name


def _value(rnd: random.Random, spec: FieldSpec):
    if spec.kind == "file":
        return _invalid_file(rnd)
    pools = {"number": NUMBERS, "date": DATES, "datetime-local": DATETIMES, "time": TIMES, "email": EMAILS}
    if spec.kind in pools and rnd.random() < 0.8:
        return rnd.choice(pools[spec.kind])
    if spec.options and rnd.random() < 0.5:
        return rnd.choice(spec.options)
    if rnd.random() < 0.1:
        return LONG[: rnd.randrange(1, len(LONG))]
    return rnd.choice(NASTY_TEXT)


@dataclass
class Submission:
    data: MultiDict | dict | bytes | None
    content_type: str | None = None
    json: dict | None = None

    def describe(self) -> str:
        body = self.json if self.json is not None else self.data
        return repr(body)[:400]


def submission(rnd: random.Random, fields: dict[str, FieldSpec], pool: list[FieldSpec], poison: dict) -> Submission:
    """Malformed values for the form's fields (some left out, some repeated, some unknown ones added),
    with the poison applied last; now and then as JSON or as a body that is not UTF-8."""
    specs = list(fields.values()) or rnd.sample(pool, min(len(pool), 6))
    data = MultiDict()
    for spec in specs:
        if rnd.random() < 0.15:
            continue
        for _ in range(1 if rnd.random() < 0.9 else rnd.randrange(2, 5)):
            data.add(spec.name, _value(rnd, spec))
    for spec in rnd.sample(pool, min(len(pool), rnd.randrange(0, 3))):
        data.add(spec.name, _value(rnd, spec))
    for name, value in poison.items():
        # a form with a prefix (one form per member, say) names its fields "<prefix>-<name>"
        for target in {name, *(key for key in data if key.endswith(f"-{name}")),
                       *(spec.name for spec in specs if spec.name.endswith(f"-{name}"))}:
            data.poplist(target)
            if value is not None:
                data.add(target, value)
    shape = rnd.random()
    if shape < 0.05:  # JSON (Flask-WTF reads it as form data), with values of every JSON type
        body = {key: (values if len(values) > 1 else values[0]) for key, values in data.lists()
                if not any(isinstance(value, tuple) for value in values)}
        extras = {"nested": {"a": [1, None, True]}, "wishes_count": [1, 2], "seats": {"x": 1}, "name": 7, "grade": None}
        return Submission(None, json={**{k: v for k, v in extras.items() if k not in poison}, **body})
    if shape < 0.10:  # a body that is not UTF-8 and not well-formed
        pairs = [(key, value) for key, value in data.items(multi=True) if isinstance(value, str)]
        raw = b"&".join(key.encode() + b"=" + value.encode("utf-8", "surrogatepass") for key, value in pairs)
        return Submission(raw + b"&broken=%ff%fe%00%&=&&name=\xff\xfe", content_type="application/x-www-form-urlencoded")
    return Submission(data)


def send(client, url: str, method: str, sent: Submission):
    if sent.json is not None:
        return client.open(url, method=method, json=sent.json)
    if isinstance(sent.data, bytes):
        return client.open(url, method=method, data=sent.data, content_type=sent.content_type)
    return client.open(url, method=method, data=sent.data)


# ---------------------------------------------------------------------------------------------
# the run


def snapshot(app) -> str:
    """A digest of every row of every table: any insert, update or delete changes it."""
    digest = hashlib.sha256()
    with app.app_context():
        for table in db.metadata.sorted_tables:
            rows = db.session.execute(sa.select(table)).all()
            digest.update(repr((table.name, sorted(map(repr, rows)))).encode())
        db.session.remove()
    return digest.hexdigest()


@dataclass
class Report:
    statuses: Counter = field(default_factory=Counter)  # (endpoint, status) -> requests
    failures: list[str] = field(default_factory=list)  # 5xx and exceptions, with what was sent
    writes: list[str] = field(default_factory=list)  # (endpoint, role) after which the database had changed
    cases: int = 0


def _record(report: Report, endpoint: str, role: str, method: str, url: str, sent: Submission | None, response=None,
            error: Exception | None = None) -> None:
    report.cases += 1
    status = response.status_code if response is not None else 500
    report.statuses[(endpoint, status)] += 1
    if status >= 500:
        what = f"{type(error).__name__}: {error}"[:300] if error is not None else f"status {status}"
        report.failures.append(f"{method} {url[:120]} ({endpoint}) as {role}: {what}; sent {sent.describe() if sent else '-'}")


def _request(report, client, endpoint, role, method, url, sent: Submission | None):
    try:
        response = send(client, url, method, sent) if sent is not None else client.open(url, method=method)
    except Exception as error:  # noqa: BLE001 - with TESTING on, an unhandled error reaches the client
        _record(report, endpoint, role, method, url, sent, error=error)
        return None
    _record(report, endpoint, role, method, url, sent, response)
    return response


def _check_writes(app, report: Report, before: str, what: str) -> str:
    after = snapshot(app)
    if after != before:
        report.writes.append(what)
    return after


def run(app, world: World, cases: int, seed: int = 0) -> Report:
    """About ``cases`` requests. Every URL with an id gets :data:`HUGE_IDS` and (up to a third of
    the cases) :data:`BAD_IDS` as each role, by GET and by POST with malformed data; the POST
    routes share the rest, mostly as the roles that may use them (a role refused on the first
    request gets two more)."""
    rnd = random.Random(seed)
    report = Report()
    rules = sorted((rule for rule in app.url_map.iter_rules() if rule.endpoint not in SKIPPED), key=lambda r: r.endpoint)
    post_rules = [rule for rule in rules if "POST" in rule.methods]
    missing = sorted(rule.endpoint for rule in post_rules if rule.endpoint not in POISON and rule.endpoint not in ACTIONS)
    assert not missing, f"add each POST route to POISON or ACTIONS in {__file__}: {missing}"
    forms = harvest_forms(app, world)
    pool = [spec for fields in forms.values() for spec in fields.values()]
    state = snapshot(app)

    # 1. every URL with an id, with ids out of range, zero and malformed
    id_rules = [rule for rule in rules if _id_names(rule)]
    requests_per_id = sum(("GET" in rule.methods) + ("POST" in rule.methods) for rule in id_rules) * len(ROLES)
    others = max(1, min(len(BAD_IDS), (cases // 3) // max(1, requests_per_id) - len(HUGE_IDS)))
    for rule in id_rules:
        poison = POISON.get(rule.endpoint, {})
        fields = forms.get(urlsplit(url_for_rule(app, rule, world)).path, {})
        clients = {role: client_for(app, world, role) for role in ROLES}
        for number, role in enumerate(ROLES):
            rotated = [BAD_IDS[(number * others + k) % len(BAD_IDS)] for k in range(others)]
            for id_text in (*HUGE_IDS, *rotated):
                url = url_for_rule(app, rule, world, id_text)
                if "GET" in rule.methods:
                    _request(report, clients[role], rule.endpoint, role, "GET", url, None)
                if "POST" in rule.methods:
                    _request(report, clients[role], rule.endpoint, role, "POST", url, submission(rnd, fields, pool, poison))
        state = _check_writes(app, report, state, f"{rule.endpoint} with bad ids")

    # 2. malformed forms to every POST route with the world's ids (actions: only as roles that may not act);
    # a client of its own for each route and role, so that signing out ends no other batch's session
    plan = []
    for rule in post_rules:
        if rule.endpoint in ACTIONS:
            if not _id_names(rule):
                plan += [(rule, role, client_for(app, world, role), 3) for role in ROLES_WITHOUT_ACCOUNT
                         if role not in ACTING_ROLES.get(rule.endpoint, ())]
            continue
        for role in ROLES:
            url, client = url_for_rule(app, rule, world), client_for(app, world, role)
            probe = _request(report, client, rule.endpoint, role, "POST", url,
                             submission(rnd, forms.get(urlsplit(url).path, {}), pool, POISON[rule.endpoint]))
            refused = probe is not None and (probe.status_code in (401, 403) or (
                probe.status_code == 302 and urlsplit(probe.headers["Location"]).path in ("/auth/login", "/wishes/")))
            plan.append((rule, role, client, 2 if refused else None))
    state = _check_writes(app, report, state, "the first request to each POST route")
    fixed = sum(count for *_, count in plan if count is not None)
    open_pairs = [item for item in plan if item[-1] is None]
    share = max(1, (cases - report.cases - fixed) // max(1, len(open_pairs)))
    for rule, role, client, count in plan:
        for index in range(count if count is not None else share):
            url = url_for_rule(app, rule, world, value_index=index)
            path = urlsplit(url).path
            _request(report, client, rule.endpoint, role, "POST", url,
                     submission(rnd, forms.get(path, {}), pool, POISON.get(rule.endpoint, {})))
        state = _check_writes(app, report, state, f"{rule.endpoint} as {role}")
    return report


def summary(report: Report) -> str:
    """Requests per route and status, as a table."""
    by_endpoint: dict[str, Counter] = {}
    for (endpoint, status), count in report.statuses.items():
        by_endpoint.setdefault(endpoint, Counter())[status] = count
    statuses = sorted({status for _, status in report.statuses})
    lines = ["| route | " + " | ".join(str(s) for s in statuses) + " |", "|---|" + "---|" * len(statuses)]
    for endpoint in sorted(by_endpoint):
        counts = by_endpoint[endpoint]
        lines.append(f"| {endpoint} | " + " | ".join(str(counts.get(s, "")) for s in statuses) + " |")
    total = Counter()
    for (_, status), count in report.statuses.items():
        total[status] += count
    lines.append("| **all** | " + " | ".join(str(total[s]) for s in statuses) + " |")
    return "\n".join(lines)
