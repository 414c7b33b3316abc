"""Schools, companies and agencies as coordinators see them: registering one, listing them with their people."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from scheduler_app.domain import audit
from scheduler_app.domain.errors import N_, DomainError, NotAllowed
from scheduler_app.domain.scope import add_partner, agency_ids, organisations_in_scope, works_with
from scheduler_app.extensions import db
from scheduler_app.models import Invitation, Membership, Organisation, OrganisationKind, User

NAME_MAX_LENGTH = 200
CITY_MAX_LENGTH = 120
# Coordinators register schools and companies; agencies come into being with their first coordinator.
REGISTRABLE_KINDS = (OrganisationKind.school, OrganisationKind.company)
REGISTERED_ELSEWHERE = N_("This organisation is already registered by another agency. It appears in your list as soon "
                          "as it takes part in one of your events (registers a class or books an offer).")


@dataclass(frozen=True)
class OrganisationListing:
    organisation: Organisation
    people: list[Membership]
    pending_invitations: list[Invitation]


def _tidy(text: str | None) -> str:
    return " ".join((text or "").split())


def create_organisation(actor: User, kind: OrganisationKind, name: str, city: str | None, now: datetime,
                        agency_id: int | None = None, kinds: tuple[OrganisationKind, ...] = REGISTRABLE_KINDS) -> Organisation:
    """Register a school or company (or, for alliance members, any of ``kinds``) as a partner of the
    actor's agencies (of ``agency_id`` only, when given: a contact list imported for one career day,
    an alliance's coordinating agency). Names are unique per kind, compared without
    regard to case and spacing, so the same school is never listed twice under slightly different
    spellings. A name already registered is refused; if that organisation works only with other
    agencies, the message says how it comes into the actor's list (it is not linked by name alone)."""
    agencies = agency_ids(actor)
    if not agencies or (agency_id is not None and agency_id not in agencies):
        raise NotAllowed("Only coordinators may register schools and companies.")
    if kind not in kinds:
        raise DomainError("Please choose school or company.", field="kind")
    name = _tidy(name)
    if not name:
        raise DomainError("Please enter a name.", field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise DomainError("The name may have at most %(n)d characters.", field="name", n=NAME_MAX_LENGTH)
    city = _tidy(city) or None
    if city is not None and len(city) > CITY_MAX_LENGTH:
        raise DomainError("The city may have at most %(n)d characters.", field="city", n=CITY_MAX_LENGTH)
    duplicate = find_by_name(kind, name)
    if duplicate is not None:
        if works_with(actor, duplicate):
            raise DomainError("An organisation of this kind with this name already exists.", field="name")
        raise DomainError(REGISTERED_ELSEWHERE, field="name")
    organisation = Organisation(kind=kind, name=name, city=city, created_at=now)
    db.session.add(organisation)
    db.session.flush()
    for agency in sorted(agencies) if agency_id is None else [agency_id]:
        add_partner(agency, organisation.id, now)
    audit.record(actor, "organisation.create", organisation, now, kind=kind.value, name=name)
    return organisation


def find_by_name(kind: OrganisationKind, name: str) -> Organisation | None:
    """The organisation of this kind with this name, compared without regard to case and spacing."""
    return db.session.scalar(
        select(Organisation).where(Organisation.kind == kind, func.lower(Organisation.name) == _tidy(name).lower())
    )


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


def organisations_by_kind(actor: User, now: datetime) -> dict[OrganisationKind, list[OrganisationListing]]:
    """The organisations the actor's agencies work with (and those agencies), with their people and
    pending invitations: schools, companies, agencies, then chambers and training providers."""
    organisations = list(db.session.scalars(
        organisations_in_scope(actor)
        .options(selectinload(Organisation.memberships).selectinload(Membership.user))
        .order_by(func.lower(Organisation.name), Organisation.id)
    ))
    pending = pending_invitations([organisation.id for organisation in organisations], now)
    grouped: dict[OrganisationKind, list[OrganisationListing]] = {
        OrganisationKind.school: [], OrganisationKind.company: [], OrganisationKind.agency: [],
    }
    for organisation in organisations:  # chambers and training providers (alliance members) only when there are some
        grouped.setdefault(organisation.kind, []).append(OrganisationListing(organisation, _people(organisation), pending[organisation.id]))
    return grouped
