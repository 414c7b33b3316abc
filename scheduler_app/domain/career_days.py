"""Career days: the coordinator sets up the day (venue, rounds, deadlines, limits) and follows progress.

Also holds the rules the other career-day modules share: who counts as the day's coordinator, and
whether a deadline has passed. Deadlines and round times are naive Europe/Berlin wall-clock times
(see ``models_base``) while ``now`` is naive UTC, so ``now`` is converted before comparing.
A deadline left empty means "until the day begins". Coordinators of the day's programme are not
bound by the deadlines (they register late classes or fix offers on request); capacities bind everyone.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date as date_type
from datetime import datetime, time, timedelta

from sqlalchemy import distinct, func, select, update

from scheduler_app.domain import audit, dates
from scheduler_app.domain.dashboards import wall_clock as local_time
from scheduler_app.domain.errors import Collector, DomainError, NotAllowed
from scheduler_app.domain.scope import add_partner, works_with
from scheduler_app.extensions import db
from scheduler_app.models import (
    CareerDay,
    Offer,
    Organisation,
    Programme,
    Role,
    Round,
    SchoolClass,
    Slot,
    Student,
    User,
    Venue,
)

NAME_MAX_LENGTH = 200
MAX_ROUNDS = 20
MAX_WISHES = 20
DEFAULT_RETENTION = timedelta(days=90)
# What a coordinator can mean: a day within the next five years, deadlines in the year before it,
# students' data kept at most a year after it (the defaults and every date computed from them stay
# far from the calendar's end, which "9999-12-31" plus 90 days overran).
MAX_YEARS_AHEAD = 5
DEADLINES_WITHIN = timedelta(days=365)
MAX_RETENTION = timedelta(days=365)


MAX_REMINDERS = 5
MAX_REMINDER_DAYS = 60


def configure_retention(default_days: int, max_days: int) -> None:
    """The agency's retention rule (``RETENTION_DAYS``, ``RETENTION_MAX_DAYS``): the default period
    after a career day and the legal maximum a coordinator may set."""
    global DEFAULT_RETENTION, MAX_RETENTION
    DEFAULT_RETENTION, MAX_RETENTION = timedelta(days=default_days), timedelta(days=max_days)


def clean_reminder_days(text: str | None) -> str:
    """"7, 2" → "7,2": up to five whole numbers of days (1 to 60) before each deadline, or none."""
    parts = [part.strip() for part in (text or "").split(",") if part.strip()]
    if len(parts) > MAX_REMINDERS or not all(part.isdigit() and 1 <= int(part) <= MAX_REMINDER_DAYS for part in parts):
        raise DomainError("Please enter up to %(n)d numbers of days between 1 and %(max)d, separated by commas.",
                          field="reminder_days", n=MAX_REMINDERS, max=MAX_REMINDER_DAYS)
    return ",".join(str(days) for days in sorted({int(part) for part in parts}, reverse=True))


def coordinates(actor, programme: Programme) -> bool:
    """True when ``actor`` is a coordinator of the agency that runs ``programme``."""
    return isinstance(actor, User) and any(
        m.role is Role.coordinator and m.organisation_id == programme.agency_id for m in actor.memberships
    )


def is_coordinator_of(actor, career_day: CareerDay) -> bool:
    return coordinates(actor, career_day.programme)


def bump_calendar_sequence(career_day: CareerDay) -> None:
    """The day's times, places or published programme changed: calendar clients must update its
    events (they compare SEQUENCE). Counted in SQL, so simultaneous changes never lose a step."""
    db.session.execute(
        update(CareerDay).where(CareerDay.id == career_day.id)
        .values(calendar_sequence=CareerDay.calendar_sequence + 1, updated_at=CareerDay.updated_at)  # the caller stamps it
        .execution_options(synchronize_session="fetch")
    )


def take_part(career_day: CareerDay, organisation: Organisation, now: datetime) -> None:
    """The organisation takes part in the day: from now on it works with the day's agency."""
    add_partner(career_day.programme.agency_id, organisation.id, now)


def is_contact_or_coordinator(actor, organisation: Organisation, career_day: CareerDay) -> bool:
    """A contact of the organisation, or a coordinator of the day whose agency works with it."""
    return isinstance(actor, User) and (
        actor.is_contact_of(organisation.id) or (is_coordinator_of(actor, career_day) and works_with(actor, organisation))
    )


