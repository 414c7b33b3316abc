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
from scheduler_app.models import AllocationSlot, AllocationState, Assignment, Exclusion
from tests.domain.allocation_data import allocate, make_small_day, require_solver
from tests.factories import make_coordinator, make_offer

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


# ---------------------------------------------------------------------------------------------
# every kind of hard constraint refuses a move with the engine's violation in the user's words


def _refused(coordinator, allocation, student, slot) -> str:
    """The message a refused move shows next to the slot field (English msgid, parameters filled)."""
    before = sorted((a.student_id, a.slot_id, a.locked) for a in allocation.assignments)
    with pytest.raises(DomainError) as refused:
        move_student(coordinator, allocation, student, slot, NOW)
    assert refused.value.field == "slot"
    assert sorted((a.student_id, a.slot_id, a.locked) for a in allocation.assignments) == before
    return refused.value.message % refused.value.params


def _attending(allocation, offer) -> int:
    return sum(1 for a in allocation.assignments if a.offer_id == offer.id)


def _named(offer) -> str:
    return f"{offer.title} ({offer.company.name})"


def test_a_move_over_the_slots_seats_is_refused_with_the_engines_capacity_rule(db_session, allocated):
    day, coordinator, allocation = allocated
    student, round_ = day.classes[1].students[0], day.career_day.rounds[1]
    target = _free_slot_for(allocation, student, round_, day.offers)
    load = sum(1 for a in allocation.assignments if a.slot_id == target.id)
    target.capacity = load  # the company lowered its seats after the run
    db_session.flush()
    assert _refused(coordinator, allocation, student, target) == (
        f"{_named(target.offer)} in round 2 is full: {load + 1} students for {load} seats.")


def test_a_move_to_an_offer_closed_to_the_grade_names_offer_grade_and_student(db_session, allocated):
    day, coordinator, allocation = allocated
    student = day.classes[0].students[0]
    electric_round_2 = next(s for s in day.offers[3].slots if s.round.position == 2)
    assert _refused(coordinator, allocation, student, electric_round_2) == (
        f"{_named(day.offers[3])} is not open to grade 9, the grade of {student.display_name} (9a).")


def test_a_move_into_a_round_before_the_class_arrives_is_refused(db_session, allocated):
    day, coordinator, allocation = allocated
    student = day.classes[1].students[0]  # 10b arrives for round 2
    assert _refused(coordinator, allocation, student, day.offers[0].slots[0]) == (
        f"{student.display_name} (10b) is not present in round 1, when {_named(day.offers[0])} takes place.")


def test_a_move_to_an_offer_the_student_attends_in_another_round_is_refused(db_session, allocated):
    day, coordinator, allocation = allocated
    student, first, second = day.classes[0].students[0], *day.career_day.rounds[:2]
    offer = _assignment(allocation, student, second).slot.offer
    same_offer_first_round = next(s for s in offer.slots if s.round_id == first.id)
    assert _refused(coordinator, allocation, student, same_offer_first_round) == (
        f"{student.display_name} (9a) already attends this offer, {_named(offer)}, in another round.")


def test_a_move_to_a_second_offer_of_the_same_company_is_refused(db_session, allocated):
    day, coordinator, allocation = allocated
    student = day.classes[0].students[0]
    attended = _assignment(allocation, student, day.career_day.rounds[0]).slot.offer
    sibling = make_offer(day.career_day, company=attended.company, title="Kfz-Service", capacity=5)  # booked after the run
    db_session.flush()
    target = next(s for s in sibling.slots if s.round.position == 2)
    assert _refused(coordinator, allocation, student, target) == (
        f"{student.display_name} (9a) already attends another offer of {attended.company.name}.")


def test_a_move_to_an_excluded_offer_is_refused(db_session, allocated):
    day, coordinator, allocation = allocated
    student, round_ = day.classes[1].students[0], day.career_day.rounds[1]
    target = _free_slot_for(allocation, student, round_, day.offers)
    db_session.add(Exclusion(student=student, offer=target.offer))
    db_session.flush()
    assert _refused(coordinator, allocation, student, target) == (
        f"{_named(target.offer)} is excluded for {student.display_name} (10b).")


def test_a_move_beyond_the_offers_total_limit_is_refused(db_session, allocated):
    day, coordinator, allocation = allocated
    student, round_ = day.classes[1].students[0], day.career_day.rounds[1]
    target = _free_slot_for(allocation, student, round_, day.offers)
    attendees = _attending(allocation, target.offer)
    target.offer.max_total = attendees
    db_session.flush()
    assert _refused(coordinator, allocation, student, target) == (
        f"{_named(target.offer)} has {attendees + 1} students in total, more than its limit of {attendees}.")


def test_a_move_into_a_free_round_beyond_the_planned_programme_points_is_refused(db_session, allocated):
    """New with the engine's rules: the hand-written checks let a student attend more rounds than planned."""
    day, coordinator, allocation = allocated
    student, last = day.classes[0].students[0], day.career_day.rounds[2]
    remove_assignment(coordinator, _assignment(allocation, student, last), NOW)
    day.career_day.slots_per_student = 2
    db_session.flush()
    target = _free_slot_for(allocation, student, last, day.offers)
    assert _refused(coordinator, allocation, student, target) == (
        f"{student.display_name} (9a) gets 3 programme points, more than the 2 planned.")


def test_fixing_an_assignment_a_re_solve_could_not_keep_is_refused(db_session, allocated):
    """Moving a student into the slot they already have fixes (locks) it: refused when the assignment
    breaks a rule since the run (here the class now arrives for round 2), as a re-solve must keep locks."""
    day, coordinator, allocation = allocated
    student, first = day.classes[0].students[0], day.career_day.rounds[0]
    current = _assignment(allocation, student, first)
    day.classes[0].first_round = 2
    db_session.flush()
    assert _refused(coordinator, allocation, student, current.slot) == (
        f"{student.display_name} (9a) is not present in round 1, when {_named(current.slot.offer)} takes place.")
    assert not current.locked


def test_rules_broken_elsewhere_do_not_block_a_move_and_a_fixed_student_can_be_moved_again(db_session, allocated):
    day, coordinator, allocation = allocated
    day.classes[0].first_round = 2  # every 9a student's round-1 assignment now breaks the presence rule
    db_session.flush()
    student, second = day.classes[1].students[0], day.career_day.rounds[1]  # 10b: two offers left to move to
    first_move = move_student(coordinator, allocation, student, _free_slot_for(allocation, student, second, day.offers), NOW)
    assert first_move.locked
    again = _free_slot_for(allocation, student, second, day.offers)
    moved = move_student(coordinator, allocation, student, again, NOW)  # the move takes the lock along
    assert moved.locked and moved.slot_id == again.id
    assert [a.slot_id for a in allocation.assignments if a.student_id == student.id and a.round_id == second.id] == [again.id]


def test_a_refused_move_reads_in_german(db_session, allocated, app):
    from flask_babel import force_locale, gettext

    day, coordinator, allocation = allocated
    student = day.classes[1].students[0]
    with pytest.raises(DomainError) as refused:
        move_student(coordinator, allocation, student, day.offers[0].slots[0], NOW)
    with app.test_request_context(), force_locale("de"):
        german = gettext(refused.value.message, **refused.value.params)
    assert german == (f"{student.display_name} (10b) ist in Runde 1 nicht anwesend, wenn {_named(day.offers[0])} "
                      "stattfindet.")
