"""Seat counts and uniqueness hold when a crowd sends the same form at the same moment.

Each test builds its data, signs in through the real forms of a live gunicorn server (4 sync
workers, on a SQLite file or a throwaway PostgreSQL database, whichever the suite runs on), fires
20–60 simultaneous requests from threads and checks: no 5xx, exactly the right number accepted
(302) and the rest refused with a message (422), no duplicates, and every counter equal to a
recount of its rows (``CareerDay.registered_students`` = the sum of its classes' headcounts,
``AllocationSlot.assigned`` = its assignments).
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime
from itertools import permutations

import pytest
from sqlalchemy import func, select

from scheduler_app.extensions import db
from scheduler_app.models import (
    Allocation,
    AllocationSlot,
    AllocationState,
    Assignment,
    CareerDay,
    OrganisationKind,
    Preference,
    SchoolClass,
    Student,
)
from tests import factories
from tests.live_server import Answer, Browser, race
from tests.web.career_day_helpers import make_day

pytestmark = pytest.mark.slow


def _statuses(answers: list[Answer], server) -> Counter:
    statuses = Counter(answer.status for answer in answers)
    assert not [s for s in statuses if s >= 500], f"server errors {statuses}:\n{server.log()[-5000:]}"
    return statuses


def _counter_mismatches(career_day_id: int) -> list[str]:
    """Every counter of the day that differs from a recount of its rows."""
    problems = []
    day = db.session.get(CareerDay, career_day_id)
    headcounts = db.session.scalar(select(func.coalesce(func.sum(SchoolClass.headcount), 0))
                                   .where(SchoolClass.career_day_id == career_day_id))
    if day.registered_students != headcounts:
        problems.append(f"registered_students {day.registered_students} != sum of headcounts {headcounts}")
    if day.max_students is not None and headcounts > day.max_students:
        problems.append(f"headcounts {headcounts} > max_students {day.max_students}")
    for load in db.session.scalars(select(AllocationSlot).join(Allocation).where(Allocation.career_day_id == career_day_id)):
        rows = db.session.scalar(select(func.count(Assignment.id)).where(
            Assignment.allocation_id == load.allocation_id, Assignment.slot_id == load.slot_id))
        if load.assigned != rows or rows > load.capacity:
            problems.append(f"slot {load.slot_id}: assigned {load.assigned}, {rows} rows, capacity {load.capacity}")
    return problems


def _teacher_with_class(**class_fields) -> tuple[int, int, str]:
    """A day (100 places), a school contact and one class of theirs holding its places; ids and e-mail."""
    day = make_day(max_students=100)
    contact = factories.make_school_contact()
    school_class = factories.make_school_class(day, contact.memberships[0].organisation, **class_fields)
    day.registered_students = school_class.headcount
    db.session.commit()
    return day.id, school_class.id, contact.email


def _signed_in(server, email: str) -> Browser:
    browser = Browser(server.url)
    browser.sign_in(email, factories.PASSWORD)
    return browser


def test_40_simultaneous_additions_to_a_class_of_three_admit_exactly_three(live_app, live_server):
    with live_app.app_context():
        day_id, class_id, email = _teacher_with_class(headcount=3)
    teacher = _signed_in(live_server, email)
    token = live_server.warm_up(teacher, f"/school/classes/{class_id}")

    answers = race(40, lambda i: teacher.copy().post(f"/school/classes/{class_id}/students",
                                                      {"names": f"Kind {i}", "csrf_token": token}))

    assert _statuses(answers, live_server) == {302: 3, 422: 37}
    assert all(answer.errors() for answer in answers if answer.status == 422)
    with live_app.app_context():
        assert db.session.scalar(select(func.count(Student.id)).where(Student.class_id == class_id)) == 3
        assert _counter_mismatches(day_id) == []


def test_20_simultaneous_edits_lowering_a_headcount_give_back_the_places_once(live_app, live_server):
    with live_app.app_context():
        day_id, class_id, email = _teacher_with_class(headcount=20)
        other = factories.make_school_class(db.session.get(CareerDay, day_id), headcount=30)
        other.career_day.registered_students += 30
        db.session.commit()
    teacher = _signed_in(live_server, email)
    token = live_server.warm_up(teacher, f"/school/classes/{class_id}/edit")
    edit = {"name": "9z", "grade": "9", "headcount": "10", "first_round": "1", "last_round": "3", "csrf_token": token}

    answers = race(20, lambda _i: teacher.copy().post(f"/school/classes/{class_id}/edit", edit))

    assert _statuses(answers, live_server) == {302: 20}  # each is a valid edit; after the first, nothing changes
    with live_app.app_context():
        assert db.session.get(CareerDay, day_id).registered_students == 10 + 30
        assert _counter_mismatches(day_id) == []


def test_the_same_class_name_submitted_20_times_at_once_registers_one_class(live_app, live_server):
    with live_app.app_context():
        day_id, _class_id, email = _teacher_with_class(headcount=5, name="8a")
    teacher = _signed_in(live_server, email)
    page = f"/school/career-days/{day_id}/classes/new"
    token = live_server.warm_up(teacher, page)
    spellings = ["Dup", "DUP", "dup", " Dup ", "dUp"]

    answers = race(20, lambda i: teacher.copy().post(page, {
        "name": spellings[i % len(spellings)], "grade": "9", "headcount": "4", "first_round": "1", "last_round": "3",
        "csrf_token": token}))

    assert _statuses(answers, live_server) == {302: 1, 422: 19}
    refused = [answer for answer in answers if answer.status == 422]
    assert all("bereits eine Klasse mit diesem Namen" in " ".join(answer.errors()) for answer in refused)
    with live_app.app_context():
        names = db.session.scalars(select(SchoolClass.name).where(SchoolClass.career_day_id == day_id)).all()
        assert sorted(name.lower() for name in names) == ["8a", "dup"]
        assert _counter_mismatches(day_id) == []


def test_one_students_wishes_submitted_20_times_at_once_are_replaced_one_after_another(live_app, live_server):
    with live_app.app_context():
        day = make_day(wishes_count=3, wishes_deadline=datetime(2027, 3, 3, 18, 0))
        offers = [factories.make_offer(day, title=title).id for title in ("Bank", "Kfz", "Pflege", "Zoll")]
        school_class = factories.make_school_class(day, students=1, class_code="RACE2345")
        personal_code = school_class.students[0].personal_code
        student_id = school_class.students[0].id
        db.session.commit()
    student = Browser(live_server.url)
    signed_in = student.submit("/wishes/", "/wishes/", {"class_code": "RACE2345", "personal_code": personal_code})
    assert signed_in.status == 302
    token = live_server.warm_up(student, "/wishes/choose")
    orders = list(permutations(offers, 3))[:20]

    answers = race(20, lambda i: student.copy().post("/wishes/choose", {
        "rank_1": orders[i][0], "rank_2": orders[i][1], "rank_3": orders[i][2], "csrf_token": token}))

    assert _statuses(answers, live_server) == {302: 20}
    with live_app.app_context():
        ranked = db.session.execute(select(Preference.rank, Preference.offer_id).where(Preference.student_id == student_id)
                                    .order_by(Preference.rank)).all()
        assert [rank for rank, _offer in ranked] == [1, 2, 3]
        assert tuple(offer for _rank, offer in ranked) in orders


def _done_allocation(day: CareerDay, assignments: dict) -> Allocation:
    """A finished allocation with these assignments ({student: slot}) and slot loads that match them
    (and the day's classes holding their places)."""
    day.registered_students = sum(school_class.headcount for school_class in day.classes)
    allocation = Allocation(career_day=day, state=AllocationState.done, solver_status="optimal", progress=1.0,
                            created_at=datetime(2027, 3, 1), finished_at=datetime(2027, 3, 1))
    db.session.add(allocation)
    for student, slot in assignments.items():
        allocation.assignments.append(Assignment(student=student, slot=slot, round_id=slot.round_id, offer_id=slot.offer_id))
    loads = Counter(slot.id for slot in assignments.values())
    for offer in day.offers:
        for slot in offer.slots:
            allocation.slot_loads.append(AllocationSlot(slot=slot, capacity=slot.capacity, assigned=loads[slot.id]))
    db.session.flush()
    return allocation


def _coordinator_of(day: CareerDay) -> str:
    agency = day.programme.agency
    return next(m.user.email for m in agency.memberships)


def test_one_student_moved_into_6_slots_of_a_round_at_once_holds_one_seat(live_app, live_server):
    with live_app.app_context():
        day = make_day(slots_per_student=1, rounds=1)
        offers = [factories.make_offer(day, capacity=12) for _ in range(7)]
        school = factories.make_organisation(OrganisationKind.school)
        students = [student for size in (34, 33) for student in sorted(
            factories.make_school_class(day, school, students=size).students, key=lambda s: s.id)]
        mover, others = students[0], students[1:]
        seats = {mover: offers[0].slots[0]}
        seats.update({student: offers[1 + index % 6].slots[0] for index, student in enumerate(others)})  # 11 of 12 taken
        allocation = _done_allocation(day, seats)
        db.session.commit()
        day_id, allocation_id, mover_id = day.id, allocation.id, mover.id
        targets = [offer.slots[0].id for offer in offers[1:]]
        email = _coordinator_of(day)
    coordinator = _signed_in(live_server, email)
    token = live_server.warm_up(coordinator, f"/coordinator/allocations/{allocation_id}")

    answers = race(6, lambda i: coordinator.copy().post(f"/coordinator/allocations/{allocation_id}/move", {
        "student": mover_id, "slot": targets[i], "csrf_token": token}))

    assert _statuses(answers, live_server) == {302: 6}  # one after another, each a valid move
    with live_app.app_context():
        held = db.session.scalars(select(Assignment.slot_id).where(Assignment.allocation_id == allocation_id,
                                                                    Assignment.student_id == mover_id)).all()
        assert len(held) == 1 and held[0] in targets
        assert _counter_mismatches(day_id) == []


def test_40_moves_into_an_offer_with_two_places_left_of_its_total_admit_two(live_app, live_server):
    with live_app.app_context():
        day = make_day(slots_per_student=1, rounds=1)
        limited = factories.make_offer(day, capacity=60, max_total=10)
        elsewhere = factories.make_offer(day, capacity=60)
        school_class = factories.make_school_class(day, students=48, headcount=48)
        students = sorted(school_class.students, key=lambda s: s.id)
        seats = {student: (limited if index < 8 else elsewhere).slots[0] for index, student in enumerate(students)}
        allocation = _done_allocation(day, seats)
        db.session.commit()
        day_id, allocation_id, limited_id, target = day.id, allocation.id, limited.id, limited.slots[0].id
        movers = [student.id for student in students[8:]]
        email = _coordinator_of(day)
    coordinator = _signed_in(live_server, email)
    token = live_server.warm_up(coordinator, f"/coordinator/allocations/{allocation_id}")

    answers = race(40, lambda i: coordinator.copy().post(f"/coordinator/allocations/{allocation_id}/move", {
        "student": movers[i], "slot": target, "csrf_token": token}))

    assert _statuses(answers, live_server) == {302: 2, 422: 38}
    with live_app.app_context():
        attendees = db.session.scalar(select(func.count(Assignment.id)).where(
            Assignment.allocation_id == allocation_id, Assignment.offer_id == limited_id))
        assert attendees == 10
        assert _counter_mismatches(day_id) == []
