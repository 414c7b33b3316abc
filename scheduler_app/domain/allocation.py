"""Allocations of a career day: from the database to the allocation engine and back.

The workflow a coordinator follows:

1. :func:`start_allocation` queues a run (a web request or ``flask careerday allocate``);
2. :func:`scheduler_app.allocation_runs.run_allocation` executes it outside any web request (the
   job process or the CLI): it builds an allocation-instance/1 with :func:`build_instance`, calls
   the engine and saves the answer (:func:`save_result`) in ONE transaction;
3. the coordinator reviews it (:mod:`scheduler_app.domain.allocation_review`), moves students by
   hand (:func:`move_student`, which locks the assignment), re-solves with minimal changes
   (:func:`resolve_with_minimal_changes`) and finally :func:`publish`\\ es one allocation.

Ids in the instance are stable strings made from database keys (``R<round.id>``, ``O<offer.id>``,
``C<company.id>``, ``S<slot.id>``, ``P<student.id>``), so results map back by id, never by position.

Everything here follows the domain rules: flush, never commit. The run (claim, lease, progress,
commits) is a boundary of its own, :mod:`scheduler_app.allocation_runs`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Load, joinedload, selectinload

from scheduler_app.domain import audit, late_changes
from scheduler_app.domain.career_days import (
    Deadline,
    bump_calendar_sequence,
    deadline_of,
    format_deadline,
    is_coordinator_of,
    is_open,
)
from scheduler_app.domain.errors import DomainError, NotAllowed
from scheduler_app.domain.locks import Gone, lock_or_gone
from scheduler_app.domain.mail import queue_mail
from scheduler_app.domain.publication import changes, latest_publication, next_version, read_plan, snapshot_of
from scheduler_app.domain.seats import release_allocation_seat, take_allocation_seat
from scheduler_app.extensions import db
from scheduler_app.models import (
    Allocation,
    AllocationSlot,
    AllocationState,
    Assignment,
    CareerDay,
    Exclusion,
    Membership,
    Offer,
    Organisation,
    Preference,
    Publication,
    Role,
    SchoolClass,
    Slot,
    Student,
    User,
)

USABLE_STATUSES = ("optimal", "feasible")  # solver statuses whose assignments are a valid allocation
ACTIVE_STATES = (AllocationState.queued, AllocationState.running)
HIGHEST_GRADE = 13  # SchoolClass.grade is 1..13


@dataclass(frozen=True)
class AllocationWeights:
    """The costs of the objective (allocation-format/1 ``rules``).

    A rank-1 wish costs nothing and each further rank costs more, so the engine prefers giving many
    students their first wishes to giving a few their fifth. An offer the student did not rank is
    allowed but expensive (30 > the cost of any ranked wish): a student without wishes, or whose
    wishes are all full, still gets a programme instead of a free round. An empty wanted slot
    (1000) is worse than anything else.
    """

    rank_costs: tuple[int, ...] = (0, 1, 3, 6, 10, 15)
    unranked_cost: int | None = 30
    missing_cost: int = 1000
    distinct_companies: bool = True
    seed: int = 0


WEIGHTS = AllocationWeights()


# ---------------------------------------------------------------------------------------------
# ids


def round_key(round_id: int) -> str:
    return f"R{round_id}"


def offer_key(offer_id: int) -> str:
    return f"O{offer_id}"


def company_key(company_id: int) -> str:
    return f"C{company_id}"


def slot_key(slot_id: int) -> str:
    return f"S{slot_id}"


def student_key(student_id: int) -> str:
    return f"P{student_id}"


def database_id(key: str, prefix: str) -> int:
    """The database id behind an instance id such as ``S17``; ValueError for anything else."""
    if not key.startswith(prefix) or not key[len(prefix):].isdigit():
        raise ValueError(f"{key!r} is not an id of the form {prefix}<number>")
    return int(key[len(prefix):])


# ---------------------------------------------------------------------------------------------
# the instance


def _grades(offer) -> list[int] | None:
    if offer.min_grade is None and offer.max_grade is None:
        return None
    low = offer.min_grade if offer.min_grade is not None else 1
    high = offer.max_grade if offer.max_grade is not None else HIGHEST_GRADE
    return list(range(low, high + 1))


def _whole_day(path):
    """Loader options for a career day (``path``: ``CareerDay`` itself or a relationship leading to
    it): rounds, venue, offers with company, room and slots, classes with school and students -- one
    query per level, whatever the size of the day. Wishes, exclusions and assignments are read as
    plain rows (:func:`wish_ranks`, :func:`excluded_offers`, :func:`assignment_pairs`): tens of
    thousands of them as ORM objects would take seconds."""
    return (path.options(
        selectinload(CareerDay.rounds), joinedload(CareerDay.venue),
        selectinload(CareerDay.offers).options(joinedload(Offer.company), joinedload(Offer.room), selectinload(Offer.slots)),
        selectinload(CareerDay.classes).options(joinedload(SchoolClass.school), selectinload(SchoolClass.students)),
    ),)


def load_day(career_day_id: int) -> CareerDay:
    """The career day with everything the review, the exports and the instance read as objects, in
    a constant number of queries. Call it before a page or a download walks the day (what was
    already loaded is refreshed)."""
    return db.session.scalars(
        select(CareerDay).where(CareerDay.id == career_day_id).options(*_whole_day(Load(CareerDay)))
        .execution_options(populate_existing=True)
    ).one()


def load_allocation(allocation: Allocation) -> Allocation:
    """The allocation with its slot loads and its whole day (:func:`load_day`), in a constant
    number of queries."""
    return db.session.scalars(
        select(Allocation).where(Allocation.id == allocation.id)
        .options(selectinload(Allocation.slot_loads), *_whole_day(joinedload(Allocation.career_day)))
        .execution_options(populate_existing=True)
    ).one()


@dataclass(frozen=True, order=True)
class Pair:
    """One assignment as a plain row (ordered by student, then round)."""

    student_id: int
    round_id: int
    slot_id: int
    offer_id: int
    locked: bool


def assignment_pairs(allocation_id: int) -> list[Pair]:
    """The allocation's CURRENT assignments (manual moves included), one query, ordered by student and round."""
    rows = db.session.execute(
        select(Assignment.student_id, Assignment.round_id, Assignment.slot_id, Assignment.offer_id, Assignment.locked)
        .where(Assignment.allocation_id == allocation_id).order_by(Assignment.student_id, Assignment.round_id)
    ).all()
    return [Pair(*row) for row in rows]


