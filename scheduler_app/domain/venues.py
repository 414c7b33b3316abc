"""Venues where career days take place: listed for choosing, added by coordinators."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from scheduler_app.domain import audit
from scheduler_app.domain.errors import DomainError, NotAllowed
from scheduler_app.extensions import db
from scheduler_app.models import User, Venue

NAME_MAX_LENGTH = 200
STREET_MAX_LENGTH = 200
POSTCODE_MAX_LENGTH = 10
CITY_MAX_LENGTH = 120


def all_venues() -> list[Venue]:
    return list(db.session.scalars(select(Venue).order_by(func.lower(Venue.name), Venue.id)))


def create_venue(actor: User, name: str, street: str | None, postcode: str | None, city: str | None,
                 now: datetime) -> Venue:
    """Add a venue; the name is required, the address parts are optional (blank → empty)."""
    if not actor.is_coordinator:
        raise NotAllowed("Only coordinators may do this.")
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("Please enter the venue's name.", field="venue_name")
    if len(name) > NAME_MAX_LENGTH:
        raise DomainError("The name may have at most %(n)d characters.", field="venue_name", n=NAME_MAX_LENGTH)
    venue = Venue(name=name, street=(street or "").strip() or None, postcode=(postcode or "").strip() or None,
                  city=(city or "").strip() or None)
    db.session.add(venue)
    db.session.flush()
    audit.record(actor, "venue.create", venue, now, name=name)
    return venue
