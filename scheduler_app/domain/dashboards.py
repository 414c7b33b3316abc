"""What each role's dashboard shows: read-only summaries counted in the database.

Event times and deadlines are naive Europe/Berlin wall-clock times (see ``models_base``), while
``now`` is naive UTC like every ``*_at`` column; :func:`wall_clock` converts between the two.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import distinct, func, or_, select

from scheduler_app.extensions import db
from scheduler_app.models import (
    AgencyPartner,
    AllianceMeeting,
    CandidateDate,
    CareerDay,
    EmployerEvent,
    EventRegistration,
    Offer,
    Organisation,
    OrganisationKind,
    Preference,
    Programme,
    RegistrationStatus,
    SchoolClass,
    Student,
)
from scheduler_app.models.organisation import Alliance

REGION_TIMEZONE = ZoneInfo("Europe/Berlin")


def wall_clock(now: datetime) -> datetime:
    """The naive Berlin wall-clock time at the naive UTC instant ``now``."""
    return now.replace(tzinfo=timezone.utc).astimezone(REGION_TIMEZONE).replace(tzinfo=None)


@dataclass(frozen=True)
class CareerDaySummary:
    career_day: CareerDay
    offers: int
    classes: int
    students_with_wishes: int


@dataclass(frozen=True)
class ClassSummary:
    school_class: SchoolClass
    students_with_wishes: int


@dataclass(frozen=True)
class OfferSummary:
    offer: Offer
    rounds: list[int]
    seats: int


@dataclass(frozen=True)
class EventSummary:
    event: EmployerEvent
    confirmed: int  # places taken by confirmed registrations
    waitlisted: int  # registrations waiting


@dataclass
class CoordinatorOverview:
    programmes: list[tuple[Programme, list[CareerDaySummary]]]
    upcoming_events: list[EmployerEvent]
    upcoming_meetings: list[tuple[AllianceMeeting, CandidateDate | None]]
    school_count: int
    company_count: int


@dataclass
class SchoolOverview:
    school: Organisation
    open_career_days: list[CareerDay]
    classes_by_career_day: list[tuple[CareerDay, list[ClassSummary]]] = field(default_factory=list)


@dataclass
class CompanyOverview:
    company: Organisation
    offers_by_career_day: list[tuple[CareerDay, list[OfferSummary]]]
    events: list[EventSummary]


def _count_by(column, *where, group_by) -> dict[int, int]:
    return dict(db.session.execute(select(group_by, column).where(*where).group_by(group_by)).all())


def summarise_career_days(career_days: list[CareerDay]) -> list[CareerDaySummary]:
    """Offers booked, classes registered and students who ranked wishes, per career day."""
    ids = [day.id for day in career_days]
    if not ids:
        return []
    offers = _count_by(func.count(Offer.id), Offer.career_day_id.in_(ids), group_by=Offer.career_day_id)
    classes = _count_by(func.count(SchoolClass.id), SchoolClass.career_day_id.in_(ids), group_by=SchoolClass.career_day_id)
    wishes = dict(db.session.execute(
        select(SchoolClass.career_day_id, func.count(distinct(Preference.student_id)))
        .join(Student, Student.id == Preference.student_id).join(SchoolClass, SchoolClass.id == Student.class_id)
        .where(SchoolClass.career_day_id.in_(ids)).group_by(SchoolClass.career_day_id)
    ).all())
    return [CareerDaySummary(day, offers.get(day.id, 0), classes.get(day.id, 0), wishes.get(day.id, 0)) for day in career_days]


def _sorted_days(career_days) -> list[CareerDay]:
    return sorted(career_days, key=lambda day: (day.date, day.id))


def programme_events(programme: Programme) -> tuple[list[CareerDaySummary], list[EmployerEvent], list[AllianceMeeting]]:
    """Everything a programme holds, in date order: career days (with counts), employer events, alliance meetings."""
    events = sorted(programme.employer_events, key=lambda event: (event.starts_at, event.id))
    meetings = list(db.session.scalars(
        select(AllianceMeeting).where(AllianceMeeting.programme_id == programme.id).order_by(AllianceMeeting.id)
    ))
    return summarise_career_days(_sorted_days(programme.career_days)), events, meetings


def coordinator_overview(agencies: list[Organisation], programmes: list[Programme], now: datetime) -> CoordinatorOverview:
    """The agency's programmes with their career days, and employer events and alliance meetings to come.

    Upcoming employer events are those in the agency's programmes or held by companies the agency
    works with (:mod:`scheduler_app.domain.scope`); upcoming meetings are those of the agency's alliances or programmes whose date is still
    open (poll running) or not yet past.
    """
    local_now = wall_clock(now)
    agency_ids = {agency.id for agency in agencies} | {programme.agency_id for programme in programmes}
    programme_ids = [programme.id for programme in programmes]
    with_days = [(programme, summarise_career_days(_sorted_days(programme.career_days))) for programme in programmes]
    partners = select(AgencyPartner.organisation_id).where(AgencyPartner.agency_id.in_(agency_ids))
    events = list(db.session.scalars(
        select(EmployerEvent)
        .where(EmployerEvent.ends_at >= local_now)
        .where(or_(EmployerEvent.company_id.in_(partners), EmployerEvent.programme_id.in_(programme_ids)))
        .order_by(EmployerEvent.starts_at, EmployerEvent.id)
        .limit(20)
    ))
    meetings = db.session.scalars(
        select(AllianceMeeting).join(Alliance, Alliance.id == AllianceMeeting.alliance_id)
        .where(or_(Alliance.coordinating_agency_id.in_(agency_ids), AllianceMeeting.programme_id.in_(programme_ids)))
        .order_by(AllianceMeeting.id)
    )
    upcoming = []
    for meeting in meetings:
        chosen = meeting.chosen_candidate
        if chosen is None or chosen.ends_at >= local_now:
            upcoming.append((meeting, chosen))
    upcoming.sort(key=lambda pair: (pair[1] is None, pair[1].starts_at if pair[1] else datetime.max, pair[0].id))
    counts = _count_by(func.count(Organisation.id), Organisation.kind.in_([OrganisationKind.school, OrganisationKind.company]),
                       Organisation.id.in_(partners), group_by=Organisation.kind)
    return CoordinatorOverview(
        programmes=with_days,
        upcoming_events=events,
        upcoming_meetings=upcoming,
        school_count=counts.get(OrganisationKind.school, 0),
        company_count=counts.get(OrganisationKind.company, 0),
    )


def registration_open(career_day: CareerDay, local_now: datetime) -> bool:
    """Schools may register classes until the deadline (or, without one, until the day itself)."""
    if career_day.registration_deadline is not None:
        return local_now < career_day.registration_deadline
    return local_now.date() < career_day.date


def school_overview(school: Organisation, now: datetime) -> SchoolOverview:
    """Career days open for registration, and the school's registered classes per career day."""
    local_now = wall_clock(now)
    upcoming = db.session.scalars(
        select(CareerDay).where(CareerDay.date >= local_now.date()).order_by(CareerDay.date, CareerDay.id)
    )
    overview = SchoolOverview(school, [day for day in upcoming if registration_open(day, local_now)])
    classes = list(db.session.scalars(
        select(SchoolClass).join(CareerDay, CareerDay.id == SchoolClass.career_day_id)
        .where(SchoolClass.school_id == school.id).order_by(CareerDay.date, CareerDay.id, SchoolClass.name)
    ))
    wishes = dict(db.session.execute(
        select(Student.class_id, func.count(distinct(Preference.student_id)))
        .join(Preference, Preference.student_id == Student.id)
        .where(Student.class_id.in_([c.id for c in classes])).group_by(Student.class_id)
    ).all()) if classes else {}
    grouped: dict[int, list[ClassSummary]] = defaultdict(list)
    days: dict[int, CareerDay] = {}
    for school_class in classes:
        days[school_class.career_day_id] = school_class.career_day
        grouped[school_class.career_day_id].append(ClassSummary(school_class, wishes.get(school_class.id, 0)))
    overview.classes_by_career_day = [(days[day_id], grouped[day_id]) for day_id in days]
    return overview


