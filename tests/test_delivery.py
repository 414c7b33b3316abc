"""Mail delivery against a real SMTP server (aiosmtpd on 127.0.0.1): what arrives, in which language,
with which attachments, and what happens on refusals, bounces, time-outs and dropped connections."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from scheduler_app.delivery import deliver_mail, retry_pause
from scheduler_app.domain.calendar import CalendarEntry, build_calendar
from scheduler_app.domain.mail import Attachment, queue_mail
from scheduler_app.extensions import db
from scheduler_app.models import MailState, OutgoingMail
from scheduler_app.models_base import utc_now
from tests.smtp_server import SmtpServer, free_port

CONTEXT = {"name": "Frau Meyer", "inviter": "Sabine Wellmann", "organisation": "Oberschule Bramsche",
           "expires_at": datetime(2027, 1, 24, 9, 0), "link": "https://bo.example/auth/invitation/abc"}
ICS_TYPE = "text/calendar; method=PUBLISH; charset=utf-8"


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def _use(app, server: SmtpServer | None, **overrides) -> None:
    app.config.update({"MAIL_SERVER": "127.0.0.1" if server else None, "MAIL_PORT": server.port if server else 25,
                       "MAIL_DEFAULT_SENDER": "BO-Tage <bo@agentur.example>", "MAIL_TIMEOUT": 2, **overrides})


def _queue(app, *recipients: str, locale: str | None = None, attachments=(), personal_data=False,
           created_at: datetime | None = None) -> list[int]:
    with app.app_context():
        ids = [queue_mail(recipient, "invitation", CONTEXT, created_at or utc_now() - timedelta(seconds=1), locale=locale,
                          attachments=attachments, personal_data=personal_data).id for recipient in recipients]
        db.session.commit()
        return ids


def _mail(app, mail_id: int) -> OutgoingMail:
    with app.app_context():
        mail = db.session.get(OutgoingMail, mail_id)
        db.session.expunge(mail)
        return mail


def _pause_over(app, *mail_ids: int) -> None:
    """Time passes: the mails' retry pauses are over."""
    with app.app_context():
        db.session.execute(update(OutgoingMail).where(OutgoingMail.id.in_(mail_ids))
                           .values(next_attempt_at=utc_now() - timedelta(seconds=1)))
        db.session.commit()


def _ics() -> str:
    entry = CalendarEntry(uid="employer-event-7@bo.example", summary="Infoabend", starts_at=datetime(2027, 5, 4, 18),
                          ends_at=datetime(2027, 5, 4, 20), last_modified=datetime(2027, 1, 1))
    return build_calendar([entry], name="Infoabend", method="PUBLISH").decode()


def test_a_mail_arrives_with_text_html_its_language_the_calendar_entry_and_a_stable_message_id(app, smtp):
    _use(app, smtp)
    german, english = (_queue(app, "a@schule.example", attachments=[Attachment("infoabend.ics", ICS_TYPE, _ics())])[0],
                       _queue(app, "b@betrieb.example", locale="en")[0])

    assert deliver_mail(app) == 2

    received = smtp.to("a@schule.example")[0]
    assert received["Subject"] == "Einladung: Ansprechperson für Oberschule Bramsche"
    assert received["From"] == "BO-Tage <bo@agentur.example>" and received["Content-Language"] == "de"
    stored = _mail(app, german)
    assert received["Message-ID"] == f"<outgoing-mail-{german}.{stored.created_at:%Y%m%d%H%M%S}@agentur.example>"
    text = received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    assert text.startswith("Guten Tag Frau Meyer,") and "https://bo.example/auth/invitation/abc" in text
    assert '<a href="https://bo.example/auth/invitation/abc">' in html
    [calendar] = list(received.iter_attachments())
    assert calendar.get_content_type() == "text/calendar" and calendar.get_param("method") == "PUBLISH"
    assert calendar.get_filename() == "infoabend.ics" and "UID:employer-event-7@bo.example" in calendar.get_content()
    assert smtp.to("b@betrieb.example")[0]["Subject"] == "Invitation: contact of Oberschule Bramsche"
    assert stored.state is MailState.sent and stored.sent_at is not None and stored.attempts == 1
    assert stored.claimed_by is None and stored.lease_until is None
    assert _mail(app, english).state is MailState.sent


