"""What a coordinator may reach: the organisations their agencies work with, and nothing else.

Every coordinator query about organisations, their people, invitations and venues starts here, from
the agencies the actor coordinates. An organisation is in scope when it is one of those agencies or
an :class:`AgencyPartner` row links it to one of them. Views answer 404 for anything out of scope
(never a 403 that would confirm it exists).

Partnerships are recorded by :func:`add_partner` when a coordinator registers or imports an
organisation and when the organisation takes part in one of the agency's events (a school registers
a class, a company books an offer). A coordinator cannot link an organisation that already works with
another agency on their own: otherwise inviting oneself as its contact would open its students' data.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, func, or_, select
from sqlalchemy.sql import Select

from scheduler_app.domain.locks import insert_unless_present
from scheduler_app.extensions import db
from scheduler_app.models import AgencyPartner, Organisation, OrganisationKind, Role, User


def agency_ids(actor) -> set[int]:
    """The ids of the agencies ``actor`` coordinates (empty for anyone else)."""
    if not isinstance(actor, User):
        return set()
    return {m.organisation_id for m in actor.memberships
            if m.role is Role.coordinator and m.organisation.kind is OrganisationKind.agency}


def in_scope_clause(actor):
    """A WHERE clause on :class:`Organisation`: the actor's agencies and the organisations they work with."""
    agencies = agency_ids(actor)
    partnered = exists().where(AgencyPartner.organisation_id == Organisation.id, AgencyPartner.agency_id.in_(agencies))
    return or_(Organisation.id.in_(agencies), partnered)


def organisations_in_scope(actor) -> Select:
    """``SELECT organisation`` restricted to what ``actor`` may reach; callers add order and options."""
    return select(Organisation).where(in_scope_clause(actor))


def works_with(actor, organisation: Organisation | None) -> bool:
    """True when ``organisation`` is in the actor's scope (one query, no lazy loading of partners)."""
    if organisation is None or not agency_ids(actor):
        return False
    return db.session.scalar(select(Organisation.id).where(Organisation.id == organisation.id, in_scope_clause(actor))) is not None


def acting_agency(actor, organisation: Organisation) -> int | None:
    """The agency of ``actor``'s on whose behalf they act for ``organisation`` (the lowest id that works
    with it), or None."""
    agencies = agency_ids(actor)
    if organisation.id in agencies:
        return organisation.id
    return db.session.scalar(select(func.min(AgencyPartner.agency_id)).where(
        AgencyPartner.organisation_id == organisation.id, AgencyPartner.agency_id.in_(agencies)))


def add_partner(agency_id: int, organisation_id: int, now: datetime) -> None:
    """Record that the organisation works with the agency; nothing happens if it already does.

    ``INSERT … ON CONFLICT DO NOTHING``: two requests recording the same partnership at once both
    succeed, and exactly one row exists afterwards.
    """
    if agency_id == organisation_id:
        return
    insert_unless_present(AgencyPartner, dict(agency_id=agency_id, organisation_id=organisation_id, created_at=now),
                          ["agency_id", "organisation_id"])
