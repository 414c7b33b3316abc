"""The audit log (who changed what, when) and the e-mail outbox."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler_app.extensions import db
from scheduler_app.models_base import utc_now
from scheduler_app.models.organisation import User


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


class OutgoingMail(db.Model):
    """An e-mail waiting to be sent. Written in the same transaction as the change it reports
    (:func:`scheduler_app.domain.mail.queue_mail`); the job process delivers it, so a failed change
    never sends mail and a mail server outage never fails a change."""

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
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
