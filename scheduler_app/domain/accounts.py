"""Accounts: password hashing (Argon2id), sign-in checks, coordinators."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from scheduler_app.domain import audit
from scheduler_app.domain.errors import DomainError
from scheduler_app.extensions import db
from scheduler_app.models import Membership, Organisation, OrganisationKind, Role, User

MIN_PASSWORD_LENGTH = 10


@dataclass(frozen=True)
class HashingParameters:
    """Argon2id cost (the settings ``ARGON2_*`` in ``config.py``)."""

    time_cost: int  # passes over the memory
    memory_cost: int  # KiB
    parallelism: int  # lanes


_hasher = PasswordHasher()  # argon2-cffi's defaults until the factory configures the app's
_dummy_hash: str | None = None


def configure_password_hashing(parameters: HashingParameters) -> None:
    """Hash new passwords with ``parameters`` (the factory calls this with the app's settings).
    Stored hashes keep verifying with the parameters they carry and are re-hashed at the next sign-in."""
    global _hasher, _dummy_hash
    _hasher = PasswordHasher(time_cost=parameters.time_cost, memory_cost=parameters.memory_cost,
                             parallelism=parameters.parallelism)
    _dummy_hash = None


def _dummy() -> str:
    """Verifying against a dummy hash (of the current cost) when the e-mail is unknown keeps response
    times alike, so sign-in does not reveal which addresses have accounts."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash("dummy password for timing")
    return _dummy_hash


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError("The password must have at least %(n)d characters.", field="password", n=MIN_PASSWORD_LENGTH)
    return _hasher.hash(password)


def password_matches(user: User | None, password: str) -> bool:
    stored = user.password_hash if user is not None and user.password_hash else _dummy()
    try:
        ok = _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and user is not None and user.password_hash is not None


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def authenticate(email: str, password: str, now: datetime) -> User:
    """The active user with this e-mail and password, or a DomainError that reveals neither."""
    user = find_user_by_email(email)
    if not password_matches(user, password) or not user.active:
        raise DomainError("E-mail address or password is not correct.", field="password")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = now
    db.session.flush()
    return user


def end_sessions(user: User) -> None:
    """Invalidate every session cookie of this user (sign-out, password change)."""
    user.session_version += 1
    db.session.flush()


def create_coordinator(email: str, name: str, password: str, agency_name: str, now: datetime) -> User:
    """Create a coordinator account in the agency of that name (created if missing)."""
    email = normalise_email(email)
    if find_user_by_email(email) is not None:
        raise DomainError("A user with this e-mail address already exists.", field="email")
    agency = db.session.scalar(
        select(Organisation).where(Organisation.kind == OrganisationKind.agency, Organisation.name == agency_name)
    )
    if agency is None:
        agency = Organisation(kind=OrganisationKind.agency, name=agency_name)
        db.session.add(agency)
    user = User(email=email, name=name, password_hash=hash_password(password))
    db.session.add(user)
    db.session.add(Membership(user=user, organisation=agency, role=Role.coordinator))
    db.session.flush()
    audit.record(None, "user.create_coordinator", user, now, email=email)
    return user


def change_password(user: User, current_password: str | None, new_password: str, now: datetime) -> None:
    """Set a new password and end every other session. Whoever already has a password must give it,
    so that a moment at an unlocked computer is not enough to take the account over."""
    if user.password_hash and not password_matches(user, current_password or ""):
        raise DomainError("The current password is not correct.", field="current_password")
    user.password_hash = hash_password(new_password)
    end_sessions(user)
    audit.record(user, "user.change_password", user, now)
