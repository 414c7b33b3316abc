"""Setting up a career day: rounds, deadlines, limits; following its progress."""
from datetime import date, datetime, time

import pytest
from sqlalchemy import select

from scheduler_app.domain.career_days import Deadline, check_deadline, create_career_day, progress, update_career_day
from scheduler_app.domain.classes import add_students, register_class
from scheduler_app.domain.errors import DomainError, NotAllowed
from scheduler_app.domain.offers import book_offer
from scheduler_app.domain.wishes import submit_wishes
from scheduler_app.models import AuditEntry, CareerDay, OrganisationKind
from scheduler_app.extensions import db
from tests import factories as f

NOW = datetime(2027, 1, 10, 9, 0)
DAY = date(2027, 3, 10)
ROUNDS = [(time(8, 30), time(9, 15)), (time(9, 30), time(10, 15)), (time(10, 30), time(11, 15))]


def settings(**overrides) -> dict:
    values = dict(
        name="BO-Tag Realschulen", date=DAY, venue=None, rounds=ROUNDS,
        booking_deadline=datetime(2027, 2, 20, 18, 0), registration_deadline=datetime(2027, 2, 25, 18, 0),
        wishes_deadline=datetime(2027, 3, 3, 18, 0), now=NOW,
    )
    values.update(overrides)
    return values


@pytest.fixture
def coordinator_and_programme(db_session):
    coordinator = f.make_coordinator()
    return coordinator, f.make_programme(agency=coordinator.memberships[0].organisation)


def test_create_career_day_numbers_rounds_in_order_and_keeps_data_90_days(coordinator_and_programme):
    coordinator, programme = coordinator_and_programme
    day = create_career_day(coordinator, programme, **settings())
    assert [(r.position, r.starts_at, r.ends_at) for r in day.rounds] == [(i + 1, s, e) for i, (s, e) in enumerate(ROUNDS)]
    assert (day.wishes_count, day.slots_per_student, day.retention_until) == (5, 3, date(2027, 6, 8))
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "career_day.create"))
    assert (entry.actor_id, entry.object_id) == (coordinator.id, day.id)


@pytest.mark.parametrize("rounds, message", [
    ([], "at least one round"),
    ([(time(9, 0), time(8, 0))], "must end after it starts"),
    ([(time(8, 30), time(9, 15)), (time(9, 0), time(9, 45))], "after the previous round"),
    ([(time(10, 0), time(10, 45)), (time(8, 0), time(8, 45))], "after the previous round"),
])
def test_rounds_that_overlap_or_run_backwards_are_refused(coordinator_and_programme, rounds, message):
    coordinator, programme = coordinator_and_programme
    with pytest.raises(DomainError, match=message) as error:
        create_career_day(coordinator, programme, **settings(rounds=rounds))
    assert error.value.field == "rounds"
    assert db.session.scalar(select(CareerDay)) is None


@pytest.mark.parametrize("overrides, field", [
    ({"booking_deadline": datetime(2027, 3, 10, 8, 30)}, "booking_deadline"),
    ({"registration_deadline": datetime(2027, 3, 11, 0, 0)}, "registration_deadline"),
    ({"wishes_deadline": datetime(2027, 2, 24, 0, 0)}, "wishes_deadline"),  # before registration closes
    ({"wishes_deadline": datetime(2027, 2, 19, 0, 0), "registration_deadline": None}, "wishes_deadline"),  # before booking
    ({"slots_per_student": 4}, "slots_per_student"),  # more than the 3 rounds
    ({"wishes_count": 2}, "wishes_count"),  # fewer wishes than slots
    ({"max_students": 0}, "max_students"),
    ({"retention_until": date(2027, 3, 9)}, "retention_until"),
    ({"date": date(2027, 1, 9)}, "date"),
    ({"date": date(9999, 12, 31)}, "date"),  # not an overflow computing the default retention
    ({"date": date(2032, 1, 10)}, "date"),  # more than five years ahead
    ({"booking_deadline": datetime(2026, 3, 10, 8, 29)}, "booking_deadline"),  # more than a year before
    ({"retention_until": date(2028, 3, 10)}, "retention_until"),  # more than a year after
    ({"name": "  "}, "name"),
])
def test_inconsistent_settings_are_refused_at_their_field(coordinator_and_programme, overrides, field):
    coordinator, programme = coordinator_and_programme
    with pytest.raises(DomainError) as error:
        create_career_day(coordinator, programme, **settings(**overrides))
    assert error.value.field == field


