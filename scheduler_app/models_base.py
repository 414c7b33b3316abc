"""The declarative base: naming convention for constraints, and shared column helpers.

Time convention: columns named ``*_at`` that record when something happened (``created_at``,
``used_at``) are naive UTC. Event times (``starts_at``, ``ends_at``, ``date``) are naive wall-clock
times in Europe/Berlin, the region's only time zone; the iCal builder attaches the zone.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utc_now() -> datetime:
    """Naive UTC now: the default for every ``*_at`` column (a callable, never a fixed value)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)
