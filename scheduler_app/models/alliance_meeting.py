"""Alliance meetings: candidate dates, the date poll, the chosen date, invitations and replies,
attendance and minutes; the personal links through which delegates and substitutes act.

Times: ``starts_at``/``ends_at``/``poll_deadline`` are Berlin wall-clock times, ``*_at`` stamps UTC
(see ``models_base``).
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from scheduler_app.extensions import db
from scheduler_app.models_base import utc_now
from scheduler_app.models.organisation import Alliance, AllianceDelegate, Organisation, enum_column
from scheduler_app.models.programme import Programme, Venue


class PollAnswer(str, enum.Enum):
    yes = "yes"
    if_need_be = "if_need_be"
    no = "no"


class InvitationReply(str, enum.Enum):
    pending = "pending"
    accepted = "accepted"
    declined = "declined"
    substituted = "substituted"  # the delegate sent a colleague (a substitute invitation) in their place


class AllianceMeeting(db.Model):
    """A Bündnistreffen: prepared (candidate dates), polled, its date fixed, held, minuted."""

    __tablename__ = "alliance_meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    alliance_id: Mapped[int] = mapped_column(ForeignKey("alliance.id", ondelete="CASCADE"))
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programme.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    agenda: Mapped[str | None] = mapped_column(Text)  # one agenda item per line
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venue.id", ondelete="SET NULL"))
    room: Mapped[str | None] = mapped_column(String(120))
    online_url: Mapped[str | None] = mapped_column(String(500))
    duration_minutes: Mapped[int] = mapped_column(default=120, server_default="120")
    poll_deadline: Mapped[datetime | None]
    # data minimisation: delegates see other organisations' names in the tally only when this is set
    poll_shows_names: Mapped[bool] = mapped_column(default=False, server_default=false())
    # the job process fixes the date by the rule at the poll deadline
    auto_decide: Mapped[bool] = mapped_column(default=False, server_default=false())
    poll_sent_at: Mapped[datetime | None]
    chosen_candidate_id: Mapped[int | None] = mapped_column(
        ForeignKey("candidate_date.id", ondelete="SET NULL", use_alter=True, name="fk_alliance_meeting_chosen_candidate")
    )
    date_fixed_at: Mapped[datetime | None]
    # iCalendar SEQUENCE of the invitation: rises whenever the date or the place changes after invitations went out
    sequence: Mapped[int] = mapped_column(default=0, server_default="0")
    minutes_text: Mapped[str | None] = mapped_column(Text)
    # The minutes PDF (at most 10 MB) lives in the database: backed up and restored with everything else,
    # written in the same transaction, and no file paths to get wrong. Deferred: loaded only when downloaded.
    minutes_pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    minutes_filename: Mapped[str | None] = mapped_column(String(200))
    minutes_added_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)

    alliance: Mapped[Alliance] = relationship(back_populates="meetings")
    programme: Mapped[Programme | None] = relationship()
    venue: Mapped[Venue | None] = relationship()
    candidates: Mapped[list[CandidateDate]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", foreign_keys="CandidateDate.meeting_id", order_by="CandidateDate.starts_at"
    )
    chosen_candidate: Mapped[CandidateDate | None] = relationship(foreign_keys=[chosen_candidate_id], post_update=True)
    responses: Mapped[list[PollResponse]] = relationship(back_populates="meeting", cascade="all, delete-orphan")
    invitations: Mapped[list[MeetingInvitation]] = relationship(back_populates="meeting", cascade="all, delete-orphan",
                                                                order_by="MeetingInvitation.id")

    __table_args__ = (
        CheckConstraint("duration_minutes BETWEEN 15 AND 720", name="duration_range"),
        CheckConstraint("sequence >= 0", name="sequence_non_negative"),
    )


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


class PollResponse(db.Model):
    """A member organisation's answer to a meeting's poll as a whole: who answered last, and a comment.
    One per organisation: a delegate's answer is the organisation's."""

    __tablename__ = "poll_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("alliance_meeting.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    delegate_id: Mapped[int | None] = mapped_column(ForeignKey("alliance_delegate.id", ondelete="SET NULL"))
    answered_by: Mapped[str] = mapped_column(String(200))  # the delegate's name, kept if the delegate is removed
    comment: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)

    meeting: Mapped[AllianceMeeting] = relationship(back_populates="responses")
    organisation: Mapped[Organisation] = relationship()
    delegate: Mapped[AllianceDelegate | None] = relationship()

    __table_args__ = (UniqueConstraint("meeting_id", "organisation_id"),)


class PollVote(db.Model):
    """A member organisation's answer for one candidate date."""

    __tablename__ = "poll_vote"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate_date.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    answer: Mapped[PollAnswer] = mapped_column(enum_column(PollAnswer, "poll_answer"))
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)

    candidate: Mapped[CandidateDate] = relationship(back_populates="votes")
    organisation: Mapped[Organisation] = relationship()

    __table_args__ = (UniqueConstraint("candidate_id", "organisation_id"),)


class MeetingInvitation(db.Model):
    """One person invited to a meeting whose date is fixed: a delegate, or a substitute a delegate sent
    (``substitute_for``). Name and e-mail are copied, so the reply list stays readable when a delegate
    is removed later. ``attended`` is recorded by the coordinator after the meeting."""

    __tablename__ = "meeting_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("alliance_meeting.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    delegate_id: Mapped[int | None] = mapped_column(ForeignKey("alliance_delegate.id", ondelete="SET NULL"))
    substitute_for_id: Mapped[int | None] = mapped_column(ForeignKey("meeting_invitation.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    reply: Mapped[InvitationReply] = mapped_column(enum_column(InvitationReply, "invitation_reply"), default=InvitationReply.pending)
    attendees: Mapped[int] = mapped_column(default=1)
    sent_at: Mapped[datetime | None]
    replied_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    attended: Mapped[bool | None]

    meeting: Mapped[AllianceMeeting] = relationship(back_populates="invitations")
    organisation: Mapped[Organisation] = relationship()
    delegate: Mapped[AllianceDelegate | None] = relationship()
    substitute_for: Mapped[MeetingInvitation | None] = relationship(remote_side=[id], back_populates="substitutes")
    substitutes: Mapped[list[MeetingInvitation]] = relationship(back_populates="substitute_for", cascade="all, delete-orphan",
                                                                passive_deletes=True)

    __table_args__ = (
        UniqueConstraint("meeting_id", "delegate_id"),
        CheckConstraint("attendees >= 0 AND attendees <= 20", name="attendees_range"),
    )


class DelegateLink(db.Model):
    """A personal link: a random token (only its SHA-256 is stored) that lets a delegate act for their
    organisation in every meeting of the alliance, or a substitute in one meeting (``invitation``).

    A delegate gets a new link with every mail, because a hash cannot be turned back into the link the
    previous mail carried; all of them work until withdrawn (``revoked_at``) or the delegate is removed.
    """

    __tablename__ = "delegate_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    delegate_id: Mapped[int | None] = mapped_column(ForeignKey("alliance_delegate.id", ondelete="CASCADE"), index=True)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("meeting_invitation.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    revoked_at: Mapped[datetime | None]

    delegate: Mapped[AllianceDelegate | None] = relationship()
    invitation: Mapped[MeetingInvitation | None] = relationship()

    __table_args__ = (
        CheckConstraint("(delegate_id IS NULL) <> (invitation_id IS NULL)", name="one_holder"),
    )
