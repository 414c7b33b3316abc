"""Venues where career days take place: each agency keeps its own list, from which its coordinators
choose; a venue added while setting up a day joins the list of the day's agency."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from scheduler_app.domain import audit
from scheduler_app.domain.errors import DomainError, NotAllowed
from scheduler_app.domain.scope import agency_ids
from scheduler_app.extensions import db
from scheduler_app.models import User, Venue

NAME_MAX_LENGTH = 200
STREET_MAX_LENGTH = 200
POSTCODE_MAX_LENGTH = 10
CITY_MAX_LENGTH = 120


def venues_of(agency_id: int) -> list[Venue]:
    """The agency's venues, by name."""
    return list(db.session.scalars(
        select(Venue).where(Venue.agency_id == agency_id).order_by(func.lower(Venue.name), Venue.id)
    ))


def create_venue(actor: User, agency_id: int, name: str, street: str | None, postcode: str | None, city: str | None,
                 now: datetime) -> Venue:
    """Add a venue to the agency's list; the name is required, the address parts are optional (blank → empty)."""
    if agency_id not in agency_ids(actor):
        raise NotAllowed("Only coordinators may do this.")
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("Please enter the venue's name.", field="venue_name")
    if len(name) > NAME_MAX_LENGTH:
        raise DomainError("The name may have at most %(n)d characters.", field="venue_name", n=NAME_MAX_LENGTH)
    venue = Venue(agency_id=agency_id, name=name, street=(street or "").strip() or None, postcode=(postcode or "").strip() or None,
                  city=(city or "").strip() or None)
    db.session.add(venue)
    db.session.flush()
    audit.record(actor, "venue.create", venue, now, name=name)
    return venue