def locked_assignments(allocation: Allocation) -> list[Assignment]:
    """The assignments fixed by hand (few), as objects with their students."""
    return list(db.session.scalars(
        select(Assignment).where(Assignment.allocation_id == allocation.id, Assignment.locked)
        .order_by(Assignment.student_id, Assignment.round_id)
        .options(selectinload(Assignment.student).selectinload(Student.exclusions))))


def _of_day(career_day_id: int):
    return Student.class_id.in_(select(SchoolClass.id).where(SchoolClass.career_day_id == career_day_id))


def wish_ranks(career_day_id: int) -> dict[int, dict[int, int]]:
    """student id → offer id → rank, for every student of the day (one query; best wish first)."""
    ranks: dict[int, dict[int, int]] = {}
    for student_id, offer_id, rank in db.session.execute(
        select(Preference.student_id, Preference.offer_id, Preference.rank).join(Student)
        .where(_of_day(career_day_id)).order_by(Preference.student_id, Preference.rank)
    ):
        ranks.setdefault(student_id, {})[offer_id] = rank
    return ranks


def excluded_offers(career_day_id: int) -> dict[int, list[int]]:
    """student id → the offers excluded for the student (one query)."""
    excluded: dict[int, list[int]] = {}
    for student_id, offer_id in db.session.execute(
        select(Exclusion.student_id, Exclusion.offer_id).join(Student).where(_of_day(career_day_id))
        .order_by(Exclusion.student_id, Exclusion.offer_id)
    ):
        excluded.setdefault(student_id, []).append(offer_id)
    return excluded


