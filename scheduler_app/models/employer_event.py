"""Employer events: info sessions, open days, company visits, workshops; registrations and waitlist.

``EmployerEvent.booked`` counts confirmed places; it changes only by conditional UPDATE and a CHECK
keeps it within ``capacity``.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler_app.extensions import db
from scheduler_app.models_base import utc_now
from scheduler_app.models.organisation import Organisation, User, enum_column
from scheduler_app.models.programme import Programme, Room, Venue


class EmployerEventKind(str, enum.Enum):
    info_session = "info_session"
    open_day = "open_day"
    company_visit = "company_visit"
    workshop = "workshop"


class RegistrationStatus(str, enum.Enum):
    confirmed = "confirmed"
    waitlisted = "waitlisted"
    cancelled = "cancelled"


class EmployerEvent(db.Model):
    __tablename__ = "employer_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programme.id", ondelete="SET NULL"))
    company_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    kind: Mapped[EmployerEventKind] = mapped_column(enum_column(EmployerEventKind, "employer_event_kind"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venue.id", ondelete="SET NULL"))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id", ondelete="SET NULL"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    capacity: Mapped[int]
    booked: Mapped[int] = mapped_column(default=0)
    registration_deadline: Mapped[datetime | None]
    waitlist_enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)

    programme: Mapped[Programme | None] = relationship(back_populates="employer_events")
    company: Mapped[Organisation] = relationship()
    venue: Mapped[Venue | None] = relationship()
    room: Mapped[Room | None] = relationship()
    registrations: Mapped[list[EventRegistration]] = relationship(back_populates="event", cascade="all, delete-orphan", order_by="EventRegistration.id")

    __table_args__ = (
        CheckConstraint("capacity >= 0", name="capacity_non_negative"),
        CheckConstraint("booked >= 0 AND booked <= capacity", name="booked_within_capacity"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    @property
    def free_places(self) -> int:
        return self.capacity - self.booked


class EventRegistration(db.Model):
    """A registration for ``places`` seats: confirmed, or waiting at ``waitlist_position``."""

    __tablename__ = "event_registration"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("employer_event.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    places: Mapped[int] = mapped_column(default=1)
    status: Mapped[RegistrationStatus] = mapped_column(enum_column(RegistrationStatus, "registration_status"))
    waitlist_position: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    cancelled_at: Mapped[datetime | None]

    event: Mapped[EmployerEvent] = relationship(back_populates="registrations")
    organisation: Mapped[Organisation | None] = relationship()
    user: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint("places >= 1 AND places <= 50", name="places_range"),
        CheckConstraint(
            "(status = 'waitlisted') = (waitlist_position IS NOT NULL)", name="waitlist_position_iff_waitlisted"
        ),
        UniqueConstraint("event_id", "waitlist_position"),
    )
