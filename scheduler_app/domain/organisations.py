"""Schools, companies and agencies as coordinators see them: registering one, listing them with their people."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from scheduler_app.domain import audit
from scheduler_app.domain.errors import DomainError, NotAllowed
from scheduler_app.extensions import db
from scheduler_app.models import Invitation, Membership, Organisation, OrganisationKind, User

NAME_MAX_LENGTH = 200
CITY_MAX_LENGTH = 120
# Coordinators register schools and companies; agencies come into being with their first coordinator.
REGISTRABLE_KINDS = (OrganisationKind.school, OrganisationKind.company)


@dataclass(frozen=True)
class OrganisationListing:
    organisation: Organisation
    people: list[Membership]
    pending_invitations: list[Invitation]


def _tidy(text: str | None) -> str:
    return " ".join((text or "").split())


def create_organisation(actor: User, kind: OrganisationKind, name: str, city: str | None, now: datetime) -> Organisation:
    """Register a school or company. Names are unique per kind, compared without regard to case and
    spacing, so the same school is never listed twice under slightly different spellings."""
    if not actor.is_coordinator:
        raise NotAllowed("Only coordinators may register schools and companies.")
    if kind not in REGISTRABLE_KINDS:
        raise DomainError("Please choose school or company.", field="kind")
    name = _tidy(name)
    if not name:
        raise DomainError("Please enter a name.", field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise DomainError("The name may have at most %(n)d characters.", field="name", n=NAME_MAX_LENGTH)
    city = _tidy(city) or None
    if city is not None and len(city) > CITY_MAX_LENGTH:
        raise DomainError("The city may have at most %(n)d characters.", field="city", n=CITY_MAX_LENGTH)
    duplicate = db.session.scalar(
        select(Organisation.id).where(Organisation.kind == kind, func.lower(Organisation.name) == name.lower())
    )
    if duplicate is not None:
        raise DomainError("An organisation of this kind with this name already exists.", field="name")
    organisation = Organisation(kind=kind, name=name, city=city, created_at=now)
    db.session.add(organisation)
    db.session.flush()
    audit.record(actor, "organisation.create", organisation, now, kind=kind.value, name=name)
    return organisation


def pending_invitations(organisation_ids: list[int], now: datetime) -> dict[int, list[Invitation]]:
    """Invitations not yet used, revoked or expired, per organisation id (newest first)."""
    if not organisation_ids:
        return {}
    pending: dict[int, list[Invitation]] = {organisation_id: [] for organisation_id in organisation_ids}
    for invitation in db.session.scalars(
        select(Invitation)
        .where(Invitation.organisation_id.in_(organisation_ids), Invitation.used_at.is_(None),
               Invitation.revoked_at.is_(None), Invitation.expires_at > now)
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
    ):
        pending[invitation.organisation_id].append(invitation)
    return pending


def _people(organisation: Organisation) -> list[Membership]:
    return sorted(organisation.memberships, key=lambda m: (m.user.name.lower(), m.user.id))


def listing(organisation: Organisation, now: datetime) -> OrganisationListing:
    """One organisation with its people and pending invitations."""
    return OrganisationListing(organisation, _people(organisation), pending_invitations([organisation.id], now)[organisation.id])


def organisations_by_kind(now: datetime) -> dict[OrganisationKind, list[OrganisationListing]]:
    """Every organisation with its people and pending invitations: schools, companies, then agencies."""
    organisations = list(db.session.scalars(
        select(Organisation)
        .options(selectinload(Organisation.memberships).selectinload(Membership.user))
        .order_by(func.lower(Organisation.name), Organisation.id)
    ))
    pending = pending_invitations([organisation.id for organisation in organisations], now)
    grouped: dict[OrganisationKind, list[OrganisationListing]] = {
        OrganisationKind.school: [], OrganisationKind.company: [], OrganisationKind.agency: [],
    }
    for organisation in organisations:
        grouped[organisation.kind].append(OrganisationListing(organisation, _people(organisation), pending[organisation.id]))
    return grouped
