"""Data for the print-ready pages of a PUBLISHED allocation: route sheets (one per student),
door lists (one per slot, for the company) and class lists (one per class, for the teacher).

Before the coordinator publishes, there is nothing to print (DomainError): a teacher must never
hand out a draft. Door lists carry only a student's display name and class (data minimisation:
a company needs no more to check who is at the door).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, time

from scheduler_app.domain.errors import DomainError
from scheduler_app.models import Allocation, Assignment, CareerDay, Organisation, Round, SchoolClass, Slot, Student


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


@dataclass(frozen=True)
class ClassListRow:
    student: str
    entries: list[RoundEntry]


@dataclass(frozen=True)
class ClassList:
    class_name: str
    school: str
    school_id: int
    teacher: str | None
    career_day: str
    date: date
    rounds: list[Round]
    rows: list[ClassListRow]


def published_allocation(career_day: CareerDay) -> Allocation:
    allocation = career_day.published_allocation
    if allocation is None:
        raise DomainError("The allocation of this career day has not been published yet.")
    return allocation


def _room(slot: Slot) -> str | None:
    return slot.offer.room.name if slot.offer.room is not None else None


def _entries(rounds: list[Round], school_class: SchoolClass, assignments: dict[int, Assignment]) -> list[RoundEntry]:
    """The student's rounds while the class is present; rounds without an assignment are free."""
    entries = []
    for round_ in rounds:
        if not school_class.present_in(round_.position):
            continue
        assignment = assignments.get(round_.id)
        if assignment is None:
            entries.append(RoundEntry(round_.position, round_.starts_at, round_.ends_at))
        else:
            offer = assignment.slot.offer
            entries.append(RoundEntry(round_.position, round_.starts_at, round_.ends_at, offer.title, offer.company.name,
                                      _room(assignment.slot)))
    return entries


def _by_student(allocation: Allocation) -> dict[int, dict[int, Assignment]]:
    table: dict[int, dict[int, Assignment]] = defaultdict(dict)
    for assignment in allocation.assignments:
        table[assignment.student_id][assignment.round_id] = assignment
    return table


def _classes(career_day: CareerDay, school: Organisation | None) -> list[SchoolClass]:
    classes = [c for c in career_day.classes if school is None or c.school_id == school.id]
    return sorted(classes, key=lambda c: (c.school.name, c.name))


def _students(school_class: SchoolClass) -> list[Student]:
    return sorted(school_class.students, key=lambda s: (s.display_name, s.id))


def route_sheets(career_day: CareerDay, *, school: Organisation | None = None,
                 school_class: SchoolClass | None = None) -> list[RouteSheet]:
    """A route sheet per student (of one school or one class, if given), ordered by school, class, name."""
    allocation = published_allocation(career_day)
    table = _by_student(allocation)
    rounds = list(career_day.rounds)
    venue = career_day.venue.address if career_day.venue is not None else None
    sheets = []
    for klass in _classes(career_day, school):
        if school_class is not None and klass.id != school_class.id:
            continue
        for student in _students(klass):
            sheets.append(RouteSheet(student.display_name, klass.name, klass.school.name, career_day.name, career_day.date,
                                     venue, _entries(rounds, klass, table[student.id])))
    return sheets


def door_lists(career_day: CareerDay, *, company: Organisation | None = None) -> list[DoorList]:
    """A list per slot (of one company's offers, if given) with each attendee's display name and class."""
    allocation = published_allocation(career_day)
    attendees: dict[int, list[Attendee]] = defaultdict(list)
    for assignment in allocation.assignments:
        student = assignment.student
        attendees[assignment.slot_id].append(Attendee(student.display_name, student.school_class.name))
    lists = []
    for offer in career_day.offers:
        if company is not None and offer.company_id != company.id:
            continue
        for slot in sorted(offer.slots, key=lambda s: s.round.position):
            lists.append(DoorList(
                offer=offer.title, company=offer.company.name, company_id=offer.company_id, round=slot.round.position,
                starts_at=slot.round.starts_at, ends_at=slot.round.ends_at, room=_room(slot), capacity=slot.capacity,
                attendees=sorted(attendees[slot.id], key=lambda a: (a.class_name, a.student)),
            ))
    return sorted(lists, key=lambda d: (d.company, d.offer, d.round))


def class_lists(career_day: CareerDay, *, school: Organisation | None = None) -> list[ClassList]:
    """A list per class (of one school, if given): each student's programme, round by round."""
    allocation = published_allocation(career_day)
    table = _by_student(allocation)
    rounds = list(career_day.rounds)
    lists = []
    for klass in _classes(career_day, school):
        present = [r for r in rounds if klass.present_in(r.position)]
        rows = [ClassListRow(student.display_name, _entries(rounds, klass, table[student.id])) for student in _students(klass)]
        lists.append(ClassList(klass.name, klass.school.name, klass.school_id, klass.teacher_name, career_day.name,
                               career_day.date, present, rows))
    return lists