def students_of(career_day: CareerDay) -> list[Student]:
    """Every student of the day not marked absent (a late change), in a stable order (class, then student id)."""
    return [student for school_class in career_day.classes for student in sorted(school_class.students, key=lambda s: s.id)
            if student.absent_at is None]


def _student_rows(career_day_id: int) -> list[tuple[int, int]]:
    """(student id, class id) of every student of the day not marked absent, in the order of :func:`students_of`."""
    return [tuple(row) for row in db.session.execute(
        select(Student.id, Student.class_id).where(_of_day(career_day_id), Student.absent_at.is_(None))
        .order_by(Student.class_id, Student.id))]


def group_label(student: Student) -> str:
    school_class = student.school_class
    return f"{school_class.name} ({school_class.school.name})"


def build_instance(career_day: CareerDay, *, previous: Allocation | None = None, change_cost: int = 5,
                   weights: AllocationWeights = WEIGHTS) -> dict:
    """The career day as an allocation-instance/1 dict (a constant number of queries).

    With ``previous`` (re-solve with minimal changes): its locked assignments become
    ``locked_slots`` and all its assignments become ``rules.previous``, each pair not kept
    costing ``change_cost``. Students marked absent and offers withdrawn after publication (late
    changes) are left out, and so are ``previous``'s pairs and locks that name them.
    """
    rounds = list(career_day.rounds)
    day_offers = list(db.session.scalars(select(Offer).where(Offer.career_day_id == career_day.id, Offer.withdrawn_at.is_(None))
                                         .order_by(Offer.id).options(selectinload(Offer.slots))))
    classes = {c.id: c for c in db.session.scalars(select(SchoolClass).where(SchoolClass.career_day_id == career_day.id)
                                                   .options(joinedload(SchoolClass.school)))}
    offer_ids = {offer.id for offer in day_offers}
    offers, slots = [], []
    for offer in day_offers:
        entry = {"id": offer_key(offer.id), "company": company_key(offer.company_id), "label": offer.title}
        grades = _grades(offer)
        if grades is not None:
            entry["grades"] = grades
        if offer.max_total is not None:
            entry["max_total"] = offer.max_total
        offers.append(entry)
    position = {round_.id: round_.position for round_ in rounds}
    for offer in day_offers:
        for slot in offer.slots:
            slots.append({"id": slot_key(slot.id), "offer": offer_key(offer.id), "round": round_key(slot.round_id),
                          "capacity": slot.capacity, "min_size": slot.min_size})
    slots.sort(key=lambda s: (position[database_id(s["round"], "R")], database_id(s["offer"], "O")))

    locked: dict[int, list[str]] = {}
    previous_pairs = []
    student_rows = _student_rows(career_day.id)
    if previous is not None:
        slot_ids, student_ids = {slot.id for offer in day_offers for slot in offer.slots}, {row[0] for row in student_rows}
        for pair in assignment_pairs(previous.id):
            if pair.slot_id not in slot_ids or pair.student_id not in student_ids:
                continue
            previous_pairs.append({"student": student_key(pair.student_id), "slot": slot_key(pair.slot_id)})
            if pair.locked:
                locked.setdefault(pair.student_id, []).append(slot_key(pair.slot_id))

    ranks, excluded = wish_ranks(career_day.id), excluded_offers(career_day.id)
    present = {class_id: [round_key(r.id) for r in rounds if c.present_in(r.position)] for class_id, c in classes.items()}
    students = []
    for student_id, class_id in student_rows:
        school_class = classes[class_id]
        entry = {
            "id": student_key(student_id),
            "group": f"{school_class.name} ({school_class.school.name})",
            "grade": school_class.grade,
            "rounds": present[class_id],
            "wanted": career_day.slots_per_student,
            "preferences": {offer_key(o): rank for o, rank in ranks.get(student_id, {}).items() if o in offer_ids},
            "excluded": [offer_key(o) for o in excluded.get(student_id, ()) if o in offer_ids],
        }
        if student_id in locked:
            entry["locked_slots"] = locked[student_id]
        students.append(entry)

    rules = {
        "slots_per_student": career_day.slots_per_student,
        "rank_costs": list(weights.rank_costs),
        "unranked_cost": weights.unranked_cost,
        "missing_cost": weights.missing_cost,
        "distinct_companies": weights.distinct_companies,
        "seed": weights.seed,
    }
    if previous is not None:
        rules["previous"] = previous_pairs
        rules["change_cost"] = change_cost
    return {
        "format": "allocation-instance/1",
        "name": career_day.name,
        "rounds": [round_key(r.id) for r in rounds],
        "offers": offers,
        "slots": slots,
        "students": students,
        "rules": rules,
    }


