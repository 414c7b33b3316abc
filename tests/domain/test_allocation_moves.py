"""Manual changes to an allocation: moving students (which locks them), removing, unlocking, re-solving."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from scheduler_app.allocation_runs import run_allocation
from scheduler_app.domain.allocation import (
    move_student,
    remove_assignment,
    resolve_with_minimal_changes,
    unlock,
)
from scheduler_app.domain.errors import DomainError
from scheduler_app.models import AllocationSlot, AllocationState, Assignment
from tests.domain.allocation_data import allocate, make_small_day, require_solver
from tests.factories import make_coordinator

NOW = datetime(2027, 2, 2, 9, 0)


def _load(db_session, allocation, slot) -> int:
    return db_session.scalar(select(AllocationSlot.assigned).where(AllocationSlot.allocation_id == allocation.id,
                                                                   AllocationSlot.slot_id == slot.id))


def _assignment(allocation, student, round_):
    return next((a for a in allocation.assignments if a.student_id == student.id and a.round_id == round_.id), None)


def _free_slot_for(allocation, student, round_, offers):
    """A slot in ``round_`` of an offer the student does not attend yet (so a move is allowed).
    Students of 10b attend two rounds, so two of the four offers are left for them."""
    attended = {a.offer_id for a in allocation.assignments if a.student_id == student.id}
    for offer in offers:
        if offer.id not in attended:
            return next(s for s in offer.slots if s.round_id == round_.id)
    raise AssertionError("no offer left to move to")


@pytest.fixture
def allocated(db_session):
    require_solver()
    day = make_small_day(capacity=5)
    coordinator = make_coordinator(agency=day.career_day.programme.agency)
    db_session.commit()
    return day, coordinator, allocate(day.career_day)


def test_moving_a_student_replaces_the_rounds_assignment_locks_it_and_moves_the_seat(db_session, allocated):
    day, coordinator, allocation = allocated
    student, round_ = day.classes[1].students[0], day.career_day.rounds[1]
    before = _assignment(allocation, student, round_)
    target = _free_slot_for(allocation, student, round_, day.offers)
    old_slot = before.slot
    old_load, new_load = _load(db_session, allocation, old_slot), _load(db_session, allocation, target)

    moved = move_student(coordinator, allocation, student, target, NOW)

    assert moved.locked and moved.slot_id == target.id and moved.offer_id == target.offer_id
    assert [a.slot_id for a in allocation.assignments if a.student_id == student.id and a.round_id == round_.id] == [target.id]
    assert _load(db_session, allocation, old_slot) == old_load - 1
    assert _load(db_session, allocation, target) == new_load + 1


def test_moving_into_a_full_slot_is_refused_and_changes_nothing(db_session, allocated):
    day, coordinator, allocation = allocated
    student, round_ = day.classes[1].students[0], day.career_day.rounds[1]
    target = _free_slot_for(allocation, student, round_, day.offers)
    load = db_session.scalar(select(AllocationSlot).where(AllocationSlot.allocation_id == allocation.id,
                                                          AllocationSlot.slot_id == target.id))
    load.capacity = load.assigned  # the slot is exactly full
    db_session.flush()
    before = _assignment(allocation, student, round_).slot_id

    with pytest.raises(DomainError, match="full"):
        move_student(coordinator, allocation, student, target, NOW)

    assert _assignment(allocation, student, round_).slot_id == before
    assert _load(db_session, allocation, target) == load.capacity


def test_moving_a_student_into_a_round_the_class_is_absent_is_refused(db_session, allocated):
    day, coordinator, allocation = allocated
    student = day.classes[1].students[0]  # class 10b arrives for round 2
    with pytest.raises(DomainError, match="not present"):
        move_student(coordinator, allocation, student, day.offers[0].slots[0], NOW)


def test_moving_a_student_to_an_offer_closed_to_the_grade_is_refused(db_session, allocated):
    day, coordinator, allocation = allocated
    student = day.classes[0].students[0]  # grade 9; offer 4 is for grade 10 and up
    with pytest.raises(DomainError, match="grade"):
        move_student(coordinator, allocation, student, day.offers[3].slots[0], NOW)


def test_moving_a_student_to_an_offer_attended_in_another_round_is_refused(db_session, allocated):
    day, coordinator, allocation = allocated
    student, first, second = day.classes[0].students[0], *day.career_day.rounds[:2]
    offer_of_second = _assignment(allocation, student, second).slot.offer
    same_offer_first_round = next(s for s in offer_of_second.slots if s.round_id == first.id)
    with pytest.raises(DomainError, match="already attends this offer"):
        move_student(coordinator, allocation, student, same_offer_first_round, NOW)


def test_removing_and_unlocking_give_the_seat_back_and_release_the_lock(db_session, allocated):
    day, coordinator, allocation = allocated
    student, round_ = day.classes[1].students[0], day.career_day.rounds[1]
    target = _free_slot_for(allocation, student, round_, day.offers)
    moved = move_student(coordinator, allocation, student, target, NOW)
    assert unlock(coordinator, moved, NOW).locked is False
    load = _load(db_session, allocation, target)

    remove_assignment(coordinator, moved, NOW)

    assert _assignment(allocation, student, round_) is None
    assert _load(db_session, allocation, target) == load - 1


def test_resolve_keeps_locks_and_changes_no_other_assignment_when_none_needs_to_change(db_session, allocated):
    day, coordinator, allocation = allocated
    student, round_ = day.classes[1].students[0], day.career_day.rounds[1]
    target = _free_slot_for(allocation, student, round_, day.offers)
    move_student(coordinator, allocation, student, target, NOW)
    db_session.commit()
    before = {(a.student_id, a.slot_id) for a in allocation.assignments}

    queued = resolve_with_minimal_changes(coordinator, allocation, NOW)
    db_session.commit()
    assert queued.based_on_id == allocation.id
    resolved = run_allocation(queued.id, lambda: NOW)

    assert resolved.state is AllocationState.done
    after = {(a.student_id, a.slot_id) for a in resolved.assignments}
    assert (student.id, target.id) in after
    assert next(a for a in resolved.assignments if a.student_id == student.id and a.slot_id == target.id).locked
    assert before - after == set()  # nothing had to change, so nothing changed
    assert db_session.scalar(select(Assignment.id).where(Assignment.allocation_id == resolved.id,
                                                         Assignment.locked.is_(True))) is not None
