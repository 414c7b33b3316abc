"""Plain ``make_*`` factories for tests: each adds objects to the session, flushes, and returns them."""
from __future__ import annotations

import functools
import itertools
from datetime import date, datetime, time, timedelta

from scheduler_app.domain.accounts import hash_password
from scheduler_app.domain.scope import add_partner
from scheduler_app.extensions import db
from scheduler_app.models import (
    CareerDay,
    EmployerEvent,
    EmployerEventKind,
    Membership,
    Offer,
    Organisation,
    OrganisationKind,
    Programme,
    Role,
    Round,
    SchoolClass,
    Slot,
    Student,
    User,
)

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


@functools.cache
def _password_hash(password: str) -> str:
    """Argon2 is slow on purpose; hashing each test password once keeps the suite fast."""
    return hash_password(password)


def _n() -> int:
    return next(_counter)


def make_organisation(kind: OrganisationKind = OrganisationKind.company, name: str | None = None,
                      partner_of: Organisation | None = None, **fields) -> Organisation:
    """An organisation; ``partner_of``: an agency it works with (see ``scheduler_app.domain.scope``)."""
    org = Organisation(kind=kind, name=name or f"{kind.value.title()} {_n()}", **fields)
    db.session.add(org)
    db.session.flush()
    if partner_of is not None:
        make_partner(partner_of, org)
    return org


def make_partner(agency: Organisation, *organisations: Organisation) -> None:
    """The organisations work with the agency (as after a registration or a class/offer at its events)."""
    for organisation in organisations:
        add_partner(agency.id, organisation.id, datetime(2027, 1, 1))
    db.session.flush()


def agency_of(coordinator: User) -> Organisation:
    """The (first) agency a coordinator made by :func:`make_coordinator` works for."""
    return next(m.organisation for m in coordinator.memberships if m.role is Role.coordinator)


def make_user(organisation: Organisation | None = None, role: Role = Role.contact, email: str | None = None,
              password: str | None = PASSWORD, **fields) -> User:
    user = User(email=email or f"user{_n()}@example.org", name=fields.pop("name", "Test Person"),
                password_hash=_password_hash(password) if password else None, **fields)
    db.session.add(user)
    if organisation is not None:
        db.session.add(Membership(user=user, organisation=organisation, role=role))
    db.session.flush()
    return user


def make_coordinator(email: str | None = None, agency: Organisation | None = None) -> User:
    """A coordinator of ``agency`` (a new agency when none is given)."""
    return make_user(agency or make_organisation(OrganisationKind.agency), Role.coordinator, email=email)


def make_school_contact(school: Organisation | None = None, email: str | None = None) -> User:
    return make_user(school or make_organisation(OrganisationKind.school), Role.contact, email=email)


def make_company_contact(company: Organisation | None = None, email: str | None = None) -> User:
    return make_user(company or make_organisation(OrganisationKind.company), Role.contact, email=email)


def make_programme(agency: Organisation | None = None, name: str | None = None) -> Programme:
    programme = Programme(name=name or f"Programme {_n()}", agency=agency or make_organisation(OrganisationKind.agency))
    db.session.add(programme)
    db.session.flush()
    return programme


def make_career_day(programme: Programme | None = None, rounds: int = 3, day: date | None = None, **fields) -> CareerDay:
    career_day = CareerDay(programme=programme or make_programme(), name=fields.pop("name", f"BO-Tag {_n()}"),
                           date=day or date(2027, 3, 10), **fields)
    db.session.add(career_day)
    start = datetime.combine(career_day.date, time(8, 30))
    for position in range(1, rounds + 1):
        begins = start + timedelta(minutes=60 * (position - 1))
        career_day.rounds.append(Round(position=position, starts_at=begins.time(), ends_at=(begins + timedelta(minutes=45)).time()))
    db.session.flush()
    return career_day


def make_offer(career_day: CareerDay, company: Organisation | None = None, capacity: int = 20, min_size: int = 0,
               rounds: list[int] | None = None, **fields) -> Offer:
    offer = Offer(career_day=career_day, company=company or make_organisation(OrganisationKind.company),
                  title=fields.pop("title", f"Offer {_n()}"), **fields)
    db.session.add(offer)
    make_partner(career_day.programme.agency, offer.company)  # as booking an offer does
    for round_ in career_day.rounds:
        if rounds is None or round_.position in rounds:
            offer.slots.append(Slot(round=round_, capacity=capacity, min_size=min_size))
    db.session.flush()
    return offer


