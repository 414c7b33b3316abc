"""Employer events: info sessions, open days, company visits, workshops; registrations and waitlist.

``EmployerEvent.booked`` counts confirmed places; it changes only by conditional UPDATE and a CHECK
keeps it within ``capacity``. An event is a draft until ``published_at`` is set (drafts are invisible
to the public) and cancelled once ``cancelled_at`` is set (it stays visible, marked as cancelled).
Waiting registrations hold ``waitlist_position`` 1, 2, … without gaps (see ``domain/employer_events.py``).
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, func, text
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
    occupational_field: Mapped[str | None] = mapped_column(String(120))
    min_grade: Mapped[int | None]  # audience: grades from/to; both None = open to everyone
    max_grade: Mapped[int | None]
    address: Mapped[str | None] = mapped_column(String(300))  # where, when no venue of the agency is chosen
    room_name: Mapped[str | None] = mapped_column(String(120))
    max_places_per_registration: Mapped[int] = mapped_column(default=10, server_default="10")
    published_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    calendar_sequence: Mapped[int] = mapped_column(default=0, server_default="0")  # raised when time or place change
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
        CheckConstraint("max_places_per_registration >= 1 AND max_places_per_registration <= 50",
                        name="max_places_range"),
    )

    @property
    def free_places(self) -> int:
        return self.capacity - self.booked

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def location(self) -> str | None:
        """The address shown and put into calendars: the venue's, else the typed one; with the room."""
        place = self.venue.address if self.venue is not None else self.address
        room = self.room.name if self.room is not None else self.room_name
        return ", ".join(part for part in (room, place) if part) or None


class EventRegistration(db.Model):
    """A registration for ``places`` seats: confirmed, or waiting at ``waitlist_position``."""

    __tablename__ = "event_registration"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("employer_event.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    organisation_name: Mapped[str | None] = mapped_column(String(200))  # as typed in the public form
    class_id: Mapped[int | None] = mapped_column(ForeignKey("school_class.id", ondelete="SET NULL"))
    comment: Mapped[str | None] = mapped_column(Text)
    places: Mapped[int] = mapped_column(default=1)
    status: Mapped[RegistrationStatus] = mapped_column(enum_column(RegistrationStatus, "registration_status"))
    waitlist_position: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    cancelled_at: Mapped[datetime | None]
    # the personal link's token is derived (HMAC of id and generation, like a calendar feed's); only its hash is kept
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    link_generation: Mapped[int] = mapped_column(default=1, server_default="1")
    attended: Mapped[bool | None]  # None: not recorded; on the day the company marks attended / no-show
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now, server_default=func.now())

    event: Mapped[EmployerEvent] = relationship(back_populates="registrations")
    organisation: Mapped[Organisation | None] = relationship()
    user: Mapped[User | None] = relationship()
    school_class: Mapped["SchoolClass | None"] = relationship()  # noqa: F821  (a teacher registered a class)

    __table_args__ = (
        CheckConstraint("places >= 1 AND places <= 50", name="places_range"),
        CheckConstraint(
            "(status = 'waitlisted') = (waitlist_position IS NOT NULL)", name="waitlist_position_iff_waitlisted"
        ),
        UniqueConstraint("event_id", "waitlist_position"),
        # one active registration per e-mail address and event (addresses are stored lower-case); registrations
        # anonymised by retention (address "") are exempt
        Index("uq_event_registration_active_email", "event_id", "email", unique=True,
              sqlite_where=text("status != 'cancelled' AND email != ''"),
              postgresql_where=text("status != 'cancelled' AND email != ''")),
    )
