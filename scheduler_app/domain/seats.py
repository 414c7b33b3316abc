"""Seats guarded by the database: conditional UPDATEs that never oversell, even under concurrency.

A check-then-write in Python oversells when two requests read the same count; a single
``UPDATE … SET assigned = assigned + 1 WHERE assigned + 1 <= capacity`` cannot, on SQLite
and on PostgreSQL alike (the CHECK constraint on the table is the last line of defence).
These functions flush only; the boundary commits.
"""
from __future__ import annotations

from sqlalchemy import update

from scheduler_app.extensions import db
from scheduler_app.models import AllocationSlot, CareerDay, EmployerEvent


def take_allocation_seat(allocation_id: int, slot_id: int) -> bool:
    """Take one seat of ``slot_id`` within the allocation; False when the slot is full (or unknown)."""
    result = db.session.execute(
        update(AllocationSlot)
        .where(
            AllocationSlot.allocation_id == allocation_id,
            AllocationSlot.slot_id == slot_id,
            AllocationSlot.assigned + 1 <= AllocationSlot.capacity,
        )
        .values(assigned=AllocationSlot.assigned + 1)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount == 1


def release_allocation_seat(allocation_id: int, slot_id: int) -> None:
    """Give back one seat of ``slot_id`` within the allocation (never below zero)."""
    db.session.execute(
        update(AllocationSlot)
        .where(
            AllocationSlot.allocation_id == allocation_id,
            AllocationSlot.slot_id == slot_id,
            AllocationSlot.assigned > 0,
        )
        .values(assigned=AllocationSlot.assigned - 1)
        .execution_options(synchronize_session="fetch")
    )


def take_career_day_places(career_day_id: int, n: int) -> bool:
    """Reserve ``n`` of the career day's places (its ``max_students``); False when fewer are left."""
    result = db.session.execute(
        update(CareerDay)
        .where(
            CareerDay.id == career_day_id,
            (CareerDay.max_students.is_(None)) | (CareerDay.registered_students + n <= CareerDay.max_students),
        )
        .values(registered_students=CareerDay.registered_students + n)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount == 1


def release_career_day_places(career_day_id: int, n: int) -> None:
    """Give back ``n`` of the career day's places (never below zero)."""
    db.session.execute(
        update(CareerDay)
        .where(CareerDay.id == career_day_id, CareerDay.registered_students >= n)
        .values(registered_students=CareerDay.registered_students - n)
        .execution_options(synchronize_session="fetch")
    )


def take_event_places(event_id: int, n: int) -> bool:
    """Confirm ``n`` places of an employer event; False (nothing changed) when fewer than ``n`` are free."""
    result = db.session.execute(
        update(EmployerEvent)
        .where(EmployerEvent.id == event_id, EmployerEvent.booked + n <= EmployerEvent.capacity)
        .values(booked=EmployerEvent.booked + n)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount == 1


def release_event_places(event_id: int, n: int) -> None:
    """Give back ``n`` confirmed places of an employer event (never below zero)."""
    db.session.execute(
        update(EmployerEvent)
        .where(EmployerEvent.id == event_id, EmployerEvent.booked >= n)
        .values(booked=EmployerEvent.booked - n)
        .execution_options(synchronize_session="fetch")
    )
