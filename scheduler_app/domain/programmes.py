"""Programmes: a coordinator's named containers of career days, employer events and alliance meetings."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from scheduler_app.domain import audit
from scheduler_app.domain.errors import DomainError, NotAllowed
from scheduler_app.extensions import db
from scheduler_app.models import Organisation, OrganisationKind, Programme, Role, User

NAME_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 5000


def agencies_of(user: User) -> list[Organisation]:
    """The agencies in which ``user`` is a coordinator."""
    return [m.organisation for m in user.memberships if m.role is Role.coordinator and m.organisation.kind is OrganisationKind.agency]


def may_manage(user: User, programme: Programme) -> bool:
    return any(agency.id == programme.agency_id for agency in agencies_of(user))


def programmes_of(agencies: list[Organisation]) -> list[Programme]:
    """The agencies' programmes, newest first."""
    if not agencies:
        return []
    return list(db.session.scalars(
        select(Programme).where(Programme.agency_id.in_([a.id for a in agencies]))
        .order_by(Programme.created_at.desc(), Programme.id.desc())
    ))


def create_programme(actor: User, agency: Organisation, name: str, description: str | None, now: datetime) -> Programme:
    """Create a programme of ``agency``. Only the agency's coordinators may; names are unique
    (compared without regard to case and surrounding spaces), so two programmes never look alike."""
    if agency.kind is not OrganisationKind.agency or agency not in agencies_of(actor):
        raise NotAllowed("Only coordinators of this agency may create programmes.")
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("Please enter a name.", field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise DomainError("The name may have at most %(n)d characters.", field="name", n=NAME_MAX_LENGTH)
    description = (description or "").strip() or None
    if description is not None and len(description) > DESCRIPTION_MAX_LENGTH:
        raise DomainError("The description may have at most %(n)d characters.", field="description", n=DESCRIPTION_MAX_LENGTH)
    if db.session.scalar(select(Programme.id).where(func.lower(Programme.name) == name.lower())) is not None:
        raise DomainError("A programme with this name already exists. Please choose another name.", field="name")
    programme = Programme(name=name, description=description, agency=agency, created_at=now)
    db.session.add(programme)
    db.session.flush()
    audit.record(actor, "programme.create", programme, now, name=name)
    return programme
