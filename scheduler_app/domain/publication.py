"""The published plan of a career day: a frozen snapshot per published version.

Publishing (:func:`scheduler_app.domain.allocation.publish`) stores what every printed sheet shows
(:func:`snapshot_of`: the day's name, date and venue, its rounds, offers with company and room, the
slots, the classes with their students' display names, the assignments, and the wishes the plan
answered) as a new :class:`~scheduler_app.models.Publication` (version 1, 2, …). Route sheets, door
lists, class lists, the published allocation's CSV/XLSX export and the calendar feeds read the
snapshot (:func:`current_snapshot`), and its review page the students and wishes
(:func:`published_inputs`), so nothing that changes after publishing (a class registered late, an
offer renamed, a student moved in a draft) alters what was handed out.

Reading a snapshot costs one query, whatever the size of the day.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from scheduler_app.extensions import db
from scheduler_app.models import Allocation, Assignment, CareerDay, Offer, Preference, Publication, SchoolClass, Student


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")


def snapshot_of(allocation: Allocation) -> dict:
    """Everything the printed sheets of ``allocation`` show, and the wishes its review reads, as
    JSON-ready data (a constant number of queries: the day's offers, classes, wishes and the
    allocation's assignments are loaded eagerly). Offers withdrawn and students marked absent after
    an earlier publication (late changes) are not part of it."""
    career_day = allocation.career_day
    offers = db.session.scalars(
        select(Offer).where(Offer.career_day_id == career_day.id, Offer.withdrawn_at.is_(None)).order_by(Offer.id)
        .options(selectinload(Offer.slots), selectinload(Offer.company), selectinload(Offer.room))
    ).all()
    classes = db.session.scalars(
        select(SchoolClass).where(SchoolClass.career_day_id == career_day.id).order_by(SchoolClass.id)
        .options(selectinload(SchoolClass.students), selectinload(SchoolClass.school))
    ).all()
    pairs = db.session.execute(
        select(Assignment.student_id, Assignment.slot_id).where(Assignment.allocation_id == allocation.id)
        .order_by(Assignment.student_id, Assignment.round_id)
    ).all()
    wishes = db.session.execute(
        select(Preference.student_id, Preference.offer_id, Preference.rank).join(Student)
        .where(Student.class_id.in_([c.id for c in classes]), Student.absent_at.is_(None))
        .order_by(Preference.student_id, Preference.rank)
    ).all()
    venue = career_day.venue
    return {
        "day": {"name": career_day.name, "date": career_day.date.isoformat(),
                "venue": venue.address if venue is not None else None},
        "rounds": [{"id": r.id, "position": r.position, "starts_at": _hhmm(r.starts_at), "ends_at": _hhmm(r.ends_at)}
                   for r in career_day.rounds],
        "offers": [{"id": o.id, "title": o.title, "company": o.company.name, "company_id": o.company_id,
                    "room": o.room.name if o.room is not None else None,
                    "slots": [{"id": s.id, "round": s.round_id, "capacity": s.capacity}
                              for s in sorted(o.slots, key=lambda s: s.id)]}
                   for o in offers],
        "classes": [{"id": c.id, "name": c.name, "school": c.school.name, "school_id": c.school_id,
                     "teacher": c.teacher_name, "first_round": c.first_round, "last_round": c.last_round,
                     "students": [{"id": s.id, "name": s.display_name} for s in sorted(c.students, key=lambda s: s.id)
                                  if s.absent_at is None]}
                    for c in classes],
        "assignments": [[student_id, slot_id] for student_id, slot_id in pairs],
        "wishes": [[student_id, offer_id, rank] for student_id, offer_id, rank in wishes],
    }


def next_version(career_day: CareerDay) -> int:
    latest = db.session.scalar(select(Publication.version).where(Publication.career_day_id == career_day.id)
                               .order_by(Publication.version.desc()).limit(1))
    return (latest or 0) + 1


def publications(career_day: CareerDay) -> list[Publication]:
    """Every published version of the day, newest first."""
    return list(db.session.scalars(select(Publication).where(Publication.career_day_id == career_day.id)
                                   .order_by(Publication.version.desc())))


def latest_publication(career_day: CareerDay) -> Publication | None:
    return db.session.scalar(select(Publication).where(Publication.career_day_id == career_day.id)
                             .order_by(Publication.version.desc()).limit(1))


def snapshot_of_published(allocation: Allocation) -> dict | None:
    """The snapshot taken when ``allocation`` was last published, or None if it never was."""
    return db.session.scalar(select(Publication.snapshot).where(Publication.allocation_id == allocation.id)
                             .order_by(Publication.version.desc()).limit(1))


@dataclass(frozen=True)
class PublishedInputs:
    """What a published allocation answered, from its snapshot: its students and their wishes."""

    student_ids: frozenset[int]
    ranks: dict[int, dict[int, int]]  # student id → offer id → rank


def published_inputs(allocation: Allocation) -> PublishedInputs | None:
    """The students and wishes ``allocation`` was published with, so its review shows what was
    published whatever changed later; None for a draft, and for a version published before
    snapshots held the wishes (its review reads the live ones)."""
    snapshot = snapshot_of_published(allocation)
    if not snapshot or "wishes" not in snapshot:
        return None
    ranks: dict[int, dict[int, int]] = {}
    for student_id, offer_id, rank in snapshot["wishes"]:
        ranks.setdefault(student_id, {})[offer_id] = rank
    return PublishedInputs(frozenset(s["id"] for c in snapshot["classes"] for s in c["students"]), ranks)


def current_snapshot(career_day: CareerDay) -> dict | None:
    """The published plan: the latest version's snapshot; for a day published before snapshots
    existed, the same snapshot built from its published allocation; None before publication."""
    if career_day.published_allocation_id is None:
        return None
    publication = latest_publication(career_day)
    if publication is not None and publication.allocation_id == career_day.published_allocation_id:
        return publication.snapshot
    return snapshot_of(career_day.published_allocation)


# ---------------------------------------------------------------------------------------------
# reading a snapshot


@dataclass(frozen=True)
class PlanRound:
    id: int
    position: int
    starts_at: time
    ends_at: time


@dataclass(frozen=True)
class PlanOffer:
    id: int
    title: str
    company: str
    company_id: int
    room: str | None


@dataclass(frozen=True)
class PlanSlot:
    id: int
    offer: PlanOffer
    round: PlanRound
    capacity: int


@dataclass(frozen=True)
class PlanStudent:
    id: int
    name: str


@dataclass(frozen=True)
class PlanClass:
    id: int
    name: str
    school: str
    school_id: int
    teacher: str | None
    first_round: int | None
    last_round: int | None
    students: tuple[PlanStudent, ...]

    def present_in(self, position: int) -> bool:
        return SchoolClass.present_in(self, position)  # the same rule as the live class


@dataclass(frozen=True)
class Plan:
    """A snapshot, read: rounds in order, slots by id, classes, and each student's slot per round."""

    name: str
    date: date
    venue: str | None
    rounds: list[PlanRound]
    offers: list[PlanOffer]
    slots: dict[int, PlanSlot]
    classes: list[PlanClass]
    by_student: dict[int, dict[int, PlanSlot]]  # student id → round id → slot

    def slots_of(self, offer: PlanOffer) -> list[PlanSlot]:
        return sorted((s for s in self.slots.values() if s.offer.id == offer.id), key=lambda s: s.round.position)

    def class_of(self, student_id: int) -> PlanClass | None:
        return next((c for c in self.classes if any(s.id == student_id for s in c.students)), None)


def read_plan(snapshot: dict) -> Plan:
    rounds = [PlanRound(r["id"], r["position"], time.fromisoformat(r["starts_at"]), time.fromisoformat(r["ends_at"]))
              for r in snapshot["rounds"]]
    round_by_id = {r.id: r for r in rounds}
    offers, slots = [], {}
    for o in snapshot["offers"]:
        offer = PlanOffer(o["id"], o["title"], o["company"], o["company_id"], o["room"])
        offers.append(offer)
        for s in o["slots"]:
            if s["round"] in round_by_id:
                slots[s["id"]] = PlanSlot(s["id"], offer, round_by_id[s["round"]], s["capacity"])
    classes = [PlanClass(c["id"], c["name"], c["school"], c["school_id"], c["teacher"], c["first_round"], c["last_round"],
                         tuple(PlanStudent(s["id"], s["name"]) for s in c["students"])) for c in snapshot["classes"]]
    by_student: dict[int, dict[int, PlanSlot]] = {}
    for student_id, slot_id in snapshot["assignments"]:
        slot = slots.get(slot_id)
        if slot is not None:
            by_student.setdefault(student_id, {})[slot.round.id] = slot
    day = snapshot["day"]
    return Plan(day["name"], date.fromisoformat(day["date"]), day["venue"], rounds, offers, slots, classes, by_student)


def published_plan(career_day: CareerDay, version: int | None = None) -> Plan | None:
    """The plan as published: the current version, or ``version`` (every version stays readable)."""
    if version is None:
        snapshot = current_snapshot(career_day)
    else:
        snapshot = db.session.scalar(select(Publication.snapshot).where(Publication.career_day_id == career_day.id,
                                                                        Publication.version == version))
    return read_plan(snapshot) if snapshot is not None else None



# ---------------------------------------------------------------------------------------------
# what changes between two versions


@dataclass(frozen=True)
class RoundChange:
    round: int
    before: PlanSlot | None  # None: free (or not in that version)
    after: PlanSlot | None


@dataclass(frozen=True)
class StudentChange:
    """A student whose programme differs between two versions, round by round."""

    student: str
    class_name: str
    school: str
    school_id: int
    rounds: tuple[RoundChange, ...]
    student_id: int | None = None

    @property
    def company_ids(self) -> set[int]:
        return {slot.offer.company_id for change in self.rounds for slot in (change.before, change.after) if slot}


def changes(before: Plan, after: Plan) -> list[StudentChange]:
    """Every student whose slot differs in some round between ``before`` and ``after`` (students
    added or removed included), ordered by school, class and name."""
    members = {student.id: (klass, student) for plan in (before, after) for klass in plan.classes for student in klass.students}
    rounds = sorted({r.position: r for r in before.rounds} | {r.position: r for r in after.rounds})
    found = []
    for klass, student in members.values():
        old, new = before.by_student.get(student.id, {}), after.by_student.get(student.id, {})
        old_by_position = {slot.round.position: slot for slot in old.values()}
        new_by_position = {slot.round.position: slot for slot in new.values()}
        differing = tuple(RoundChange(p, old_by_position.get(p), new_by_position.get(p)) for p in rounds
                          if _slot_id(old_by_position.get(p)) != _slot_id(new_by_position.get(p)))
        if differing:
            found.append(StudentChange(student.name, klass.name, klass.school, klass.school_id, differing, student.id))
    return sorted(found, key=lambda c: (c.school, c.class_name, c.student))


def _slot_id(slot: PlanSlot | None) -> int | None:
    return slot.id if slot is not None else None


def changes_against_published(allocation: Allocation) -> tuple[Publication | None, list[StudentChange]]:
    """A draft of a published day against the latest published version: who would change."""
    latest = latest_publication(allocation.career_day)
    if latest is None or latest.allocation_id == allocation.id:
        return latest, []
    return latest, changes(read_plan(latest.snapshot), read_plan(snapshot_of(allocation)))