def test_only_coordinators_of_the_programme_create_career_days(coordinator_and_programme):
    _, programme = coordinator_and_programme
    for outsider in (f.make_coordinator(), f.make_school_contact()):
        with pytest.raises(NotAllowed):
            create_career_day(outsider, programme, **settings())


def test_update_changes_round_times_and_adds_rounds(coordinator_and_programme):
    coordinator, programme = coordinator_and_programme
    day = create_career_day(coordinator, programme, **settings())
    first_round_id = day.rounds[0].id
    new_rounds = [(time(8, 0), time(8, 40)), *ROUNDS[1:], (time(11, 30), time(12, 15))]
    update_career_day(coordinator, day, **settings(rounds=new_rounds, wishes_count=6, slots_per_student=4,
                                                   max_students=200, retention_until=None))
    assert [(r.starts_at, r.ends_at) for r in day.rounds] == new_rounds
    assert day.rounds[0].id == first_round_id
    assert (day.wishes_count, day.slots_per_student, day.max_students) == (6, 4, 200)


def test_update_cannot_drop_a_round_with_booked_offers(coordinator_and_programme):
    coordinator, programme = coordinator_and_programme
    day = create_career_day(coordinator, programme, **settings())
    f.make_offer(day, rounds=[3])
    with pytest.raises(DomainError, match="round 3") as error:
        update_career_day(coordinator, day, **settings(rounds=ROUNDS[:2], slots_per_student=2, wishes_count=5,
                                                       max_students=None, retention_until=None))
    assert error.value.field == "rounds"
    assert len(day.rounds) == 3


def test_update_cannot_lower_the_limit_below_registered_students(coordinator_and_programme):
    coordinator, programme = coordinator_and_programme
    day = create_career_day(coordinator, programme, **settings(max_students=100))
    school = f.make_organisation(OrganisationKind.school, partner_of=programme.agency)
    register_class(coordinator, day, school, name="9a", grade=9, headcount=25, first_round=None, last_round=None,
                   teacher_name=None, now=NOW)
    with pytest.raises(DomainError, match="25 students") as error:
        update_career_day(coordinator, day, **settings(max_students=24, wishes_count=5, slots_per_student=3,
                                                       retention_until=None))
    assert error.value.field == "max_students"


def test_deadline_passed_message_names_the_deadline_and_coordinators_are_exempt(coordinator_and_programme):
    coordinator, programme = coordinator_and_programme
    day = create_career_day(coordinator, programme, **settings())
    teacher = f.make_school_contact()
    # 18:00 in Berlin (winter) is 17:00 UTC: one minute before and one after.
    check_deadline(teacher, day, Deadline.registration, datetime(2027, 2, 25, 16, 59))
    with pytest.raises(DomainError, match=r"registering classes has passed \(25.02.2027, 18:00\)"):
        check_deadline(teacher, day, Deadline.registration, datetime(2027, 2, 25, 17, 0))
    check_deadline(coordinator, day, Deadline.registration, datetime(2027, 3, 1))