def instance_for(allocation: Allocation) -> dict:
    """The instance the allocation answers: its run's instance (with ``previous`` when it was a
    re-solve), whose locks are the allocation's CURRENT locked assignments (manual moves included)."""
    based_on = db.session.get(Allocation, allocation.based_on_id) if allocation.based_on_id else None
    instance = build_instance(allocation.career_day, previous=based_on)
    locks: dict[str, list[str]] = {}
    for pair in assignment_pairs(allocation.id):
        if pair.locked:
            locks.setdefault(student_key(pair.student_id), []).append(slot_key(pair.slot_id))
    for student in instance["students"]:
        student.pop("locked_slots", None)
        if student["id"] in locks:
            student["locked_slots"] = locks[student["id"]]
    return instance


def result_dict(allocation: Allocation) -> dict:
    """The allocation as an allocation-result/1 dict, from its CURRENT assignments (manual moves
    included); objective, bound and metrics are the engine's, from the run."""
    return {
        "format": "allocation-result/1",
        "status": allocation.solver_status,
        "assignments": [{"student": student_key(p.student_id), "slot": slot_key(p.slot_id)}
                        for p in assignment_pairs(allocation.id)],
        "objective": allocation.objective,
        "bound": allocation.bound,
        "metrics": allocation.metrics or {},
        "problems": allocation.problems or [],
    }


# ---------------------------------------------------------------------------------------------
# starting a run


def _require_coordinator(actor: User | None, career_day: CareerDay) -> None:
    """Coordinators of the agency running this day only; ``actor=None`` is the operator at the
    command line or a job."""
    if actor is not None and not is_coordinator_of(actor, career_day):
        raise NotAllowed("Only coordinators may run and change allocations.")


def active_allocation(career_day: CareerDay) -> Allocation | None:
    """The allocation of this day that is queued or running, if any."""
    return db.session.scalar(
        select(Allocation).where(Allocation.career_day_id == career_day.id, Allocation.state.in_(ACTIVE_STATES))
        .order_by(Allocation.id).limit(1)
    )


def latest_done_allocation(career_day: CareerDay) -> Allocation | None:
    return db.session.scalar(
        select(Allocation).where(Allocation.career_day_id == career_day.id, Allocation.state == AllocationState.done)
        .order_by(Allocation.id.desc()).limit(1)
    )


def career_day_status(career_day: CareerDay) -> str:
    """A short English status for listings: published, the latest run's state, or not allocated."""
    if career_day.published_allocation_id is not None:
        return f"published (allocation {career_day.published_allocation_id})"
    latest = db.session.scalar(
        select(Allocation).where(Allocation.career_day_id == career_day.id).order_by(Allocation.id.desc()).limit(1)
    )
    if latest is None:
        return "not allocated"
    detail = f", {latest.solver_status}" if latest.solver_status else ""
    return f"allocation {latest.id} {latest.state.value}{detail}"


def start_allocation(actor: User | None, career_day: CareerDay, now: datetime, *,
                     based_on: Allocation | None = None) -> Allocation:
    """Queue a run of the allocation engine for the day (the job process picks it up).

    Refuses while another run of the same day is queued or running, and when there is nothing to
    allocate. ``based_on``: re-solve close to that allocation, keeping its locked assignments.
    """
    _require_coordinator(actor, career_day)
    if active_allocation(career_day) is not None:
        raise DomainError("An allocation for this career day is already queued or running.")
    if not any(offer.slots for offer in career_day.offers):
        raise DomainError("This career day has no offers with slots yet.")
    if not any(school_class.students for school_class in career_day.classes):
        raise DomainError("No students are registered for this career day yet.")
    if based_on is not None:
        if based_on.career_day_id != career_day.id:
            raise DomainError("This allocation belongs to another career day.")
        _require_usable(based_on)
    allocation = Allocation(career_day=career_day, state=AllocationState.queued, based_on_id=based_on.id if based_on else None,
                            created_by=actor, created_at=now, progress=0.0, phase="queued")
    db.session.add(allocation)
    db.session.flush()
    audit.record(actor, "allocation.start", allocation, now, career_day=career_day.id,
                 based_on=based_on.id if based_on else None)
    return allocation


