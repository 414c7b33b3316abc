"""Helpers the career-day web tests share: a day with its people, and an allocation published by hand."""
from __future__ import annotations

from datetime import date, datetime

from scheduler_app.domain.publication import snapshot_of
from scheduler_app.extensions import db
from scheduler_app.models import Allocation, AllocationState, Assignment, CareerDay, Publication, Slot, Student
from tests import factories

DAY = date(2027, 3, 10)


def make_day(**fields) -> CareerDay:
    coordinator = factories.make_coordinator()
    programme = factories.make_programme(coordinator.memberships[0].organisation)
    return factories.make_career_day(programme, day=DAY, wishes_count=fields.pop("wishes_count", 2),
                                     slots_per_student=fields.pop("slots_per_student", 2), **fields)


def publish_by_hand(career_day: CareerDay, assignments: dict[Student, list[Slot]]) -> Allocation:
    """A finished, published allocation (version 1, with its snapshot) with exactly these assignments
    (no engine run needed)."""
    allocation = Allocation(career_day=career_day, state=AllocationState.done, solver_status="optimal", progress=1.0,
                            created_at=datetime(2027, 3, 1), finished_at=datetime(2027, 3, 1))
    db.session.add(allocation)
    for student, slots in assignments.items():
        for slot in slots:
            allocation.assignments.append(Assignment(student=student, slot=slot, round_id=slot.round_id, offer_id=slot.offer_id))
    db.session.flush()
    career_day.published_allocation = allocation
    career_day.published_at = datetime(2027, 3, 2)
    db.session.add(Publication(career_day=career_day, allocation=allocation, version=1, published_at=career_day.published_at,
                               snapshot=snapshot_of(allocation)))
    db.session.flush()
    return allocation
