"""The allocation engine's hard constraints as the app applies them, in the user's words.

A manual move and the review check an allocation with the engine's own definitions
(:func:`scheduler_app.solver.violations` and :func:`~scheduler_app.solver.violations_of_change`:
the same pair rules and rows that build its model and check its results), never with a copy of
the rules. Each violation code the engine exports (``scheduler_app.solver.VIOLATION_CODES``) has
one message here; tests/domain/test_allocation_rules.py fails when a code lacks one.

Messages are English msgids (``N_``) with parameters, translated by the view or template with
``_(message, **params)``. The parameters come from the violation's ids -- the student
(``student``, ``class_name``, ``grade``), slot (``offer``, ``company``, ``round``), offer,
company or round it names, by the names the coordinator knows -- and from its numbers:
``assigned``, and the limit as ``capacity``, ``min_size``, ``max_total`` or ``target``.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from scheduler_app.domain.allocation import (
    Pair,
    assignment_pairs,
    database_id,
    instance_for,
    slot_key,
    student_key,
)
from scheduler_app.domain.errors import N_, DomainError
from scheduler_app.extensions import db
from scheduler_app.models import Allocation, Assignment, Offer, Organisation, Round, Slot, Student

log = logging.getLogger(__name__)

VIOLATION_MESSAGES = {
    "absent_in_round": N_("%(student)s (%(class_name)s) is not present in round %(round)d, when %(offer)s "
                          "(%(company)s) takes place."),
    "two_slots_in_round": N_("%(student)s (%(class_name)s) has more than one offer in round %(round)d."),
    "too_many_slots": N_("%(student)s (%(class_name)s) gets %(assigned)d programme points, more than the "
                         "%(target)d planned."),
    "same_offer_twice": N_("%(student)s (%(class_name)s) already attends this offer, %(offer)s (%(company)s), "
                           "in another round."),
    "same_company_twice": N_("%(student)s (%(class_name)s) already attends another offer of %(company)s."),
    "slot_over_capacity": N_("%(offer)s (%(company)s) in round %(round)d is full: %(assigned)d students for "
                             "%(capacity)d seats."),
    "slot_below_min_size": N_("%(offer)s (%(company)s) in round %(round)d has %(assigned)d students, fewer than "
                              "its minimum of %(min_size)d."),
    "offer_over_max_total": N_("%(offer)s (%(company)s) has %(assigned)d students in total, more than its limit "
                               "of %(max_total)d."),
    "grade_not_allowed": N_("%(offer)s (%(company)s) is not open to grade %(grade)d, the grade of %(student)s "
                            "(%(class_name)s)."),
    "offer_excluded": N_("%(offer)s (%(company)s) is excluded for %(student)s (%(class_name)s)."),
    "unranked_not_allowed": N_("%(student)s (%(class_name)s) did not choose %(offer)s (%(company)s), and offers "
                               "a student did not choose are not assigned."),
    "locked_slot_not_attended": N_("%(student)s (%(class_name)s) is fixed to %(offer)s (%(company)s) in round "
                                   "%(round)d but does not attend it."),
    "locked_offer_not_attended": N_("%(student)s (%(class_name)s) is fixed to %(offer)s (%(company)s) but does "
                                    "not attend it."),
    "unknown_id": N_("The allocation names students or slots that are no longer part of this career day."),
}
FALLBACK_MESSAGE = N_("The allocation breaks a rule of the allocation engine (%(code)s).")
UNREADABLE_MESSAGE = N_("The allocation engine cannot check the career day's data as it is now: %(problems)s")

# What the engine's ``numbers["limit"]`` is, per code, in the messages' words.
LIMITS = {"slot_over_capacity": "capacity", "slot_below_min_size": "min_size",
          "offer_over_max_total": "max_total", "too_many_slots": "target"}

# A move may leave a slot below its minimum size: a coordinator fills or empties a slot one move at
# a time, and the review warns while it stays so.
TOLERATED_BY_MOVES = frozenset({"slot_below_min_size"})


@dataclass(frozen=True)
class RuleBreach:
    """One violated hard constraint: ``_(message, **params)``; ``subjects`` are the students,
    slots, offers, companies or rounds it names."""

    code: str
    message: str
    params: dict = field(default_factory=dict)
    subjects: tuple = ()


_KINDS = {"P": Student, "S": Slot, "O": Offer, "C": Organisation, "R": Round}


def _named(key: str):
    """The object behind an engine id (``P17`` → the student 17), or None. A plain lookup in the
    session's identity map when the day is loaded (no query)."""
    model = _KINDS.get(key[:1])
    try:
        return db.session.get(model, database_id(key, key[:1])) if model else None
    except ValueError:
        return None


def _params_of(subject) -> dict:
    if isinstance(subject, Student):
        return {"student": subject.display_name, "class_name": subject.school_class.name,
                "grade": subject.school_class.grade}
    if isinstance(subject, Slot):
        return {**_params_of(subject.offer), "round": subject.round.position}
    if isinstance(subject, Offer):
        return {"offer": subject.title, "company": subject.company.name}
    if isinstance(subject, Organisation):
        return {"company": subject.name}
    if isinstance(subject, Round):
        return {"round": subject.position}
    return {}