class Deadline(enum.Enum):
    booking = "booking_deadline"
    registration = "registration_deadline"
    wishes = "wishes_deadline"


def deadline_of(career_day: CareerDay, which: Deadline) -> datetime:
    """The deadline as wall-clock time; an empty deadline is the start of the day."""
    return getattr(career_day, which.value) or datetime.combine(career_day.date, time.min)


def is_open(career_day: CareerDay, which: Deadline, now: datetime) -> bool:
    """Before the deadline and before publication: publishing freezes the plan, so booking,
    registration and wishes close with it, whatever the deadlines say."""
    return career_day.published_allocation_id is None and local_time(now) < deadline_of(career_day, which)


def format_deadline(value: datetime) -> str:
    """A deadline in the one date format (19.01.2027, 23:59 in German), in the current language."""
    return dates.wallclock(value)


def check_deadline(actor, career_day: CareerDay, which: Deadline, now: datetime) -> None:
    """Raise unless the deadline is still ahead and the plan not yet published (coordinators of the
    day are exempt: they accept late changes on purpose)."""
    if is_open(career_day, which, now) or is_coordinator_of(actor, career_day):
        return
    if career_day.published_allocation_id is not None:
        raise DomainError("The plan of this career day is published: booking, registration and wishes are closed. "
                          "Please ask the coordinator for late changes.")
    shown = format_deadline(deadline_of(career_day, which))
    if which is Deadline.booking:
        raise DomainError("The deadline for booking offers has passed (%(deadline)s).", deadline=shown)
    if which is Deadline.registration:
        raise DomainError("The deadline for registering classes has passed (%(deadline)s).", deadline=shown)
    raise DomainError("The deadline for ranking wishes has passed (%(deadline)s).", deadline=shown)


