"""What the coordinator reads before publishing: how well an allocation serves the students, and
what is wrong with it, in the user's words (after pretalx's schedule warnings).

:func:`review` computes everything from the allocation's CURRENT assignments (so manual moves
count) and the day's data; for a published version, its students and their wishes come from the
published snapshot, so late changes never alter what the review of a published plan says. Messages
are English msgids marked with ``N_`` and carry their parameters; the page translates them with ``_(message, **params)``. The engine's explanations for
students who got fewer slots than wanted were computed once, when the run was saved
(``Allocation.explanations``); here they are mapped from their reason codes to msgids the same way.
The broken rules among the warnings are the engine's own check of the allocation as it is now
(:func:`scheduler_app.domain.allocation_rules.breaches`), never a copy of its rules.
"""
from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from scheduler_app.domain.allocation import (
    USABLE_STATUSES,
    Pair,
    assignment_pairs,
    offer_key,
    round_key,
    student_key,
    students_of,
    wish_ranks,
)
from scheduler_app.domain.allocation_rules import breaches
from scheduler_app.domain.errors import N_
from scheduler_app.domain.publication import published_inputs
from scheduler_app.models import Allocation, Offer, Organisation, Slot, Student

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    """A msgid with its parameters: ``_(message.message, **message.params)`` in a template."""

    code: str
    message: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Warning(Message):  # noqa: A001 -- the word the users and pretalx use
    subjects: tuple = ()  # the students, slots or offers concerned, for a list under the warning


@dataclass(frozen=True)
class HistogramBar:
    rank: int | None  # None: an offer the student did not rank
    count: int
    share: float  # of all assignments, 0..1 (the bar's length)


@dataclass(frozen=True)
class SlotFill:
    slot: Slot
    assigned: int

    @property
    def capacity(self) -> int:
        return self.slot.capacity

    @property
    def min_size(self) -> int:
        return self.slot.min_size

    @property
    def share(self) -> float:
        return self.assigned / self.capacity if self.capacity else 0.0


@dataclass(frozen=True)
class OfferFill:
    offer: Offer
    slots: list[SlotFill]
    wished_by: int  # students who ranked this offer

    @property
    def assigned(self) -> int:
        return sum(s.assigned for s in self.slots)

    @property
    def capacity(self) -> int:
        return sum(s.capacity for s in self.slots)


@dataclass(frozen=True)
class SchoolFill:
    school: Organisation
    students: int
    wanted: int  # slots the students should attend (their targets, summed)
    assigned: int
    fully_served: int


@dataclass(frozen=True)
class UnservedStudent:
    student: Student
    assigned: int
    target: int
    reasons: list[Message]


@dataclass(frozen=True)
class AllocationReview:
    allocation: Allocation
    histogram: list[HistogramBar]
    offers: list[OfferFill]
    schools: list[SchoolFill]
    unserved: list[UnservedStudent]
    warnings: list[Warning]
    students: int
    fully_served: int
    problems: list[dict]  # the engine's own report for an infeasible or invalid instance (English)


# Every reason code the engine exports (scheduler_app.solver.REASON_CODES) in the user's words. The
# parameters come from the reason itself: ``rank`` (the wish), the offer and its company (from
# ``reason.offer``), the rounds (from ``reason.rounds``), ``assigned``/``target``, ``max_total``,
# ``grade`` (the student's class). tests/domain/test_allocation_review.py fails when a code lacks one.
REASON_MESSAGES = {
    "got_best_wishes": N_("The student got the best wishes that were possible."),
    "missing_slots": N_("The student gets %(assigned)d of %(target)d programme points."),
    "not_present": N_("Wish %(rank)d, %(offer)s (%(company)s), takes place only in round %(rounds)s, "
                      "when the class is not present."),
    "grade_not_allowed": N_("Wish %(rank)d, %(offer)s (%(company)s), is not open to grade %(grade)d."),
    "excluded": N_("Wish %(rank)d, %(offer)s (%(company)s), is excluded for this student."),
    "full_in_every_round": N_("Wish %(rank)d, %(offer)s (%(company)s), was full in every round in which the "
                              "class is present (round %(rounds)s)."),
    "full": N_("Wish %(rank)d, %(offer)s (%(company)s), was full in round %(rounds)s."),
    "offer_max_total_reached": N_("Wish %(rank)d, %(offer)s (%(company)s), has reached its limit of "
                                  "%(max_total)d attendees."),
    "min_size_not_reached": N_("Wish %(rank)d, %(offer)s (%(company)s), does not take place in round "
                               "%(rounds)s: too few attendees for its minimum size."),
    "locked": N_("Wish %(rank)d, %(offer)s (%(company)s), could not be placed in round %(rounds)s: the "
                 "student has a fixed assignment there."),
    "already_attends_company": N_("Wish %(rank)d, %(offer)s (%(company)s): the student already attends "
                                  "another offer of this company."),
    "round_taken": N_("Wish %(rank)d, %(offer)s (%(company)s): in round %(rounds)s the student already "
                      "attends a wish ranked as high or higher."),
    "trade_off": N_("Wish %(rank)d, %(offer)s (%(company)s), had a free seat in round %(rounds)s, but taking "
                    "it would mean giving up another programme point; the allocation as a whole is better as it is."),
    "no_slot": N_("Wish %(rank)d, %(offer)s (%(company)s), takes place in no round."),
}
FALLBACK_REASON = N_("The allocation engine found no better allocation for this student.")
NOT_EXPLAINED = N_("The allocation engine has no explanation for this student: the programme was changed by hand "
                   "after the run.")