def resolve_with_minimal_changes(actor: User | None, allocation: Allocation, now: datetime) -> Allocation:
    """Queue a new run that keeps the allocation's locks and changes as few assignments as it can."""
    return start_allocation(actor, allocation.career_day, now, based_on=allocation)


# ---------------------------------------------------------------------------------------------
# saving a run's answer (the run itself, which commits, is scheduler_app.allocation_runs)


def explanations_for(instance: dict, result: dict, only: str | None = None) -> dict[str, list[dict]]:
    """The engine's reasons (``Reason.to_dict()``) for every student who got fewer slots than
    wanted (only the student with key ``only``, if given), keyed by student key. The instance is
    parsed once, so this costs one pass of ``explain`` per such student; it runs when an allocation
    is saved (and for the student a manual change concerns), never while a page renders."""
    from scheduler_app.solver import explain, parse_instance
    from scheduler_app.solver.check import result_pairs

    if result.get("status") not in USABLE_STATUSES:
        return {}
    parsed = parse_instance(instance)
    pairs, _ = result_pairs(result)
    assigned: dict[str, int] = {}
    for student, _slot in pairs:
        assigned[student] = assigned.get(student, 0) + 1
    student_keys = [s.id for s in parsed.students
                    if assigned.get(s.id, 0) < parsed.target(s) and (only is None or s.id == only)]
    return {key: [reason.to_dict() for reason in explain(parsed, result, key)] for key in student_keys}


def save_result(allocation: Allocation, instance: dict, result: dict, now: datetime) -> None:
    """Write the engine's answer into ``allocation`` (flush only): status, numbers, and for a valid
    allocation every assignment and every slot's load. Ids are mapped back by key; an id the day
    does not know is an error (so a broken result is never half-saved)."""
    status = result["status"]
    allocation.solver_status = status
    allocation.objective = result.get("objective")
    allocation.bound = result.get("bound")
    allocation.metrics = result.get("metrics")
    allocation.problems = result.get("problems") or None
    allocation.explanations = explanations_for(instance, result)
    if status in USABLE_STATUSES:
        slots = {slot.id: slot for offer in allocation.career_day.offers for slot in offer.slots}
        students = {student_id for student_id, _class_id in _student_rows(allocation.career_day_id)}
        locked = {(s["id"], key) for s in instance["students"] for key in s.get("locked_slots", ())}
        loads = dict.fromkeys(slots, 0)
        for pair in result["assignments"]:
            student_id, slot_id = database_id(pair["student"], "P"), database_id(pair["slot"], "S")
            if slot_id not in slots or student_id not in students:
                raise ValueError(f"the result names an unknown student or slot: {pair}")
            slot = slots[slot_id]
            loads[slot_id] += 1
            db.session.add(Assignment(allocation=allocation, student_id=student_id, slot_id=slot_id, round_id=slot.round_id,
                                      offer_id=slot.offer_id, locked=(pair["student"], pair["slot"]) in locked))
        for slot_id, slot in slots.items():
            db.session.add(AllocationSlot(allocation=allocation, slot_id=slot_id, capacity=slot.capacity, assigned=loads[slot_id]))
    allocation.state = AllocationState.done
    allocation.progress = 1.0
    allocation.phase = "done"
    allocation.finished_at = now
    allocation.error = None
    db.session.flush()
    audit.record(allocation.created_by, "allocation.finish", allocation, now, status=status, objective=allocation.objective)


# ---------------------------------------------------------------------------------------------
# manual changes


