"""Programmes (containers of events) and the places where events happen."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler_app.extensions import db
from scheduler_app.models_base import utc_now
from scheduler_app.models.organisation import Organisation


class Programme(db.Model):
    """E.g. "BO-Tage Landkreis Osnabrück 2027": holds career days, employer events, alliance meetings."""

    __tablename__ = "programme"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    agency_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    agency: Mapped[Organisation] = relationship()
    career_days: Mapped[list["CareerDay"]] = relationship(back_populates="programme", cascade="all, delete-orphan")  # noqa: F821
    employer_events: Mapped[list["EmployerEvent"]] = relationship(back_populates="programme")  # noqa: F821


class Venue(db.Model):
    """A place where events happen, kept by the agency that registered it (its coordinators choose
    from their own agency's venues only)."""

    __tablename__ = "venue"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    street: Mapped[str | None] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(10))
    city: Mapped[str | None] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now, server_default=func.now())  # feeds: LAST-MODIFIED

    rooms: Mapped[list[Room]] = relationship(back_populates="venue", cascade="all, delete-orphan", order_by="Room.name")

    @property
    def address(self) -> str:
        return ", ".join(part for part in (self.name, self.street, f"{self.postcode or ''} {self.city or ''}".strip()) if part)


class Room(db.Model):
    __tablename__ = "room"

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venue.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    capacity: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now, server_default=func.now())  # feeds: LAST-MODIFIED

    venue: Mapped[Venue] = relationship(back_populates="rooms")

    __table_args__ = (
        UniqueConstraint("venue_id", "name"),
        CheckConstraint("capacity >= 0", name="capacity_non_negative"),
    )
