"""Capacity is guarded by the database: CHECK and unique constraints reject overbooking written by any
code path, and the seat functions' conditional UPDATEs never oversell, even when many transactions
race for the last seats. Every test runs on SQLite (a file, so that threads share it) and PostgreSQL
(a throwaway database of its own)."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from scheduler_app.domain import seats
from scheduler_app.extensions import db
from scheduler_app.models import Allocation, AllocationSlot, Assignment, CareerDay, EmployerEvent, Room, Slot, Venue
from tests import factories


@pytest.fixture
def session(own_app):
    with own_app.app_context():
        yield db.session
        db.session.rollback()


def _allocation_with_one_student():
    """A career day with two rounds, offer A in both, offer B in round 1; one student; one allocation."""
    career_day = factories.make_career_day(rounds=2)
    offer_a = factories.make_offer(career_day, capacity=2)
    offer_b = factories.make_offer(career_day, capacity=2, rounds=[1])
    student = factories.make_school_class(career_day, students=1).students[0]
    allocation = Allocation(career_day=career_day)
    db.session.add(allocation)
    db.session.flush()
    return allocation, student, offer_a, offer_b


def _assign(allocation: Allocation, student, slot: Slot) -> None:
    db.session.add(Assignment(allocation=allocation, student=student, slot=slot, round_id=slot.round_id, offer_id=slot.offer_id))
    db.session.flush()


# --- direct writes that violate the constraints fail ---------------------------------------------

def test_slot_min_size_above_capacity_is_rejected(session):
    career_day = factories.make_career_day(rounds=1)
    with pytest.raises(IntegrityError, match="ck_slot_min_size_within_capacity"):
        factories.make_offer(career_day, capacity=5, min_size=6)


@pytest.mark.parametrize("table", ["slot", "employer_event", "room"])
def test_negative_capacity_is_rejected(session, table):
    if table == "slot":
        factories.make_offer(factories.make_career_day(rounds=1), capacity=5)
    elif table == "employer_event":
        factories.make_employer_event(capacity=5)
    else:
        venue = Venue(name="Aula")
        venue.rooms.append(Room(name="Raum 1", capacity=5))
        session.add(venue)
        session.flush()
    with pytest.raises(IntegrityError, match=f"ck_{table}_"):
        session.execute(sa.text(f"UPDATE {table} SET capacity = -1"))


def test_employer_event_booked_above_capacity_is_rejected(session):
    event = factories.make_employer_event(capacity=3)
    with pytest.raises(IntegrityError, match="ck_employer_event_booked_within_capacity"):
        session.execute(sa.update(EmployerEvent).where(EmployerEvent.id == event.id).values(booked=4))


def test_allocation_slot_assigned_above_capacity_is_rejected(session):
    allocation, _student, offer_a, _offer_b = _allocation_with_one_student()
    session.add(AllocationSlot(allocation=allocation, slot=offer_a.slots[0], capacity=2, assigned=2))
    session.flush()
    with pytest.raises(IntegrityError, match="ck_allocation_slot_assigned_within_capacity"):
        session.execute(sa.update(AllocationSlot).values(assigned=AllocationSlot.assigned + 1))


def test_career_day_registered_students_above_max_is_rejected(session):
    career_day = factories.make_career_day(rounds=1, max_students=50, registered_students=50)
    with pytest.raises(IntegrityError, match="ck_career_day_registered_within_max"):
        session.execute(sa.update(CareerDay).where(CareerDay.id == career_day.id).values(registered_students=51))


def test_a_student_cannot_be_assigned_twice_in_one_round(session):
    allocation, student, offer_a, offer_b = _allocation_with_one_student()
    _assign(allocation, student, offer_a.slots[0])
    with pytest.raises(IntegrityError):
        _assign(allocation, student, offer_b.slots[0])  # another offer, same round


def test_a_student_cannot_be_assigned_the_same_offer_twice(session):
    allocation, student, offer_a, _offer_b = _allocation_with_one_student()
    _assign(allocation, student, offer_a.slots[0])
    with pytest.raises(IntegrityError):
        _assign(allocation, student, offer_a.slots[1])  # same offer, the next round


def test_the_same_student_may_hold_the_same_slot_in_another_allocation(session):
    """The uniqueness is per allocation: a second run of the solver may repeat the first one."""
    allocation, student, offer_a, _offer_b = _allocation_with_one_student()
    _assign(allocation, student, offer_a.slots[0])
    second = Allocation(career_day=allocation.career_day)
    session.add(second)
    _assign(second, student, offer_a.slots[0])
    assert session.scalar(sa.select(sa.func.count()).select_from(Assignment)) == 2


# --- the seat functions ---------------------------------------------------------------------------

def test_take_event_places_stops_at_capacity_and_release_frees_them(session):
    event = factories.make_employer_event(capacity=5)
    assert seats.take_event_places(event.id, 3) is True
    assert seats.take_event_places(event.id, 3) is False  # only 2 left: nothing taken
    assert seats.take_event_places(event.id, 2) is True
    assert event.booked == 5
    seats.release_event_places(event.id, 4)
    assert event.booked == 1
    seats.release_event_places(event.id, 4)  # never below zero
    assert event.booked == 1


def test_take_career_day_places_respects_max_students_and_null_means_unlimited(session):
    limited = factories.make_career_day(rounds=1, max_students=60)
    unlimited = factories.make_career_day(rounds=1)
    assert seats.take_career_day_places(limited.id, 50) is True
    assert seats.take_career_day_places(limited.id, 11) is False
    assert seats.take_career_day_places(limited.id, 10) is True
    assert limited.registered_students == 60
    assert seats.take_career_day_places(unlimited.id, 5000) is True
    seats.release_career_day_places(limited.id, 25)
    assert limited.registered_students == 35


def test_take_allocation_seat_stops_at_capacity(session):
    allocation, _student, offer_a, _offer_b = _allocation_with_one_student()
    slot = offer_a.slots[0]
    load = AllocationSlot(allocation=allocation, slot=slot, capacity=2)
    session.add(load)
    session.flush()
    assert [seats.take_allocation_seat(allocation.id, slot.id) for _ in range(3)] == [True, True, False]
    assert load.assigned == 2
    seats.release_allocation_seat(allocation.id, slot.id)
    assert load.assigned == 1


# --- many transactions racing for the last seats ----------------------------------------------------

RACERS = 12
FREE = 3


def _event(capacity: int):
    event_id = factories.make_employer_event(capacity=capacity, booked=capacity - FREE).id
    return (lambda: seats.take_event_places(event_id, 1)), (lambda: db.session.get(EmployerEvent, event_id).booked), capacity


def _career_day(capacity: int):
    career_day_id = factories.make_career_day(rounds=1, max_students=capacity, registered_students=capacity - FREE).id
    return ((lambda: seats.take_career_day_places(career_day_id, 1)),
            (lambda: db.session.get(CareerDay, career_day_id).registered_students), capacity)


def _allocation_slot(capacity: int):
    allocation, _student, offer_a, _offer_b = _allocation_with_one_student()
    slot_id, allocation_id = offer_a.slots[0].id, allocation.id
    db.session.add(AllocationSlot(allocation=allocation, slot=offer_a.slots[0], capacity=capacity, assigned=capacity - FREE))
    db.session.flush()
    count = sa.select(AllocationSlot.assigned).where(AllocationSlot.allocation_id == allocation_id, AllocationSlot.slot_id == slot_id)
    return (lambda: seats.take_allocation_seat(allocation_id, slot_id)), (lambda: db.session.scalar(count)), capacity


@pytest.mark.parametrize("make_seats", [_event, _career_day, _allocation_slot], ids=["event", "career_day", "allocation_slot"])
def test_taking_the_last_seats_concurrently_never_oversells(own_app, make_seats):
    with own_app.app_context():
        take, count, capacity = make_seats(10)
        db.session.commit()

    start = threading.Barrier(RACERS)

    def racer() -> bool:
        with own_app.app_context():  # its own session and connection
            start.wait(timeout=30)
            taken = take()
            db.session.commit()
            return taken

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        results = [future.result() for future in [pool.submit(racer) for _ in range(RACERS)]]

    assert results.count(True) == FREE
    with own_app.app_context():
        assert count() == capacity