def target(student: Student, career_day) -> int:
    """How many slots the student can get: the wanted number, but never more than rounds present."""
    present = sum(1 for r in career_day.rounds if student.school_class.present_in(r.position))
    return min(career_day.slots_per_student, present)


def review(allocation: Allocation) -> AllocationReview:
    """Everything the review page shows. Reads the day's objects (call
    :func:`~scheduler_app.domain.allocation.load_allocation` first for a constant number of queries)
    and the assignments and wishes as plain rows."""
    career_day = allocation.career_day
    published = published_inputs(allocation)  # a published version: its students and wishes, as published
    if published is None:
        students = students_of(career_day)
    else:
        students = [s for c in career_day.classes for s in sorted(c.students, key=lambda s: s.id) if s.id in published.student_ids]
    pairs = assignment_pairs(allocation.id)
    by_student: dict[int, list[Pair]] = defaultdict(list)
    loads = Counter()
    for pair in pairs:
        by_student[pair.student_id].append(pair)
        loads[pair.slot_id] += 1
    all_ranks = wish_ranks(career_day.id) if published is None else published.ranks
    ranks = {student.id: all_ranks.get(student.id, {}) for student in students}

    histogram = _histogram(allocation, pairs, ranks)
    wished = Counter(offer_id for wishes in ranks.values() for offer_id in wishes)
    offers = [OfferFill(offer, [SlotFill(slot, loads[slot.id]) for slot in sorted(offer.slots, key=lambda s: s.round.position)],
                        wished[offer.id]) for offer in _offers(career_day, published=published is not None)]

    targets = {student.id: target(student, career_day) for student in students}
    unserved_students = [s for s in students if len(by_student[s.id]) < targets[s.id]]
    schools = _school_fill(students, targets, by_student)
    usable = allocation.solver_status in USABLE_STATUSES
    unserved = [UnservedStudent(s, len(by_student[s.id]), targets[s.id], reasons)
                for s, reasons in zip(unserved_students, _explanations(allocation, unserved_students) if usable else
                                      [[] for _ in unserved_students])]
    warnings = list(_warnings(allocation, pairs, students, ranks, unserved_students, published=published is not None))
    return AllocationReview(
        allocation=allocation, histogram=histogram, offers=offers, schools=schools, unserved=unserved,
        warnings=warnings, students=len(students), fully_served=len(students) - len(unserved_students),
        problems=list(allocation.problems or []),
    )


def _histogram(allocation: Allocation, pairs: list[Pair], ranks: dict[int, dict[int, int]]) -> list[HistogramBar]:
    counts = Counter(ranks.get(p.student_id, {}).get(p.offer_id) for p in pairs)
    total = sum(counts.values())
    highest = max([allocation.career_day.wishes_count] + [rank for rank in counts if rank is not None])
    keys = list(range(1, highest + 1)) + [None]
    return [HistogramBar(rank, counts[rank], counts[rank] / total if total else 0.0) for rank in keys]


def _school_fill(students, targets, by_student) -> list[SchoolFill]:
    per_school: dict[int, list[Student]] = defaultdict(list)
    for student in students:
        per_school[student.school_class.school_id].append(student)
    fills = []
    for group in per_school.values():
        school = group[0].school_class.school
        fills.append(SchoolFill(
            school=school, students=len(group), wanted=sum(targets[s.id] for s in group),
            assigned=sum(len(by_student[s.id]) for s in group),
            fully_served=sum(1 for s in group if len(by_student[s.id]) >= targets[s.id]),
        ))
    return sorted(fills, key=lambda f: f.school.name)