def test_progress_counts_offers_seats_classes_rosters_and_wishes_per_school_and_round(coordinator_and_programme):
    coordinator, programme = coordinator_and_programme
    day = create_career_day(coordinator, programme, **settings(wishes_count=3))
    company = f.make_organisation(OrganisationKind.company, partner_of=programme.agency)
    for title, rounds in (("Kfz", [1, 2, 3]), ("Pflege", [1, 2]), ("Bank", [2, 3])):
        book_offer(coordinator, day, company, title=title, description=None, occupational_field=None,
                   round_positions=rounds, seats=10, min_size=0, min_grade=None, max_grade=None, room_wish=None, now=NOW)
    alpha = f.make_organisation(OrganisationKind.school, name="Alpha-Schule", partner_of=programme.agency)
    beta = f.make_organisation(OrganisationKind.school, name="Beta-Schule", partner_of=programme.agency)
    early = register_class(coordinator, day, alpha, name="9a", grade=9, headcount=20, first_round=1, last_round=2,
                           teacher_name=None, now=NOW)
    register_class(coordinator, day, beta, name="10b", grade=10, headcount=15, first_round=2, last_round=None,
                   teacher_name=None, now=NOW)
    anna, _ = add_students(coordinator, early, ["Anna", "Ben"], NOW)
    submit_wishes(anna, anna, [offer.id for offer in day.offers], NOW)

    result = progress(day)

    assert (result.offers, result.companies, result.slots, result.seats) == (3, 1, 7, 70)
    assert (result.classes, result.students_registered, result.students_entered, result.students_with_wishes) == (2, 35, 2, 1)
    assert [(s.school.name, s.classes, s.students_registered, s.students_entered, s.students_with_wishes)
            for s in result.per_school] == [("Alpha-Schule", 1, 20, 2, 1), ("Beta-Schule", 1, 15, 0, 0)]
    assert [(r.position, r.slots, r.seats, r.students_present) for r in result.per_round] == [
        (1, 2, 20, 20), (2, 3, 30, 35), (3, 2, 20, 15)]


def test_a_day_that_has_taken_place_keeps_its_date_but_none_moves_into_the_past(coordinator_and_programme):
    coordinator, programme = coordinator_and_programme
    day = create_career_day(coordinator, programme, **settings())
    later = dict(wishes_count=5, slots_per_student=3, max_students=None, retention_until=None, now=datetime(2027, 4, 1))
    update_career_day(coordinator, day, **settings(name="Umbenannt", **later))
    assert (day.name, day.date) == ("Umbenannt", DAY)
    with pytest.raises(DomainError, match="past") as error:
        update_career_day(coordinator, day, **settings(date=date(2027, 3, 9), **later))
    assert error.value.field == "date"


def test_a_form_with_several_broken_rules_reports_every_one_at_its_field(coordinator_and_programme):
    from scheduler_app.domain.errors import each

    coordinator, programme = coordinator_and_programme
    with pytest.raises(DomainError) as refused:
        create_career_day(coordinator, programme, **settings(
            name=" ", booking_deadline=datetime(2027, 1, 2, 12, 0),  # in the past on NOW
            registration_deadline=datetime(2027, 1, 1, 18, 0),  # before booking
            wishes_count=1, slots_per_student=2))
    fields = sorted(error.field for error in each(refused.value))
    assert fields == ["booking_deadline", "name", "registration_deadline", "wishes_count"]
    assert db.session.scalar(select(CareerDay.id)) is None


def test_editing_a_day_whose_deadlines_have_passed_is_allowed(coordinator_and_programme):
    from scheduler_app.domain.career_days import past_deadlines

    coordinator, programme = coordinator_and_programme
    day = create_career_day(coordinator, programme, **settings())
    later = datetime(2027, 2, 22, 12, 0)  # booking closed, registration and wishes open
    update_career_day(coordinator, day, **{**settings(name="BO-Tag neu"), "now": later, "wishes_count": 5,
                                           "slots_per_student": 3, "max_students": None, "retention_until": None})
    assert day.name == "BO-Tag neu" and past_deadlines(day, later) == ["booking_deadline"]


def test_a_day_of_one_round_says_one_offer_not_between_1_and_1(coordinator_and_programme):
    coordinator, programme = coordinator_and_programme
    with pytest.raises(DomainError, match="exactly 1 offer"):
        create_career_day(coordinator, programme, **settings(rounds=[(time(8, 30), time(9, 15))], slots_per_student=2,
                                                             wishes_count=2))


def test_next_steps_count_only_students_who_must_attend_a_round(db_session):
    day = f.make_career_day(rounds=3, slots_per_student=2)
    f.make_school_class(day, headcount=20, name="9a")  # present in 3 rounds, attends 2: may spend any round free
    f.make_school_class(day, headcount=12, name="9b", first_round=2)  # present in 2 rounds, attends both
    db.session.flush()

    rounds = progress(day).per_round

    assert [(r.students_present, r.students_bound) for r in rounds] == [(20, 0), (32, 12), (32, 12)]