def company_overview(company: Organisation) -> CompanyOverview:
    """The company's offers per career day (rounds and seats), and its employer events with registrations."""
    offers = list(db.session.scalars(
        select(Offer).join(CareerDay, CareerDay.id == Offer.career_day_id)
        .where(Offer.company_id == company.id).order_by(CareerDay.date, CareerDay.id, Offer.title, Offer.id)
    ))
    grouped: dict[int, list[OfferSummary]] = defaultdict(list)
    days: dict[int, CareerDay] = {}
    for offer in offers:
        days[offer.career_day_id] = offer.career_day
        slots = sorted(offer.slots, key=lambda slot: slot.round.position)
        grouped[offer.career_day_id].append(OfferSummary(offer, [slot.round.position for slot in slots], sum(slot.capacity for slot in slots)))
    events = list(db.session.scalars(
        select(EmployerEvent).where(EmployerEvent.company_id == company.id).order_by(EmployerEvent.starts_at, EmployerEvent.id)
    ))
    ids = [event.id for event in events]
    confirmed = _count_by(func.sum(EventRegistration.places), EventRegistration.event_id.in_(ids),
                          EventRegistration.status == RegistrationStatus.confirmed, group_by=EventRegistration.event_id) if ids else {}
    waitlisted = _count_by(func.count(EventRegistration.id), EventRegistration.event_id.in_(ids),
                           EventRegistration.status == RegistrationStatus.waitlisted, group_by=EventRegistration.event_id) if ids else {}
    return CompanyOverview(
        company,
        [(days[day_id], grouped[day_id]) for day_id in days],
        [EventSummary(event, int(confirmed.get(event.id) or 0), waitlisted.get(event.id, 0)) for event in events],
    )