def test_delivering_again_sends_nothing_twice(app, smtp):
    _use(app, smtp)
    _queue(app, "a@schule.example", "b@schule.example")

    assert deliver_mail(app) == 2
    assert deliver_mail(app) == 0
    assert len(smtp.messages) == 2


def test_a_temporary_refusal_is_retried_after_a_pause_while_the_rest_of_the_queue_goes_out(app, smtp):
    _use(app, smtp)
    later, other = _queue(app, "later@schule.example", "ok@schule.example")

    assert deliver_mail(app) == 2
    waiting = _mail(app, later)
    assert waiting.state is MailState.waiting and waiting.attempts == 1 and "451" in waiting.last_error
    assert timedelta(seconds=50) < waiting.next_attempt_at - utc_now() <= retry_pause(1)
    assert _mail(app, other).state is MailState.sent
    assert deliver_mail(app) == 0  # the pause is not over

    _pause_over(app, later)
    assert deliver_mail(app) == 1
    sent = _mail(app, later)
    assert sent.state is MailState.sent and sent.attempts == 2 and sent.last_error is None
    assert [m["Message-ID"] for m in smtp.to("later@schule.example")] == [
        f"<outgoing-mail-{later}.{sent.created_at:%Y%m%d%H%M%S}@agentur.example>"]


def test_the_pauses_grow_and_end_at_two_hours():
    assert [retry_pause(n) for n in (1, 2, 3, 8, 20)] == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4),
                                                          timedelta(hours=2), timedelta(hours=2)]


def test_a_bounce_fails_for_good_with_the_reason_and_never_blocks_the_queue(app, smtp):
    _use(app, smtp)
    bounce, invalid, fine = _queue(app, "bounce@schule.example", "keine adresse", "ok@schule.example")

    assert deliver_mail(app) == 3

    failed = _mail(app, bounce)
    assert failed.state is MailState.failed and failed.last_error.startswith("550 5.1.1 mailbox unavailable")
    assert _mail(app, invalid).state is MailState.failed and "invalid address" in _mail(app, invalid).last_error
    assert _mail(app, fine).state is MailState.sent and len(smtp.messages) == 1
    _pause_over(app, bounce, invalid)
    assert deliver_mail(app) == 0  # failed for good: never tried again


def test_a_connection_dropped_mid_message_is_sent_again_with_the_same_message_id(app, smtp):
    _use(app, smtp)
    [dropped] = _queue(app, "drop@schule.example")

    assert deliver_mail(app) == 1
    waiting = _mail(app, dropped)
    assert waiting.state is MailState.waiting and "connection lost" in waiting.last_error and smtp.messages == []

    _pause_over(app, dropped)
    assert deliver_mail(app) == 1
    assert _mail(app, dropped).state is MailState.sent
    assert smtp.data_attempts["drop@schule.example"] == 2 and len(smtp.to("drop@schule.example")) == 1


