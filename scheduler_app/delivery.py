"""Mail delivery: the job process sends the outbox (``outgoing_mail``) over SMTP.

Built on the standard library (:mod:`email` builds the message, :mod:`smtplib` sends it): no extra
dependency, and a Flask mail extension would add nothing a job process needs (it sends from request
handlers, which here never send mail).

Each mail is sent once even with several job processes or one killed while sending:

1. claim the next due mail with a lease (:mod:`scheduler_app.domain.leases`; ``FOR UPDATE SKIP
   LOCKED`` on PostgreSQL), commit;
2. send it (a heartbeat renews the lease meanwhile);
3. record the result and release the lease in one UPDATE that only the holder's lease allows, commit.

A process killed between 2 and 3 leaves a mail whose lease runs out: another process sends it again,
with the same ``Message-ID`` (made from the row, :func:`message_id`), so the copy can be recognised.

Temporary failures (connection refused, time-outs, a dropped connection, 4xx answers) are retried
after growing pauses (:func:`retry_pause`) until 24 h after the first attempt, then the mail fails.
Permanent ones (5xx for the recipient or the message, an invalid address) fail at once, with the
server's answer as the reason; the sweep goes on with the next mail. A failure of the server itself
(unreachable, refusing our sender or our login) ends the sweep after that mail, so a dead server
costs one attempt per sweep, not one per waiting mail.

Leases and ``sent_at`` use the real clock; a mail is sent only once the real clock has reached its
``created_at`` (``flask jobs run --now`` in the future never sends a mail dated in the future).
"""
from __future__ import annotations

import logging
import smtplib
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from flask import Flask
from sqlalchemy import or_

from scheduler_app.domain import leases
from scheduler_app.extensions import db
from scheduler_app.models import MailState, OutgoingMail
from scheduler_app.models_base import utc_now

log = logging.getLogger("scheduler_app.mail")

RETRY_FOR = timedelta(hours=24)
FIRST_PAUSE = timedelta(minutes=1)
LONGEST_PAUSE = timedelta(hours=2)
ERROR_MAX_LENGTH = 500


@dataclass(frozen=True)
class MailSettings:
    """The ``MAIL_*`` settings (Flask-Mail's names). ``server`` None: no mail is sent, each is logged."""

    server: str | None
    port: int
    use_tls: bool  # STARTTLS after connecting
    use_ssl: bool  # TLS from the first byte (port 465)
    username: str | None
    password: str | None
    sender: str
    timeout: float

    @classmethod
    def from_config(cls, config) -> MailSettings:
        return cls(server=config.get("MAIL_SERVER") or None, port=int(config.get("MAIL_PORT") or 25),
                   use_tls=bool(config.get("MAIL_USE_TLS")), use_ssl=bool(config.get("MAIL_USE_SSL")),
                   username=config.get("MAIL_USERNAME") or None, password=config.get("MAIL_PASSWORD") or None,
                   sender=config["MAIL_DEFAULT_SENDER"], timeout=float(config.get("MAIL_TIMEOUT") or 30))


class DeliveryError(Exception):
    """A mail was not delivered. ``permanent``: trying again cannot help. ``server``: the server
    itself failed (not this mail), so the sweep stops."""

    def __init__(self, reason: str, *, permanent: bool, server: bool = False):
        super().__init__(reason)
        self.reason, self.permanent, self.server = reason[:ERROR_MAX_LENGTH], permanent, server


def sender_domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    return address.rpartition("@")[2] or "localhost"


def message_id(mail: OutgoingMail, domain: str) -> str:
    """The same for every attempt at one mail (from its row), so a copy sent twice is recognisable."""
    return f"<outgoing-mail-{mail.id}.{mail.created_at:%Y%m%d%H%M%S}@{domain}>"


def check_address(recipient: str) -> str:
    """The recipient as one plain address, or a permanent :class:`DeliveryError`."""
    try:
        address = Address(addr_spec=recipient.strip())
    except (ValueError, IndexError, TypeError) as error:
        raise DeliveryError(f"invalid address: {error}", permanent=True) from error
    if not address.username or "." not in address.domain or any(c.isspace() for c in recipient.strip()):
        raise DeliveryError("invalid address", permanent=True)
    return address.addr_spec