def make_school_class(career_day: CareerDay, school: Organisation | None = None, grade: int = 9, students: int = 0,
                      **fields) -> SchoolClass:
    school_class = SchoolClass(career_day=career_day, school=school or make_organisation(OrganisationKind.school),
                               name=fields.pop("name", f"{grade}{chr(96 + _n() % 26 + 1)}"), grade=grade,
                               headcount=fields.pop("headcount", students), class_code=fields.pop("class_code", f"K{_n():06d}"),
                               **fields)
    db.session.add(school_class)
    make_partner(career_day.programme.agency, school_class.school)  # as registering a class does
    for index in range(students):
        school_class.students.append(Student(display_name=f"Student {index + 1}", personal_code=f"P{index + 1:04d}"))
    db.session.flush()
    return school_class


def make_employer_event(company: Organisation | None = None, capacity: int = 10, **fields) -> EmployerEvent:
    starts = fields.pop("starts_at", datetime(2027, 4, 20, 15, 0))
    event = EmployerEvent(company=company or make_organisation(OrganisationKind.company),
                          kind=fields.pop("kind", EmployerEventKind.info_session), title=fields.pop("title", f"Infoabend {_n()}"),
                          starts_at=starts, ends_at=fields.pop("ends_at", starts + timedelta(hours=2)), capacity=capacity, **fields)
    db.session.add(event)
    db.session.flush()
    return event


def make_alliance(coordinating_agency: Organisation | None = None, name: str | None = None, **fields):
    from scheduler_app.models import Alliance

    alliance = Alliance(name=name or f"Fachkräftebündnis {_n()}", coordinating_agency_id=coordinating_agency.id if coordinating_agency else None,
                        **fields)
    db.session.add(alliance)
    db.session.flush()
    return alliance


def make_member(alliance, organisation: Organisation | None = None, required: bool = False, delegates: int = 1):
    """A member organisation (a new company unless given) with ``delegates`` delegates."""
    from scheduler_app.models import AllianceMember

    member = AllianceMember(organisation=organisation or make_organisation(OrganisationKind.company), required=required)
    alliance.members.append(member)
    db.session.flush()
    for _ in range(delegates):
        make_delegate(member)
    return member


def make_delegate(member, name: str | None = None, email: str | None = None):
    from scheduler_app.models import AllianceDelegate

    number = _n()
    delegate = AllianceDelegate(name=name or f"Delegierte {number}", email=email or f"delegierte{number}@example.org")
    member.delegates.append(delegate)
    db.session.flush()
    return delegate


def make_link(delegate=None, invitation=None) -> str:
    """A personal link's token for a delegate (or a substitute's invitation)."""
    from scheduler_app.domain.delegate_links import issue

    return issue(datetime(2027, 1, 1), delegate=delegate, invitation=invitation)


def make_alliance_meeting(alliance=None, candidates: list[datetime] | None = None, chosen: int | None = None,
                          poll_sent: bool | None = None, **fields):
    """A meeting with candidate dates (2-hour windows); ``chosen`` is the index of the decided one.
    The poll counts as sent when there are candidates (unless ``poll_sent`` says otherwise)."""
    from scheduler_app.models import AllianceMeeting, CandidateDate

    meeting = AllianceMeeting(alliance=alliance or make_alliance(), title=fields.pop("title", f"Bündnistreffen {_n()}"), **fields)
    db.session.add(meeting)
    for starts in candidates or []:
        meeting.candidates.append(CandidateDate(starts_at=starts, ends_at=starts + timedelta(hours=2)))
    if poll_sent if poll_sent is not None else bool(candidates):
        meeting.poll_sent_at = datetime(2027, 1, 1)
    db.session.flush()
    if chosen is not None:
        meeting.chosen_candidate = meeting.candidates[chosen]
        meeting.date_fixed_at = datetime(2027, 1, 2)
        db.session.flush()
    return meeting