def _refresh_explanation(allocation: Allocation, student: Student) -> None:
    """After a manual change: the stored reasons of this student, recomputed on the allocation as it
    now is (or dropped, when the student now gets every wanted slot). Others' reasons stay as the
    run left them."""
    db.session.expire(allocation, ["assignments"])
    key = student_key(student.id)
    explanations = {k: v for k, v in (allocation.explanations or {}).items() if k != key}
    explanations.update(explanations_for(instance_for(allocation), result_dict(allocation), only=key))
    allocation.explanations = explanations
    db.session.flush()


def _require_usable(allocation: Allocation) -> None:
    if allocation.state is not AllocationState.done or allocation.solver_status not in USABLE_STATUSES:
        raise DomainError("Only a finished allocation with a valid result can be used for this.")


def _require_draft(allocation: Allocation) -> None:
    """Manual changes go to drafts only: a published version stays as it was published."""
    if is_published(allocation):
        raise DomainError("This allocation is published and stays as it is. Re-solve it to make a new draft "
                          "with your changes.", field="slot")


def assignments_of(allocation: Allocation, student: Student) -> list[Assignment]:
    return list(db.session.scalars(
        select(Assignment).where(Assignment.allocation_id == allocation.id, Assignment.student_id == student.id)
    ))


def _ensure_slot_load(allocation: Allocation, slot: Slot) -> None:
    """A slot added after the run has no load row yet: give it one, so its seats are guarded too."""
    exists = db.session.scalar(
        select(AllocationSlot.id).where(AllocationSlot.allocation_id == allocation.id, AllocationSlot.slot_id == slot.id)
    )
    if exists is None:
        db.session.add(AllocationSlot(allocation_id=allocation.id, slot_id=slot.id, capacity=slot.capacity, assigned=0))
        db.session.flush()


SEARCH_LIMIT = 50


def find_students(career_day: CareerDay, query: str) -> list[Student]:
    """Students of the day whose display name or class contains ``query`` (case-insensitive), at most
    SEARCH_LIMIT, by class and name: how the coordinator finds the one to move."""
    words = (query or "").strip()
    if not words:
        return []
    plain = words.lower().replace("\\", "").replace("%", "").replace("_", "")  # no LIKE wildcards from the user
    pattern = "%" + plain + "%"
    return list(db.session.scalars(
        select(Student).join(SchoolClass, SchoolClass.id == Student.class_id)
        .where(SchoolClass.career_day_id == career_day.id,
               func.lower(Student.display_name).like(pattern) | func.lower(SchoolClass.name).like(pattern))
        .order_by(SchoolClass.name, Student.display_name, Student.id).limit(SEARCH_LIMIT)
        .options(selectinload(Student.school_class).joinedload(SchoolClass.school))
    ))


@dataclass(frozen=True)
class SlotChoice:
    slot: Slot
    free: int  # seats left in this allocation

    @property
    def full(self) -> bool:
        return self.free <= 0


@dataclass(frozen=True)
class ProgrammeRound:
    """One round of a student's programme: the current slot (None: free) and every slot of the round."""

    round: object
    current: Slot | None
    locked: bool
    choices: list[SlotChoice]


def student_programme(allocation: Allocation, student: Student) -> list[ProgrammeRound]:
    """The student's programme per round the class is present, with each slot of the round and its
    free seats: what the coordinator sees before moving the student within a round."""
    career_day = allocation.career_day
    pairs = assignment_pairs(allocation.id)
    loads: dict[int, int] = {}
    for pair in pairs:
        loads[pair.slot_id] = loads.get(pair.slot_id, 0) + 1
    mine = {pair.round_id: pair for pair in pairs if pair.student_id == student.id}
    slots = {slot.id: slot for offer in career_day.offers for slot in offer.slots}
    rounds = []
    for round_ in career_day.rounds:
        if not student.school_class.present_in(round_.position):
            continue
        in_round = sorted((s for s in slots.values() if s.round_id == round_.id), key=lambda s: (s.offer.title.lower(), s.id))
        current = mine.get(round_.id)
        rounds.append(ProgrammeRound(round_, slots.get(current.slot_id) if current else None,
                                     bool(current and current.locked),
                                     [SlotChoice(s, s.capacity - loads.get(s.id, 0)) for s in in_round]))
    return rounds