def build_message(mail: OutgoingMail, sender: str, sent_at: datetime) -> EmailMessage:
    """Plain text and HTML as alternatives, each attachment (``.ics``) after them; UTF-8 throughout."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = check_address(mail.recipient)
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(sent_at.replace(tzinfo=timezone.utc))
    message["Message-ID"] = message_id(mail, sender_domain(sender))
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to automatic mails
    message.set_content(mail.body, subtype="plain", charset="utf-8")
    if mail.html:
        message.add_alternative(mail.html, subtype="html", charset="utf-8")
    for attachment in mail.attachments or []:
        maintype, _, rest = attachment["content_type"].partition("/")
        if maintype != "text":
            raise DeliveryError(f"attachment {attachment['filename']} is not text", permanent=True)
        subtype, *params = [part.strip() for part in rest.split(";")]
        extra = dict(param.split("=", 1) for param in params if "=" in param and not param.startswith("charset"))
        message.add_attachment(attachment["text"], subtype=subtype, charset="utf-8", filename=attachment["filename"],
                               params=extra)
    message["Content-Language"] = mail.locale  # after the parts: making a multipart moves Content-* headers into them
    return message


def classify(error: BaseException) -> DeliveryError:
    """What an SMTP or network error means for the mail: temporary or permanent, the mail's or the server's."""
    if isinstance(error, DeliveryError):
        return error
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, answer = next(iter(error.recipients.values()))
        text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)
        return DeliveryError(f"{code} {text}", permanent=500 <= code < 600)
    if isinstance(error, (smtplib.SMTPSenderRefused, smtplib.SMTPAuthenticationError, smtplib.SMTPHeloError)):
        return DeliveryError(_answer(error), permanent=False, server=True)  # our settings, not this mail
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return DeliveryError(f"not supported by the server: {error}", permanent=True)
    if isinstance(error, smtplib.SMTPServerDisconnected) and "timed out" in str(error):
        return DeliveryError("time-out talking to the mail server", permanent=False, server=True)
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return DeliveryError(f"connection lost: {error}", permanent=False, server=True)
    if isinstance(error, smtplib.SMTPResponseException):
        return DeliveryError(_answer(error), permanent=500 <= error.smtp_code < 600)
    if isinstance(error, (TimeoutError, socket.timeout)):
        return DeliveryError("time-out talking to the mail server", permanent=False, server=True)
    if isinstance(error, (OSError, smtplib.SMTPException, ssl.SSLError)):
        return DeliveryError(f"mail server unreachable: {error}", permanent=False, server=True)
    return DeliveryError(f"{type(error).__name__}: {error}", permanent=False, server=True)


def _answer(error: smtplib.SMTPResponseException) -> str:
    text = error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) else str(error.smtp_error)
    return f"{error.smtp_code} {text}"


def retry_pause(attempts: int) -> timedelta:
    """1, 2, 4, … minutes after the 1st, 2nd, 3rd … failed attempt, at most 2 hours."""
    return min(FIRST_PAUSE * 2 ** max(attempts - 1, 0), LONGEST_PAUSE)


class SmtpConnection:
    """One SMTP session for a sweep, opened at the first mail and reused for the next ones."""

    def __init__(self, settings: MailSettings):
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        if s.use_ssl:
            smtp = smtplib.SMTP_SSL(s.server, s.port, timeout=s.timeout, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(s.server, s.port, timeout=s.timeout)
        try:
            smtp.ehlo()
            if s.use_tls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if s.username:
                smtp.login(s.username, s.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, message: EmailMessage) -> None:
        if self._smtp is None:
            self._smtp = self._open()
        refused = self._smtp.send_message(message)
        if refused:  # only with several recipients; we send to one
            raise smtplib.SMTPRecipientsRefused(refused)

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def discard(self) -> None:
        """Drop a session that failed (it may be in the middle of a command)."""
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None


def _terms(app: Flask) -> leases.LeaseTerms:
    return leases.LeaseTerms(owner=leases.process_identity(),
                             duration=timedelta(seconds=app.config["JOB_LEASE_SECONDS"]),
                             heartbeat=timedelta(seconds=app.config["JOB_HEARTBEAT_SECONDS"]))


def _due(now: datetime) -> list:
    return [OutgoingMail.state == MailState.waiting, OutgoingMail.created_at <= now,
            or_(OutgoingMail.next_attempt_at.is_(None), OutgoingMail.next_attempt_at <= now)]


def deliver_mail(app: Flask, now: datetime | None = None, *, limit: int = 500) -> int:
    """Send (or, without a mail server, log) the mails that are due; returns how many were handled.
    ``now`` (simulated) never lets a mail dated after the real clock go out."""
    settings = MailSettings.from_config(app.config)
    terms = _terms(app)
    connection = SmtpConnection(settings) if settings.server else None
    handled = 0
    try:
        with app.app_context():
            while handled < limit:
                real_now = utc_now()
                due_by = min(now or real_now, real_now)
                mail_id = leases.claim_next(OutgoingMail, terms, real_now, where=_due(due_by),
                                            order_by=[OutgoingMail.next_attempt_at.is_not(None), OutgoingMail.next_attempt_at,
                                                      OutgoingMail.id],
                                            values={"attempts": OutgoingMail.attempts + 1})
                db.session.commit()
                if mail_id is None:
                    return handled
                handled += 1
                mail = db.session.get(OutgoingMail, mail_id)
                if connection is None:
                    _log_unsent(mail)
                    _record(mail_id, terms, state=MailState.not_sent, sent_at=utc_now(),
                            last_error="not sent (no mail server)")
                    continue
                if not _send_one(app, connection, mail, terms):
                    return handled
    finally:
        if connection is not None:
            connection.close()
    return handled


def _send_one(app: Flask, connection: SmtpConnection, mail: OutgoingMail, terms: leases.LeaseTerms) -> bool:
    """Send one claimed mail and record what happened; False when the sweep should stop."""
    mail_id, attempts, first_attempt_at = mail.id, mail.attempts, mail.first_attempt_at
    started = utc_now()
    try:
        message = build_message(mail, connection.settings.sender, started)
        db.session.rollback()  # no transaction stays open while the server answers
        with leases.Heartbeat(db.engine, OutgoingMail, mail_id, terms, utc_now):
            connection.send(message)
    except Exception as error:  # every failure is recorded on the mail; nothing escapes the sweep
        failure = classify(error)
        if failure.server:
            connection.discard()
        first = first_attempt_at or started
        if failure.permanent:
            _record(mail_id, terms, state=MailState.failed, last_error=failure.reason, first_attempt_at=first)
            log.warning("mail %s to %s failed for good: %s", mail_id, mail.recipient, failure.reason)
        elif utc_now() - first >= RETRY_FOR:
            _record(mail_id, terms, state=MailState.failed, first_attempt_at=first,
                    last_error=f"still failing after 24 hours: {failure.reason}"[:ERROR_MAX_LENGTH])
            log.warning("mail %s to %s given up after 24 hours: %s", mail_id, mail.recipient, failure.reason)
        else:
            _record(mail_id, terms, state=MailState.waiting, last_error=failure.reason, first_attempt_at=first,
                    next_attempt_at=utc_now() + retry_pause(attempts))
            log.info("mail %s to %s will be tried again: %s", mail_id, mail.recipient, failure.reason)
        return not failure.server
    _record(mail_id, terms, state=MailState.sent, sent_at=utc_now(), last_error=None,
            first_attempt_at=first_attempt_at or started, next_attempt_at=None)
    log.info("mail %s sent to %s", mail_id, mail.recipient)
    return True


def _record(mail_id: int, terms: leases.LeaseTerms, **values) -> None:
    """Write the result and give up the lease; nothing is written when the lease was lost meanwhile
    (another process took the mail over and will record its own result)."""
    if not leases.release(OutgoingMail, mail_id, terms.owner, values=values):
        log.warning("mail %s: lease lost while sending; its result is left to the process that holds it", mail_id)
    db.session.commit()


def _log_unsent(mail: OutgoingMail) -> None:
    """Without a mail server (the demo) a mail goes to the job log instead; mails that name a student
    are logged without their text (the log is kept longer than students' data)."""
    if mail.personal_data:
        log.info("not sent (no mail server): mail %s to %s (subject and text not logged: they name a student)",
                 mail.id, mail.recipient)
    else:
        log.info("not sent (no mail server): mail %s to %s: %s\n%s", mail.id, mail.recipient, mail.subject, mail.body)
