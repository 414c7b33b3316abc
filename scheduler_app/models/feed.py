"""Calendar feeds (Kalender-Abos): one row per audience and owner, holding the link's token hash.

The raw token of a private feed is never stored: it is derived from ``FEED_TOKEN_KEY`` (HMAC of the
feed id and its ``generation``), so the owner's page and ``flask feeds list`` can show the link again,
while the table keeps only its SHA-256 for the lookup. Renewing bumps ``generation``: the old link
stops working at once. The public programme feed has no token.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from scheduler_app.extensions import db
from scheduler_app.models.organisation import enum_column
from scheduler_app.models_base import utc_now


class FeedKind(str, enum.Enum):
    programme = "programme"  # public: published career days and employer events of a programme
    school = "school"
    school_class = "class"
    student = "student"
    company = "company"
    registrant = "registrant"  # a person registered for an employer event
    delegate = "delegate"  # an alliance delegate
    coordinator = "coordinator"  # everything of the coordinator's agencies


class CalendarFeed(db.Model):
    __tablename__ = "calendar_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[FeedKind] = mapped_column(enum_column(FeedKind, "feed_kind"))
    # "<kind>:<owner id>": one feed per owner (the nullable owner columns below cannot be unique together)
    owner_key: Mapped[str] = mapped_column(String(40), unique=True)
    # the owner: exactly one of these, by kind; deleting the owner deletes its feed (and so its link)
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    class_id: Mapped[int | None] = mapped_column(ForeignKey("school_class.id", ondelete="CASCADE"))
    student_id: Mapped[int | None] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("event_registration.id", ondelete="CASCADE"))
    delegate_id: Mapped[int | None] = mapped_column(ForeignKey("alliance_delegate.id", ondelete="CASCADE"))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # NULL: public (programme)
    generation: Mapped[int] = mapped_column(default=1)
    locale: Mapped[str] = mapped_column(String(8), default="de")  # the owner's language: names and descriptions
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    renewed_at: Mapped[datetime | None]