def describe(violation) -> RuleBreach:
    """The engine's violation in the user's words. A code without a message, or a violation whose
    ids no longer name what its message needs, gets FALLBACK_MESSAGE (and a log line)."""
    subjects = tuple(s for s in (_named(key) for key in violation.ids) if s is not None)
    params: dict = {}
    for subject in subjects:
        params.update({k: v for k, v in _params_of(subject).items() if k not in params})
    numbers = violation.numbers or {}
    if "assigned" in numbers:
        params["assigned"] = numbers["assigned"]
    if violation.code in LIMITS and "limit" in numbers:
        params[LIMITS[violation.code]] = numbers["limit"]
    message = VIOLATION_MESSAGES.get(violation.code)
    try:
        message % params
    except (KeyError, TypeError, ValueError):
        log.warning("violation %r (%s) cannot be worded", violation.code, ", ".join(violation.ids))
        return RuleBreach(violation.code, FALLBACK_MESSAGE, {"code": violation.code}, subjects)
    return RuleBreach(violation.code, message, params, subjects)


def _engine_view(allocation: Allocation, released: tuple[str, str] | None = None, current: list[Pair] | None = None):
    """The allocation as the engine sees it: the parsed instance (its locks the CURRENT locked
    assignments, less the ``released`` (student, slot) lock) and the CURRENT pairs (``current``,
    if the caller has just read them)."""
    from scheduler_app.solver import InvalidInstance, parse_instance

    instance = instance_for(allocation)
    if released is not None:
        for entry in instance["students"]:
            if entry["id"] == released[0] and released[1] in entry.get("locked_slots", ()):
                entry["locked_slots"] = [key for key in entry["locked_slots"] if key != released[1]]
    pairs = [(student_key(p.student_id), slot_key(p.slot_id))
             for p in (current if current is not None else assignment_pairs(allocation.id))]
    try:
        return parse_instance(instance), pairs
    except InvalidInstance as invalid:  # the day's data changed into something the engine refuses
        raise DomainError(UNREADABLE_MESSAGE, field="slot", problems="; ".join(p.message for p in invalid.problems)) from None


def breaches(allocation: Allocation, current: list[Pair] | None = None) -> list[RuleBreach]:
    """Every hard constraint the allocation breaks as it is now (manual moves, and data changed
    since the run: a class's presence, an offer's grades or seats, a student's exclusions), as the
    engine's :func:`~scheduler_app.solver.violations` finds them, in the user's words.
    ``current``: the allocation's :func:`~scheduler_app.domain.allocation.assignment_pairs`, if
    the caller has them."""
    from scheduler_app.solver import violations

    try:
        instance, pairs = _engine_view(allocation, current=current)
    except DomainError as unreadable:
        return [RuleBreach("unreadable", unreadable.message, unreadable.params)]
    return [describe(v) for v in violations(instance, pairs)]


def refuse_breaking_move(allocation: Allocation, student: Student, slot: Slot, replaced: Assignment | None) -> None:
    """Raise a DomainError (on the ``slot`` field) with the first rule that putting ``student``
    into ``slot`` (instead of ``replaced``, the student's assignment in that round) would newly
    break, by the engine's :func:`~scheduler_app.solver.violations_of_change`. Rules the
    allocation already broke before do not block the move; nor does a minimum size
    (TOLERATED_BY_MOVES). The lock of ``replaced`` goes with it: moving a fixed student is what
    the coordinator asked for. When ``slot`` is the one ``replaced`` already holds (the coordinator
    fixes the current assignment), the question is which rules that assignment breaks: a re-solve
    could not keep it."""
    from scheduler_app.solver import violations_of_change

    me, target = student_key(student.id), slot_key(slot.id)
    removed = [(me, slot_key(replaced.slot_id))] if replaced is not None else []
    instance, pairs = _engine_view(allocation, released=removed[0] if removed else None)
    if removed == [(me, target)]:  # fixing the current assignment: the rules it would break if it were new
        pairs, removed = [pair for pair in pairs if pair != (me, target)], []
    for violation in violations_of_change(instance, pairs, removed, [(me, target)]):
        if violation.code not in TOLERATED_BY_MOVES:
            breach = describe(violation)
            raise DomainError(breach.message, field="slot", **breach.params)


def full_slot_error(slot: Slot, capacity: int, assigned: int) -> DomainError:
    """The error when the database's seat guard refused a seat in ``slot`` (``assigned`` of
    ``capacity`` taken): the engine's capacity rule, worded the same as when the engine finds it."""
    from scheduler_app.solver import Violation

    breach = describe(Violation(4, "slot_over_capacity", "", (slot_key(slot.id),),
                                {"assigned": assigned + 1, "limit": capacity}))
    return DomainError(breach.message, field="slot", **breach.params)