def move_student(actor: User | None, allocation: Allocation, student: Student, slot: Slot, now: datetime) -> Assignment:
    """Put ``student`` into ``slot`` by hand; the assignment the student had in that round (if any)
    is replaced. The new assignment is LOCKED: a re-solve keeps it.

    The move is checked with the engine's own hard constraints
    (:func:`scheduler_app.domain.allocation_rules.refuse_breaking_move`), so that a re-solve stays
    possible: it is refused, with the engine's violation in the user's words, when it would break a
    rule the allocation did not break before (presence, grades, exclusions, the same offer or
    company twice, more programme points than planned, an offer's total limit, a slot's seats).
    Minimum sizes are not enforced here; the review warns about them. The seat itself is then taken
    by a conditional UPDATE.

    The allocation's row is locked first: moves within one allocation run one after another, so
    the student's current assignments, the offer's attendee count and the seat given back are all
    read as the previous move committed them (slot counters stay equal to their rows).
    """
    from scheduler_app.domain.allocation_rules import full_slot_error, refuse_breaking_move  # builds on this module

    allocation = lock_or_gone(allocation, field="slot")
    _require_coordinator(actor, allocation.career_day)
    _require_usable(allocation)
    _require_draft(allocation)
    offer = slot.offer
    if offer.career_day_id != allocation.career_day_id or student.school_class.career_day_id != allocation.career_day_id:
        raise DomainError("The student and the slot must belong to the career day of this allocation.", field="slot")

    same_round = next((a for a in assignments_of(allocation, student) if a.round_id == slot.round_id), None)
    refuse_breaking_move(allocation, student, slot, same_round)
    if same_round is not None and same_round.slot_id == slot.id:
        same_round.locked = True
        db.session.flush()
        audit.record(actor, "allocation.lock", allocation, now, student=student.id, slot=slot.id)
        return same_round

    _ensure_slot_load(allocation, slot)
    if not take_allocation_seat(allocation.id, slot.id):
        load = db.session.execute(select(AllocationSlot.capacity, AllocationSlot.assigned).where(
            AllocationSlot.allocation_id == allocation.id, AllocationSlot.slot_id == slot.id)).one()
        raise full_slot_error(slot, load.capacity, load.assigned)
    if same_round is not None:
        previous_slot_id = same_round.slot_id
        release_allocation_seat(allocation.id, previous_slot_id)
        same_round.slot_id, same_round.offer_id, same_round.locked = slot.id, offer.id, True
        assignment = same_round
    else:
        previous_slot_id = None
        assignment = Assignment(allocation_id=allocation.id, student_id=student.id, slot_id=slot.id, round_id=slot.round_id,
                                offer_id=offer.id, locked=True)
        db.session.add(assignment)
    db.session.flush()
    db.session.refresh(assignment)
    _refresh_explanation(allocation, student)
    audit.record(actor, "allocation.move", allocation, now, student=student.id, from_slot=previous_slot_id, to_slot=slot.id)
    return assignment


def remove_assignment(actor: User | None, assignment: Assignment, now: datetime) -> None:
    """Take a student out of a slot by hand (the round becomes free), giving the seat back (under the
    allocation's lock, so removing the same assignment twice at once gives it back once)."""
    allocation = lock_or_gone(assignment.allocation)
    if assignment not in allocation.assignments:
        raise Gone()
    _require_coordinator(actor, allocation.career_day)
    _require_usable(allocation)
    _require_draft(allocation)
    release_allocation_seat(allocation.id, assignment.slot_id)
    audit.record(actor, "allocation.remove", allocation, now, student=assignment.student_id, slot=assignment.slot_id)
    student = assignment.student
    allocation.assignments.remove(assignment)  # delete-orphan: deleted at flush, and gone from the list now
    db.session.flush()
    _refresh_explanation(allocation, student)