def _clean_name(name: str | None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("Please enter a name.", field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise DomainError("The name may have at most %(n)d characters.", field="name", n=NAME_MAX_LENGTH)
    return name


def _check_rounds(rounds: list[tuple[time, time]]) -> None:
    if not rounds:
        raise DomainError("Please enter at least one round.", field="rounds")
    if len(rounds) > MAX_ROUNDS:
        raise DomainError("A day may have at most %(n)d rounds.", field="rounds", n=MAX_ROUNDS)
    previous_end = None
    for position, (starts_at, ends_at) in enumerate(rounds, start=1):
        if ends_at <= starts_at:
            raise DomainError("Round %(n)d must end after it starts.", field="rounds", n=position)
        if previous_end is not None and starts_at < previous_end:
            raise DomainError("Round %(n)d must start after the previous round has ended.", field="rounds", n=position)
        previous_end = ends_at


def _check_date(day: date_type, today: date_type, *, may_be_past: bool) -> None:
    if day < today and not may_be_past:
        raise DomainError("The date may not be in the past.", field="date")
    if day > today + timedelta(days=365 * MAX_YEARS_AHEAD):
        raise DomainError("A career day can be planned at most %(n)d years ahead.", field="date", n=MAX_YEARS_AHEAD)


def _check_settings(*, day: date_type, rounds, booking_deadline, registration_deadline, wishes_deadline,
                    wishes_count: int, slots_per_student: int, max_students: int | None,
                    retention_until: date_type | None, errors: Collector) -> None:
    """Every rule of a day's settings; each broken one is added to ``errors`` (a form shows them all)."""
    with errors.check():
        _check_rounds(rounds)
    begins = datetime.combine(day, rounds[0][0] if rounds else time.min)
    deadlines = (("booking_deadline", booking_deadline), ("registration_deadline", registration_deadline),
                 ("wishes_deadline", wishes_deadline))
    for field, deadline in deadlines:
        if deadline is not None and deadline >= begins:
            errors.add(DomainError("Deadlines must be before the day begins.", field=field))
        elif deadline is not None and deadline < begins - DEADLINES_WITHIN:
            errors.add(DomainError("Deadlines must lie within the year before the day.", field=field))
    if booking_deadline is not None and registration_deadline is not None and registration_deadline < booking_deadline:
        errors.add(DomainError("Schools register once offers are booked: the registration deadline may not be before the "
                   "booking deadline.", field="registration_deadline"))
    if wishes_deadline is not None:
        if registration_deadline is not None and wishes_deadline < registration_deadline:
            errors.add(DomainError("Students rank their wishes after classes are registered: the wishes deadline "
                       "may not be before the registration deadline.", field="wishes_deadline"))
        elif booking_deadline is not None and wishes_deadline < booking_deadline:
            errors.add(DomainError("Students rank offers once they are booked: the wishes deadline may not be "
                       "before the booking deadline.", field="wishes_deadline"))
    if len(rounds) == 1 and slots_per_student != 1:
        errors.add(DomainError("The day has one round, so each student attends exactly 1 offer.", field="slots_per_student"))
    elif rounds and not 1 <= slots_per_student <= len(rounds):
        errors.add(DomainError("Each student attends between 1 and %(n)d offers (one per round).", field="slots_per_student",
                   n=len(rounds)))
    if not slots_per_student <= wishes_count <= MAX_WISHES:
        errors.add(DomainError("Students rank between %(low)d and %(high)d offers (at least as many as they attend).",
                   field="wishes_count", low=slots_per_student, high=MAX_WISHES))
    if max_students is not None and max_students < 1:
        errors.add(DomainError("The limit must be at least 1 student, or empty for no limit.", field="max_students"))
    if retention_until is not None and retention_until < day:
        errors.add(DomainError("Students' data can only be deleted after the day.", field="retention_until"))
    if retention_until is not None and retention_until > day + MAX_RETENTION:
        errors.add(DomainError("Students' data may be kept at most %(n)d days after the day.", field="retention_until",
                   n=MAX_RETENTION.days))


def past_deadlines(career_day: CareerDay, now: datetime) -> list[str]:
    """The fields of the day's deadlines that lie in the past (Berlin wall-clock)."""
    today = local_time(now)
    return [which.value for which in Deadline if (getattr(career_day, which.value) or today) < today]


def _check_venue(programme: Programme, venue: Venue | None) -> None:
    if venue is not None and venue.agency_id != programme.agency_id:
        raise DomainError("Please choose one of your agency's venues.", field="venue")


def create_career_day(actor: User, programme: Programme, *, name: str, date: date_type, venue: Venue | None,
                      rounds: list[tuple[time, time]], booking_deadline: datetime | None,
                      registration_deadline: datetime | None, wishes_deadline: datetime | None,
                      wishes_count: int = 5, slots_per_student: int = 3, max_students: int | None = None,
                      retention_until: date_type | None = None, reminder_days: str = "7,2", auto_allocate: bool = False,
                      now: datetime) -> CareerDay:
    """Create a career day with its rounds (positions 1, 2, … in the given order).

    The date lies within the next five years. Rounds must be in time order and may not overlap;
    deadlines lie in the year before the first round; the wishes deadline is not before the
    booking or registration deadline. Students' data is kept until ``retention_until`` (default:
    90 days after the day, at most a year after it).
    """
    if not coordinates(actor, programme):
        raise NotAllowed("Only coordinators of this programme may do this.")
    errors = Collector()
    with errors.check():
        name = _clean_name(name)
    with errors.check():
        _check_venue(programme, venue)
    with errors.check():
        _check_date(date, local_time(now).date(), may_be_past=False)
    if any(error.field == "date" for error in errors.errors):
        errors.raise_any()  # the other rules are measured from the date
    retention_until = retention_until or date + DEFAULT_RETENTION
    _check_settings(day=date, rounds=rounds, booking_deadline=booking_deadline, registration_deadline=registration_deadline,
                    wishes_deadline=wishes_deadline, wishes_count=wishes_count, slots_per_student=slots_per_student,
                    max_students=max_students, retention_until=retention_until, errors=errors)
    for field, deadline in (("booking_deadline", booking_deadline), ("registration_deadline", registration_deadline),
                            ("wishes_deadline", wishes_deadline)):
        if deadline is not None and deadline < local_time(now) and not any(e.field == field for e in errors.errors):
            errors.add(DomainError("This deadline lies in the past. A new day needs deadlines still ahead.", field=field))
    errors.raise_any()
    career_day = CareerDay(
        programme=programme, name=name, date=date, venue=venue, booking_deadline=booking_deadline,
        registration_deadline=registration_deadline, wishes_deadline=wishes_deadline, wishes_count=wishes_count,
        slots_per_student=slots_per_student, max_students=max_students, retention_until=retention_until,
        reminder_days=clean_reminder_days(reminder_days), auto_allocate=bool(auto_allocate), created_at=now, updated_at=now,
        rounds=[Round(position=p, starts_at=s, ends_at=e) for p, (s, e) in enumerate(rounds, start=1)],
    )
    db.session.add(career_day)
    db.session.flush()
    audit.record(actor, "career_day.create", career_day, now, name=name, date=date.isoformat(), rounds=len(rounds))
    return career_day


def update_career_day(actor: User, career_day: CareerDay, *, name: str, date: date_type, venue: Venue | None,
                      rounds: list[tuple[time, time]], booking_deadline: datetime | None,
                      registration_deadline: datetime | None, wishes_deadline: datetime | None,
                      wishes_count: int, slots_per_student: int, max_students: int | None,
                      retention_until: date_type | None, reminder_days: str | None = None,
                      auto_allocate: bool | None = None, now: datetime) -> CareerDay:
    """Change a career day's settings (same rules as :func:`create_career_day`; a day that has taken
    place keeps its date, but cannot be moved into the past).

    Rounds are matched by position: their times change, new positions are added, and a round at
    the end may be dropped only while no offer is booked in it. ``max_students`` may not fall
    below the students already registered.
    """
    if not is_coordinator_of(actor, career_day):
        raise NotAllowed("Only coordinators of this programme may do this.")
    errors = Collector()
    with errors.check():
        name = _clean_name(name)
    with errors.check():
        _check_venue(career_day.programme, venue)
    with errors.check():
        _check_date(date, local_time(now).date(), may_be_past=date == career_day.date)
    if any(error.field == "date" for error in errors.errors):
        errors.raise_any()  # the other rules are measured from the date
    retention_until = retention_until or date + DEFAULT_RETENTION
    _check_settings(day=date, rounds=rounds, booking_deadline=booking_deadline, registration_deadline=registration_deadline,
                    wishes_deadline=wishes_deadline, wishes_count=wishes_count, slots_per_student=slots_per_student,
                    max_students=max_students, retention_until=retention_until, errors=errors)
    if max_students is not None and max_students < career_day.registered_students:
        errors.add(DomainError("%(n)d students are already registered; the limit cannot be lower.", field="max_students",
                   n=career_day.registered_students))
    errors.raise_any()
    dropped = [r for r in career_day.rounds if r.position > len(rounds)]
    booked = db.session.scalar(select(func.min(Round.position)).join(Slot, Slot.round_id == Round.id)
                               .where(Round.id.in_([r.id for r in dropped]))) if dropped else None
    if booked is not None:
        raise DomainError("Offers are booked in round %(n)d, so it cannot be removed.", field="rounds", n=booked)
    if dropped and any((c.first_round or 0) > len(rounds) or (c.last_round or 0) > len(rounds) for c in career_day.classes):
        raise DomainError("Classes are registered for round %(n)d, so it cannot be removed.", field="rounds",
                          n=dropped[0].position)
    before = (career_day.date, career_day.venue_id, [(r.starts_at, r.ends_at) for r in career_day.rounds])
    for round_ in dropped:
        career_day.rounds.remove(round_)
    existing = {r.position: r for r in career_day.rounds}
    for position, (starts_at, ends_at) in enumerate(rounds, start=1):
        if position in existing:
            existing[position].starts_at, existing[position].ends_at = starts_at, ends_at
        else:
            career_day.rounds.append(Round(position=position, starts_at=starts_at, ends_at=ends_at))
    career_day.name, career_day.date, career_day.venue = name, date, venue
    career_day.booking_deadline, career_day.registration_deadline = booking_deadline, registration_deadline
    career_day.wishes_deadline, career_day.wishes_count = wishes_deadline, wishes_count
    career_day.slots_per_student, career_day.max_students = slots_per_student, max_students
    career_day.retention_until, career_day.updated_at = retention_until, now
    if reminder_days is not None:
        career_day.reminder_days = clean_reminder_days(reminder_days)
    if auto_allocate is not None:
        career_day.auto_allocate = auto_allocate
    db.session.flush()
    if before != (career_day.date, career_day.venue_id, [(r.starts_at, r.ends_at) for r in career_day.rounds]):
        bump_calendar_sequence(career_day)
    audit.record(actor, "career_day.update", career_day, now, name=name, date=date.isoformat(), rounds=len(rounds))
    return career_day


@dataclass(frozen=True)
class SchoolProgress:
    school: Organisation
    classes: int
    students_registered: int  # sum of the classes' headcounts
    students_entered: int  # students in the rosters
    students_with_wishes: int  # students who submitted their ranked wishes


@dataclass(frozen=True)
class RoundProgress:
    position: int
    starts_at: time
    ends_at: time
    slots: int
    seats: int
    students_present: int  # headcount of the classes present in this round
    # of those, the students who attend every round they are present (their class is there for no
    # more rounds than the programme points per student): only they must find a seat in THIS round
    students_bound: int = 0


@dataclass(frozen=True)
class CareerDayProgress:
    offers: int
    companies: int
    slots: int
    seats: int
    classes: int
    students_registered: int
    students_entered: int
    students_with_wishes: int
    max_students: int | None
    per_school: list[SchoolProgress]
    per_round: list[RoundProgress]


def progress(career_day: CareerDay) -> CareerDayProgress:
    """How far booking, registration and wishes have come, overall, per school and per round."""
    day_id = career_day.id
    offers, companies = db.session.execute(
        select(func.count(Offer.id), func.count(distinct(Offer.company_id))).where(Offer.career_day_id == day_id)
    ).one()
    slot_rows = db.session.execute(
        select(Round.position, func.count(Slot.id), func.coalesce(func.sum(Slot.capacity), 0))
        .join(Offer, Offer.id == Slot.offer_id).join(Round, Round.id == Slot.round_id)
        .where(Offer.career_day_id == day_id).group_by(Round.position)
    ).all()
    slots_by_round = {position: (count, seats) for position, count, seats in slot_rows}
    roster_rows = db.session.execute(
        select(Student.class_id, func.count(Student.id), func.count(Student.wishes_submitted_at))
        .join(SchoolClass, SchoolClass.id == Student.class_id)
        .where(SchoolClass.career_day_id == day_id).group_by(Student.class_id)
    ).all()
    entered = {class_id: count for class_id, count, _ in roster_rows}
    with_wishes = {class_id: ranked for class_id, _, ranked in roster_rows}
    classes = list(db.session.scalars(select(SchoolClass).where(SchoolClass.career_day_id == day_id)
                                      .order_by(SchoolClass.school_id, SchoolClass.name)))
    schools: dict[int, list[SchoolClass]] = {}
    for school_class in classes:
        schools.setdefault(school_class.school_id, []).append(school_class)
    per_school = sorted(
        (SchoolProgress(
            school=group[0].school,
            classes=len(group),
            students_registered=sum(c.headcount for c in group),
            students_entered=sum(entered.get(c.id, 0) for c in group),
            students_with_wishes=sum(with_wishes.get(c.id, 0) for c in group),
        ) for group in schools.values()),
        key=lambda row: row.school.name.lower(),
    )
    rounds_present = {c.id: sum(1 for r in career_day.rounds if c.present_in(r.position)) for c in classes}
    per_round = [
        RoundProgress(
            position=r.position, starts_at=r.starts_at, ends_at=r.ends_at,
            slots=slots_by_round.get(r.position, (0, 0))[0], seats=int(slots_by_round.get(r.position, (0, 0))[1]),
            students_present=sum(c.headcount for c in classes if c.present_in(r.position)),
            students_bound=sum(c.headcount for c in classes
                               if c.present_in(r.position) and rounds_present[c.id] <= career_day.slots_per_student),
        )
        for r in career_day.rounds
    ]
    return CareerDayProgress(
        offers=offers, companies=companies,
        slots=sum(count for count, _ in slots_by_round.values()),
        seats=sum(int(seats) for _, seats in slots_by_round.values()),
        classes=len(classes),
        students_registered=sum(c.headcount for c in classes),
        students_entered=sum(entered.values()),
        students_with_wishes=sum(with_wishes.values()),
        max_students=career_day.max_students,
        per_school=per_school,
        per_round=per_round,
    )