def test_a_server_that_refuses_connections_costs_one_attempt_per_sweep_and_fails_a_mail_after_24_hours(app):
    _use(app, None, MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    first, second = _queue(app, "a@schule.example", "b@schule.example")

    assert deliver_mail(app) == 1  # the server is down: the sweep stops after the first mail
    refused = _mail(app, first)
    assert refused.state is MailState.waiting and "unreachable" in refused.last_error and refused.attempts == 1
    assert _mail(app, second).attempts == 0

    with app.app_context():
        db.session.execute(update(OutgoingMail).where(OutgoingMail.id == first)
                           .values(first_attempt_at=utc_now() - timedelta(hours=25)))
        db.session.commit()
    _pause_over(app, first)
    assert deliver_mail(app) == 1  # the mail never tried goes first (and fails: the server is still down)
    assert _mail(app, second).attempts == 1 and _mail(app, first).state is MailState.waiting
    assert deliver_mail(app) == 1
    given_up = _mail(app, first)
    assert given_up.state is MailState.failed and given_up.last_error.startswith("still failing after 24 hours")


def test_a_server_that_takes_too_long_is_a_temporary_failure(app):
    slow = SmtpServer(slow_seconds=4).start()
    try:
        _use(app, slow, MAIL_TIMEOUT=1)
        [mail_id] = _queue(app, "slow@schule.example")
        assert deliver_mail(app) == 1
    finally:
        slow.stop()
    mail = _mail(app, mail_id)
    assert mail.state is MailState.waiting and "time-out" in mail.last_error


def test_without_a_mail_server_mails_go_to_the_log_and_stay_not_sent(app, caplog):
    _use(app, None)
    plain, personal = _queue(app, "a@schule.example"), _queue(app, "b@schule.example", personal_data=True)

    with caplog.at_level(logging.INFO, logger="scheduler_app.mail"):
        assert deliver_mail(app) == 2

    assert _mail(app, plain[0]).state is MailState.not_sent
    assert _mail(app, plain[0]).last_error == "not sent (no mail server)"
    assert _mail(app, personal[0]).state is MailState.not_sent
    logged = caplog.text
    assert "not sent (no mail server): mail" in logged and "Guten Tag Frau Meyer," in logged
    assert logged.count("Guten Tag Frau Meyer,") == 1  # the mail naming a student is logged without its text


def test_a_mail_dated_after_the_real_clock_is_not_sent_even_when_the_jobs_act_as_if_it_were_later(app, smtp):
    _use(app, smtp)
    [future] = _queue(app, "a@schule.example", created_at=utc_now() + timedelta(days=300))

    assert deliver_mail(app, utc_now() + timedelta(days=365)) == 0
    assert _mail(app, future).state is MailState.waiting and smtp.messages == []


def test_a_mail_another_live_process_holds_is_left_alone(app, smtp):
    _use(app, smtp)
    [held] = _queue(app, "a@schule.example")
    with app.app_context():
        db.session.execute(update(OutgoingMail).where(OutgoingMail.id == held)
                           .values(claimed_by="other:1:abc", lease_until=utc_now() + timedelta(seconds=60)))
        db.session.commit()

    assert deliver_mail(app) == 0
    with app.app_context():
        db.session.execute(update(OutgoingMail).where(OutgoingMail.id == held)
                           .values(lease_until=utc_now() - timedelta(seconds=1)))  # that process died
        db.session.commit()
    assert deliver_mail(app) == 1
    with app.app_context():
        assert db.session.scalar(select(OutgoingMail.state).where(OutgoingMail.id == held)) is MailState.sent


def test_the_demos_first_job_run_delivers_its_invitations_confirmations_and_poll_to_a_real_server(app, runner, smtp):
    from scheduler_app.jobs import run_once
    from scheduler_app.models import AllianceDelegate, EventRegistration

    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    _use(app, smtp)

    done = run_once(app)

    with app.app_context():
        delegates = set(db.session.scalars(select(AllianceDelegate.email)))
        registrants = set(db.session.scalars(select(EventRegistration.email)))
        total = db.session.scalar(select(db.func.count()).select_from(OutgoingMail))
    received = {message["To"] for message in smtp.messages}
    assert done["deliver_mail"] == total == len(smtp.messages)
    assert delegates | registrants | {"sekretariat@realschule-melle.example"} == received
    poll = smtp.to(sorted(delegates)[0])[0]
    assert poll["Subject"].startswith("Terminumfrage:") and "/delegate/" in poll.get_body(("plain",)).get_content()
    confirmations = [m for m in smtp.messages if m["Subject"].startswith("Anmeldung bestätigt")]
    assert confirmations and all(any(p.get_content_type() == "text/calendar" for p in m.iter_attachments())
                                 for m in confirmations)
