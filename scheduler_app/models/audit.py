"""The audit log (who changed what, when), the e-mail outbox, and the job process's records."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler_app.extensions import db
from scheduler_app.models_base import Leased, utc_now
from scheduler_app.models.organisation import User, enum_column


class AuditEntry(db.Model):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(60))  # e.g. "invitation.create", "allocation.publish"
    object_type: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[int | None]
    details: Mapped[dict | None] = mapped_column(JSON)

    actor: Mapped[User | None] = relationship()


class MailState(str, enum.Enum):
    waiting = "waiting"  # to be sent (again at ``next_attempt_at`` after a temporary failure)
    sent = "sent"
    failed = "failed"  # refused for good (5xx, invalid address) or still failing after 24 h: ``last_error`` says why
    not_sent = "not_sent"  # no mail server configured: written to the job log instead


class OutgoingMail(Leased, db.Model):
    """An e-mail waiting to be sent. Written in the same transaction as the change it reports
    (:func:`scheduler_app.domain.mail.queue_mail`); the job process delivers it, so a failed change
    never sends mail and a mail server outage never fails a change. A job process holds a mail's
    lease while it sends it (:mod:`scheduler_app.delivery`)."""

    __tablename__ = "outgoing_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(250))
    body: Mapped[str] = mapped_column(Text)  # the plain-text part, in the recipient's language
    html: Mapped[str | None] = mapped_column(Text)  # the HTML part, made from the text
    template: Mapped[str | None] = mapped_column(String(60))  # templates/mail/<template>.txt: which kind of mail
    locale: Mapped[str] = mapped_column(String(8), default="de", server_default="de")
    attachments: Mapped[list | None] = mapped_column(JSON)  # [{"filename", "content_type", "text"}]
    personal_data: Mapped[bool] = mapped_column(default=False, server_default=false())  # names a student
    # the agency on whose behalf it was written: only its coordinators see the mail's recipient and
    # subject on the jobs page (NULL: counted, never listed)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    state: Mapped[MailState] = mapped_column(enum_column(MailState, "mail_state"), default=MailState.waiting,
                                             server_default=MailState.waiting.value)
    sent_at: Mapped[datetime | None]  # when it was handed to the mail server (or written to the log)
    attempts: Mapped[int] = mapped_column(default=0)
    first_attempt_at: Mapped[datetime | None]  # temporary failures are retried until 24 h after this
    next_attempt_at: Mapped[datetime | None]  # NULL: at once
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_outgoing_mail_state_next_attempt_at", "state", "next_attempt_at"),)


class DueItem(db.Model):
    """One thing the job process did because it was due: a reminder, an automatic allocation, a
    deletion. Its key (``kind``, ``target``, ``due_at``) is unique and the row is written in the same
    transaction as the work, so each due thing is done once, whatever runs twice or dies halfway."""

    __tablename__ = "due_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))  # e.g. "career_day.wishes_reminder"
    target: Mapped[str] = mapped_column(String(80))  # e.g. "career_day:3"
    due_at: Mapped[datetime]  # when it became due (naive UTC or Berlin wall-clock time, as the kind's source)
    done_at: Mapped[datetime]  # the job's ``now`` (simulated with ``flask jobs run --now``)
    failed: Mapped[bool] = mapped_column(default=False, server_default=false())
    outcome: Mapped[str | None] = mapped_column(Text)  # what it did ("3 mails"), or why it failed

    __table_args__ = (UniqueConstraint("kind", "target", "due_at"),)


class JobRun(db.Model):
    """The last run of each job, for ``flask jobs status`` and the coordinator's page (one row per job)."""

    __tablename__ = "job_run"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    started_at: Mapped[datetime]  # real clock (UTC)
    finished_at: Mapped[datetime | None]
    simulated_now: Mapped[datetime | None]  # set when run with --now
    process: Mapped[str | None] = mapped_column(String(120))
    did: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)  # the last run's error, if it failed
    last_error_at: Mapped[datetime | None]