# ---------------------------------------------------------------------------------------------
# explanations


def _explanations(allocation: Allocation, students: list[Student]) -> list[list[Message]]:
    """The reasons stored with the allocation (computed when it was saved), in the user's words."""
    stored = allocation.explanations or {}
    names = _Names(allocation)
    out = []
    for student in students:
        reasons = stored.get(student_key(student.id))
        if reasons is None:
            out.append([Message("not_explained", NOT_EXPLAINED, {})])
            continue
        out.append([_reason_message(reason, names, student) for reason in reasons]
                   or [Message("none", FALLBACK_REASON, {})])
    return out


def _reason_message(reason: dict, names: _Names, student: Student) -> Message:
    """One stored reason (``Reason.to_dict()``) as a msgid with its parameters; a code without a
    message, or a reason lacking a parameter its message names, falls back to FALLBACK_REASON."""
    code = reason.get("code")
    params = names.params(reason, student)
    message = REASON_MESSAGES.get(code, FALLBACK_REASON)
    try:
        message % params
    except (KeyError, TypeError, ValueError):
        log.warning("reason %r lacks a parameter of its message", code)
        return Message(code or "unknown", FALLBACK_REASON, {})
    return Message(code, message, params)


class _Names:
    """Turns the engine's ids (``O3``, ``R7`` …) into the names a coordinator knows."""

    def __init__(self, allocation: Allocation):
        day = allocation.career_day
        self.offers = {offer_key(o.id): o for o in day.offers}
        self.rounds = {round_key(r.id): r for r in day.rounds}

    def params(self, reason: dict, student: Student) -> dict:
        numbers = reason.get("numbers") or {}
        params = {key: value for key, value in numbers.items() if ":" not in key}
        offer = self.offers.get(reason.get("offer") or "")
        if offer is not None:
            params["offer"], params["company"] = offer.title, offer.company.name
        positions = sorted({self.rounds[r].position for r in reason.get("rounds") or () if r in self.rounds})
        if positions:
            params["rounds"] = ", ".join(str(p) for p in positions)
        params["grade"] = student.school_class.grade
        return params


# ---------------------------------------------------------------------------------------------
# warnings: the engine's rule violations, then one function per other kind, each yielding Warnings


def _warnings(allocation, pairs, students, ranks, unserved_students, *, published: bool):
    if allocation.solver_status in ("infeasible", "invalid"):
        yield Warning("no_allocation", N_("The allocation engine found no allocation that keeps every rule. "
                                          "The problems it reports are listed below."))
    # the engine checks the allocation against the day's data as it is NOW; a published version
    # takes no more moves and is shown as it was published, so late changes (an absent student, a
    # withdrawn offer) must not turn up as broken rules on it
    for breach in () if published else breaches(allocation, pairs):
        yield Warning(breach.code, breach.message, breach.params, breach.subjects)
    if unserved_students:
        yield Warning("students_under_served", N_("%(n)d students get fewer programme points than wanted."),
                      {"n": len(unserved_students)}, tuple(unserved_students))
    without_wishes = tuple(s for s in students if not ranks[s.id])
    if without_wishes:
        yield Warning("students_without_wishes",
                      N_("%(n)d students have not entered any wishes; they get offers they did not choose."),
                      {"n": len(without_wishes)}, without_wishes)
    wished = {offer_id for wishes in ranks.values() for offer_id in wishes}
    for offer in _offers(allocation.career_day, published=published):
        if students and offer.id not in wished:
            yield Warning("offer_not_wished", N_("Nobody wished the offer %(offer)s (%(company)s)."),
                          {"offer": offer.title, "company": offer.company.name}, (offer,))
    yield from _presence_warnings(allocation.career_day)


def _offers(career_day, *, published: bool) -> list[Offer]:
    """The offers a review shows: a published version keeps those withdrawn since (it was published
    with them); a draft leaves them out, as the engine did."""
    return [offer for offer in career_day.offers if published or offer.withdrawn_at is None]


def _presence_warnings(career_day):
    for school_class in career_day.classes:
        present = sum(1 for r in career_day.rounds if school_class.present_in(r.position))
        if present < career_day.slots_per_student:
            yield Warning("class_window_too_short",
                          N_("Class %(class_name)s (%(school)s) is present in only %(rounds)d rounds, "
                             "fewer than the %(wanted)d programme points per student."),
                          {"class_name": school_class.name, "school": school_class.school.name,
                           "rounds": present, "wanted": career_day.slots_per_student}, (school_class,))
