"""Data for the print-ready pages of a PUBLISHED allocation: route sheets (one per student),
door lists (one per slot, for the company) and class lists (one per class, for the teacher).
Late changes since are marked on top: a student marked absent on the class list, an offer withdrawn
on its door lists.

Everything comes from the published snapshot (:mod:`scheduler_app.domain.publication`), never
from the live data: a sheet printed on Friday says on Monday what it said then, and a page costs
one query whatever the size of the day.

Before the coordinator publishes, there is nothing to print (DomainError): a teacher must never
hand out a draft. Door lists carry only a student's display name and class (data minimisation:
a company needs no more to check who is at the door).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, time

from sqlalchemy import select

from scheduler_app.domain import publication
from scheduler_app.domain.errors import DomainError
from scheduler_app.domain.publication import Plan, PlanClass, PlanRound, PlanSlot, PlanStudent
from scheduler_app.extensions import db
from scheduler_app.models import CareerDay, Offer, Organisation, SchoolClass, Student


@dataclass(frozen=True)
class RoundEntry:
    """One round of a student's day; ``offer`` is None when the round is free."""

    round: int
    starts_at: time
    ends_at: time
    offer: str | None = None
    company: str | None = None
    room: str | None = None

    @property
    def free(self) -> bool:
        return self.offer is None


@dataclass(frozen=True)
class RouteSheet:
    student: str
    class_name: str
    school: str
    career_day: str
    date: date
    venue: str | None
    entries: list[RoundEntry]


@dataclass(frozen=True)
class Attendee:
    student: str
    class_name: str


@dataclass(frozen=True)
class DoorList:
    offer: str
    company: str
    company_id: int
    round: int
    starts_at: time
    ends_at: time
    room: str | None
    capacity: int
    attendees: list[Attendee]
    withdrawn: bool = False  # the company withdrew the offer after publishing (a late change)


@dataclass(frozen=True)
class ClassListRow:
    student: str
    entries: list[RoundEntry]
    absent: bool = False  # marked absent by a late change after publishing: will not come


@dataclass(frozen=True)
class ClassList:
    class_name: str
    school: str
    school_id: int
    teacher: str | None
    career_day: str
    date: date
    rounds: list[PlanRound]
    rows: list[ClassListRow]

    @property
    def attending(self) -> int:
        """How many of the listed students will come (those marked absent since do not)."""
        return sum(1 for row in self.rows if not row.absent)


def published_plan(career_day: CareerDay, version: int | None = None) -> Plan:
    """The published snapshot of the day (:mod:`scheduler_app.domain.publication`), read: the current
    version or an earlier one."""
    plan = publication.published_plan(career_day, version)
    if plan is None:
        raise DomainError("The allocation of this career day has not been published yet.")
    return plan


# Late changes since publishing: the snapshot keeps the student or offer, the live data says it is gone.
def _absent_ids(career_day: CareerDay) -> set[int]:
    return set(db.session.scalars(select(Student.id).join(SchoolClass).where(
        SchoolClass.career_day_id == career_day.id, Student.absent_at.is_not(None))))


def _withdrawn_ids(career_day: CareerDay) -> set[int]:
    return set(db.session.scalars(select(Offer.id).where(Offer.career_day_id == career_day.id, Offer.withdrawn_at.is_not(None))))


def _entries(plan: Plan, school_class: PlanClass, slots: dict[int, PlanSlot]) -> list[RoundEntry]:
    """The student's rounds while the class is present; rounds without an assignment are free."""
    entries = []
    for round_ in plan.rounds:
        if not school_class.present_in(round_.position):
            continue
        slot = slots.get(round_.id)
        if slot is None:
            entries.append(RoundEntry(round_.position, round_.starts_at, round_.ends_at))
        else:
            entries.append(RoundEntry(round_.position, round_.starts_at, round_.ends_at, slot.offer.title,
                                      slot.offer.company, slot.offer.room))
    return entries


def _classes(plan: Plan, school_id: int | None) -> list[PlanClass]:
    classes = [c for c in plan.classes if school_id is None or c.school_id == school_id]
    return sorted(classes, key=lambda c: (c.school, c.name))


def _students(school_class: PlanClass) -> list[PlanStudent]:
    return sorted(school_class.students, key=lambda s: (s.name, s.id))


def route_sheets(career_day: CareerDay, *, school: Organisation | None = None,
                 school_class: SchoolClass | None = None, version: int | None = None) -> list[RouteSheet]:
    """A route sheet per student (of one school or one class, if given), ordered by school, class, name."""
    plan = published_plan(career_day, version)
    sheets = []
    for klass in _classes(plan, school.id if school is not None else None):
        if school_class is not None and klass.id != school_class.id:
            continue
        for student in _students(klass):
            sheets.append(RouteSheet(student.name, klass.name, klass.school, plan.name, plan.date, plan.venue,
                                     _entries(plan, klass, plan.by_student.get(student.id, {}))))
    return sheets


def door_lists(career_day: CareerDay, *, company: Organisation | None = None, version: int | None = None) -> list[DoorList]:
    """A list per slot (of one company's offers, if given) with each attendee's display name and class."""
    plan = published_plan(career_day, version)
    withdrawn = _withdrawn_ids(career_day)
    attendees: dict[int, list[Attendee]] = defaultdict(list)
    for klass in plan.classes:
        for student in klass.students:
            for slot in plan.by_student.get(student.id, {}).values():
                attendees[slot.id].append(Attendee(student.name, klass.name))
    lists = []
    for offer in plan.offers:
        if company is not None and offer.company_id != company.id:
            continue
        for slot in plan.slots_of(offer):
            lists.append(DoorList(
                offer=offer.title, company=offer.company, company_id=offer.company_id, round=slot.round.position,
                starts_at=slot.round.starts_at, ends_at=slot.round.ends_at, room=offer.room, capacity=slot.capacity,
                attendees=sorted(attendees[slot.id], key=lambda a: (a.class_name, a.student)),
                withdrawn=offer.id in withdrawn,
            ))
    return sorted(lists, key=lambda d: (d.company, d.offer, d.round))


def class_lists(career_day: CareerDay, *, school: Organisation | None = None) -> list[ClassList]:
    """A list per class (of one school, if given): each student's programme, round by round."""
    plan = published_plan(career_day)
    absent = _absent_ids(career_day)
    lists = []
    for klass in _classes(plan, school.id if school is not None else None):
        present = [r for r in plan.rounds if klass.present_in(r.position)]
        rows = [ClassListRow(student.name, _entries(plan, klass, plan.by_student.get(student.id, {})), student.id in absent)
                for student in _students(klass)]
        lists.append(ClassList(klass.name, klass.school, klass.school_id, klass.teacher, plan.name, plan.date, present, rows))
    return lists
