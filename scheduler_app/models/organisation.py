"""Organisations (agencies, schools, companies), their people, invitations and alliances."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String, Text, UniqueConstraint, false, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler_app.extensions import db
from scheduler_app.models_base import utc_now


class OrganisationKind(str, enum.Enum):
    agency = "agency"
    school = "school"
    company = "company"
    # alliance members that are neither: IHK, Handwerkskammer, Kreishandwerkerschaft; Bildungsträger
    chamber = "chamber"
    training_provider = "training_provider"


class Role(str, enum.Enum):
    """A user's role within one organisation."""

    coordinator = "coordinator"  # staff of an agency: plans, invites, allocates, publishes
    contact = "contact"  # teacher of a school or contact person of a company


def enum_column(enum_cls, name: str):
    """Enums are stored as their values in a VARCHAR with a CHECK constraint (portable, migratable)."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda e: [member.value for member in e],
        validate_strings=True,
    )


class Organisation(db.Model):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrganisationKind] = mapped_column(enum_column(OrganisationKind, "organisation_kind"))
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(120))
    privacy_notice: Mapped[str | None] = mapped_column(Text)  # an agency's notice, linked from public registration forms
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now, server_default=func.now())  # feeds: LAST-MODIFIED

    memberships: Mapped[list[Membership]] = relationship(back_populates="organisation", cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("kind", "name"),)

    def __repr__(self) -> str:
        return f"<Organisation {self.kind.value} {self.name!r}>"


class User(db.Model):
    """A person who signs in: a coordinator, a teacher or a company contact."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    # Bumped on sign-out and password change so that every older session cookie stops working.
    session_version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    last_login_at: Mapped[datetime | None]

    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan")

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_coordinator(self) -> bool:
        return any(m.role is Role.coordinator for m in self.memberships)

    def organisations_of_kind(self, kind: OrganisationKind) -> list[Organisation]:
        return [m.organisation for m in self.memberships if m.organisation.kind is kind and m.role is Role.contact]

    @property
    def schools(self) -> list[Organisation]:
        return self.organisations_of_kind(OrganisationKind.school)

    @property
    def companies(self) -> list[Organisation]:
        return self.organisations_of_kind(OrganisationKind.company)

    def is_contact_of(self, organisation_id: int) -> bool:
        return any(m.organisation_id == organisation_id and m.role is Role.contact for m in self.memberships)


class Membership(db.Model):
    __tablename__ = "membership"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(enum_column(Role, "membership_role"))

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")

    __table_args__ = (UniqueConstraint("user_id", "organisation_id"),)


class Invitation(db.Model):
    """A single-use, expiring sign-in link for a school or company contact.

    Only a hash of the token is stored: a leaked database does not leak working links.
    """

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(enum_column(Role, "invitation_role"))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]  # a coordinator withdrew the link before it was used

    organisation: Mapped[Organisation] = relationship()
    invited_by: Mapped[User | None] = relationship()


class AgencyPartner(db.Model):
    """An organisation works with an agency: the agency's coordinators may see its contacts, invite
    new ones and withdraw pending invitations. A school or company may work with several agencies.

    Coordinators reach an organisation only through such a row (or because it is their own agency);
    rows come into being when a coordinator registers or imports the organisation, and when the
    organisation takes part in one of the agency's events (registers a class, books an offer).
    """

    __tablename__ = "agency_partner"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    agency: Mapped[Organisation] = relationship(foreign_keys=[agency_id])
    organisation: Mapped[Organisation] = relationship(foreign_keys=[organisation_id])

    __table_args__ = (UniqueConstraint("agency_id", "organisation_id"),)


class Alliance(db.Model):
    """A Fachkräftebündnis: partner organisations that meet regularly, run by one coordinating agency."""

    __tablename__ = "alliance"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    region: Mapped[str | None] = mapped_column(String(200))
    # ISO 3166-2 subdivision of Germany without "DE-" (e.g. "NI"): whose public holidays candidate dates avoid
    federal_state: Mapped[str | None] = mapped_column(String(2))
    coordinating_agency_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    coordinating_agency: Mapped[Organisation | None] = relationship()
    members: Mapped[list[AllianceMember]] = relationship(back_populates="alliance", cascade="all, delete-orphan")
    meetings: Mapped[list["AllianceMeeting"]] = relationship(back_populates="alliance", cascade="all, delete-orphan")  # noqa: F821


class AllianceMember(db.Model):
    """A member organisation of an alliance. ``required`` members (e.g. the chairing organisations)
    must be able to come on the date the rule picks."""

    __tablename__ = "alliance_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    alliance_id: Mapped[int] = mapped_column(ForeignKey("alliance.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    required: Mapped[bool] = mapped_column(default=False, server_default=false())
    joined_on: Mapped[datetime] = mapped_column(default=utc_now)

    alliance: Mapped[Alliance] = relationship(back_populates="members")
    organisation: Mapped[Organisation] = relationship()
    delegates: Mapped[list[AllianceDelegate]] = relationship(back_populates="member", cascade="all, delete-orphan",
                                                             order_by="AllianceDelegate.id")

    __table_args__ = (UniqueConstraint("alliance_id", "organisation_id"),)


class AllianceDelegate(db.Model):
    """A person who represents a member organisation at alliance meetings. Delegates have no account:
    they act through personal links (:class:`DelegateLink`), which the coordinator can withdraw.
    Removing a delegate deletes the row and with it every link."""

    __tablename__ = "alliance_delegate"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("alliance_member.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))  # stored lower-case
    function: Mapped[str | None] = mapped_column(String(200))  # e.g. "Geschäftsführerin", "Ausbildungsberater"
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    member: Mapped[AllianceMember] = relationship(back_populates="delegates")

    __table_args__ = (UniqueConstraint("member_id", "email"),)


__all__ = [
    "AgencyPartner",
    "Alliance",
    "AllianceDelegate",
    "AllianceMember",
    "Invitation",
    "Membership",
    "Organisation",
    "OrganisationKind",
    "Role",
    "User",
    "enum_column",
]
