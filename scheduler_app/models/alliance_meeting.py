"""Alliance meetings: candidate dates, the date poll, the chosen date, invitations and replies."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler_app.extensions import db
from scheduler_app.models_base import utc_now
from scheduler_app.models.organisation import Alliance, Organisation, User, enum_column
from scheduler_app.models.programme import Programme, Venue


class PollAnswer(str, enum.Enum):
    yes = "yes"
    if_need_be = "if_need_be"
    no = "no"


class InvitationReply(str, enum.Enum):
    pending = "pending"
    accepted = "accepted"
    declined = "declined"


class AllianceMeeting(db.Model):
    __tablename__ = "alliance_meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    alliance_id: Mapped[int] = mapped_column(ForeignKey("alliance.id", ondelete="CASCADE"))
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programme.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    agenda: Mapped[str | None] = mapped_column(Text)
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venue.id", ondelete="SET NULL"))
    poll_deadline: Mapped[datetime | None]
    chosen_candidate_id: Mapped[int | None] = mapped_column(
        ForeignKey("candidate_date.id", ondelete="SET NULL", use_alter=True, name="fk_alliance_meeting_chosen_candidate")
    )
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)

    alliance: Mapped[Alliance] = relationship(back_populates="meetings")
    programme: Mapped[Programme | None] = relationship()
    venue: Mapped[Venue | None] = relationship()
    candidates: Mapped[list[CandidateDate]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", foreign_keys="CandidateDate.meeting_id", order_by="CandidateDate.starts_at"
    )
    chosen_candidate: Mapped[CandidateDate | None] = relationship(foreign_keys=[chosen_candidate_id], post_update=True)
    invitations: Mapped[list[MeetingInvitation]] = relationship(back_populates="meeting", cascade="all, delete-orphan")


class CandidateDate(db.Model):
    __tablename__ = "candidate_date"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("alliance_meeting.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]

    meeting: Mapped[AllianceMeeting] = relationship(back_populates="candidates", foreign_keys=[meeting_id])
    votes: Mapped[list[PollVote]] = relationship(back_populates="candidate", cascade="all, delete-orphan")

    __table_args__ = (
        UniqueConstraint("meeting_id", "starts_at"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )


class PollVote(db.Model):
    """A member organisation's answer for one candidate date."""

    __tablename__ = "poll_vote"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate_date.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    voter_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    answer: Mapped[PollAnswer] = mapped_column(enum_column(PollAnswer, "poll_answer"))
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)

    candidate: Mapped[CandidateDate] = relationship(back_populates="votes")
    organisation: Mapped[Organisation] = relationship()
    voter: Mapped[User | None] = relationship()

    __table_args__ = (UniqueConstraint("candidate_id", "organisation_id"),)


class MeetingInvitation(db.Model):
    """An invitation of a member organisation (through a delegate) and its RSVP."""

    __tablename__ = "meeting_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("alliance_meeting.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    reply: Mapped[InvitationReply] = mapped_column(enum_column(InvitationReply, "invitation_reply"), default=InvitationReply.pending)
    attendees: Mapped[int] = mapped_column(default=1)
    sent_at: Mapped[datetime | None]
    replied_at: Mapped[datetime | None]

    meeting: Mapped[AllianceMeeting] = relationship(back_populates="invitations")
    organisation: Mapped[Organisation] = relationship()
    user: Mapped[User | None] = relationship()

    __table_args__ = (
        UniqueConstraint("meeting_id", "organisation_id"),
        CheckConstraint("attendees >= 0 AND attendees <= 20", name="attendees_range"),
    )