def unlock(actor: User | None, assignment: Assignment, now: datetime) -> Assignment:
    """Let a re-solve change this assignment again."""
    _require_coordinator(actor, assignment.allocation.career_day)
    _require_usable(assignment.allocation)
    _require_draft(assignment.allocation)
    assignment.locked = False
    db.session.flush()
    audit.record(actor, "allocation.unlock", assignment.allocation, now, student=assignment.student_id, slot=assignment.slot_id)
    return assignment


# ---------------------------------------------------------------------------------------------
# publishing


def _mail_changes(career_day: CareerDay, publication: Publication, changed: list, now: datetime) -> None:
    """A new version: each school's and company's contacts get a mail (to the outbox) listing the
    programmes of theirs that change, round by round (students' display names: personal data)."""
    concerned: dict[int, list] = {}
    for change in changed:
        concerned.setdefault(change.school_id, []).append(change)
        for company_id in change.company_ids:
            concerned.setdefault(company_id, []).append(change)
    if not concerned:
        return
    contacts = db.session.execute(
        select(User, Membership.organisation_id).join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id.in_(concerned), Membership.role == Role.contact, User.active)
        .order_by(User.id)
    ).all()
    names = dict(db.session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(concerned))).all())
    for user, organisation_id in contacts:
        queue_mail(user.email, "plan_changed", {
            "name": user.name, "day": career_day.name, "version": publication.version,
            "organisation": names.get(organisation_id, ""), "changes": concerned[organisation_id],
        }, now, locale=user.locale, personal_data=True)


def is_published(allocation: Allocation) -> bool:
    """Whether this allocation is or was a published version: then it stays as published."""
    if allocation.career_day.published_allocation_id == allocation.id:
        return True
    return db.session.scalar(select(Publication.id).where(Publication.allocation_id == allocation.id).limit(1)) is not None


def publish(actor: User | None, allocation: Allocation, now: datetime, *, close_early: bool = False) -> Publication:
    """Make this allocation the day's published plan, as a new version (1, 2, …) with a snapshot of
    everything the sheets show: route sheets, door lists, class lists, exports and feeds now come
    from that snapshot, whatever changes later. Publishing freezes the day: booking, registration
    and wishes close (:func:`scheduler_app.domain.career_days.is_open`), and the allocation takes no
    more manual changes (a re-solve based on it makes a new draft). The late changes pending for the
    day (:mod:`scheduler_app.domain.late_changes`) accepted before this run started are now part of
    this version.

    Refused for a run that is not finished with a valid result, while a run of the day is queued or
    running, and before the wishes deadline unless ``close_early`` (the coordinator confirmed
    closing wishes early). Two coordinators publishing at once run one after the other (the day's
    row is locked); the second gets the next version."""
    _require_coordinator(actor, allocation.career_day)
    _require_usable(allocation)
    career_day = lock_or_gone(allocation.career_day)
    if active_allocation(career_day) is not None:
        raise DomainError("A run of the allocation engine is queued or running for this career day. "
                          "Publish once it has finished.")
    if is_open(career_day, Deadline.wishes, now) and not close_early:
        raise DomainError("Students can still rank their wishes until %(deadline)s. Publishing closes wishes, "
                          "registration and booking now: please confirm closing them early.",
                          field="close_early", deadline=format_deadline(deadline_of(career_day, Deadline.wishes)))
    previous = latest_publication(career_day)
    publication = Publication(career_day_id=career_day.id, allocation_id=allocation.id, version=next_version(career_day),
                              published_at=now, published_by_id=actor.id if actor is not None else None,
                              snapshot=snapshot_of(allocation))
    db.session.add(publication)
    db.session.flush()
    late_changes.settle(publication, allocation)
    if previous is not None:
        _mail_changes(career_day, publication, changes(read_plan(previous.snapshot), read_plan(publication.snapshot)), now)
    career_day.published_allocation = allocation
    career_day.published_at = now
    db.session.flush()
    bump_calendar_sequence(career_day)  # students', classes' and companies' calendars now show the programme
    audit.record(actor, "allocation.publish", allocation, now, career_day=career_day.id, version=publication.version)
    return publication
