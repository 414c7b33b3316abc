"""The declarative base: naming convention for constraints, and shared column helpers.

Time convention: columns named ``*_at`` that record when something happened (``created_at``,
``used_at``) are naive UTC. Event times (``starts_at``, ``ends_at``, ``date``) are naive wall-clock
times in Europe/Berlin, the region's only time zone; the iCal builder attaches the zone.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Leased:
    """Columns of work a job process holds under a lease (see :mod:`scheduler_app.domain.leases`):
    who holds it, until when without renewal, and its last sign of life (all naive UTC)."""

    claimed_by: Mapped[str | None] = mapped_column(String(120))  # host:pid:random of the holding process
    lease_until: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]


def normalise_name(name: str) -> str:
    """A name as people mean it, for uniqueness: case and runs of spaces do not count
    ("9b", "9B" and " 9b " are one class). Stored beside the name and unique-indexed, so the
    database refuses the second one even when two requests check at the same moment."""
    return " ".join(name.split()).casefold()


def utc_now() -> datetime:
    """Naive UTC now: the default for every ``*_at`` column (a callable, never a fixed value)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)
