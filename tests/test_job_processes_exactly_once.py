"""Each due thing done once, with real job processes (tests/job_sweeper.py) on the suite's kind of
database (a SQLite file; a throwaway PostgreSQL database): two processes sweeping at the same moment,
a process killed in the middle of a due item's transaction, one killed right after the mail server
accepted a message. The mails go to a real SMTP server (aiosmtpd) in this process."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from scheduler_app.domain.dashboards import wall_clock
from scheduler_app.extensions import db
from scheduler_app.models import DueItem, EventRegistration, MailState, OutgoingMail, RegistrationStatus
from scheduler_app.models_base import utc_now
from tests import factories
from tests.live_server import PROJECT_ROOT
from tests.smtp_server import SmtpServer

pytestmark = pytest.mark.slow

EVENTS, REGISTRANTS = 20, 3


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def _events_due_now(app) -> None:
    """EVENTS employer events starting tomorrow, REGISTRANTS confirmed registrations each: the reminders are due."""
    with app.app_context():
        starts = wall_clock(utc_now()).replace(microsecond=0) + timedelta(days=1)
        for number in range(EVENTS):
            event = factories.make_employer_event(starts_at=starts, capacity=REGISTRANTS)
            for person in range(REGISTRANTS):
                event.registrations.append(EventRegistration(name=f"Person {number}-{person}", email=f"p{number}-{person}@schule.example",
                                                             status=RegistrationStatus.confirmed))
            event.booked = REGISTRANTS
        db.session.commit()


def _start(app, tmp_path, smtp, name: str, die: str | None = None) -> tuple[subprocess.Popen, object]:
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "MAIL_SERVER": "127.0.0.1",
                                    "MAIL_PORT": smtp.port, "MAIL_DEFAULT_SENDER": "bo@agentur.example",
                                    "JOB_LEASE_SECONDS": 2, "JOB_HEARTBEAT_SECONDS": 1}))
    log_path = tmp_path / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "tests.job_sweeper", str(settings), utc_now().isoformat(),
                                    *([die] if die else [])], cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    return process, log_path


def _finish(process: subprocess.Popen, log_path) -> int:
    try:
        return process.wait(timeout=240)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def _state(app) -> tuple[int, Counter, Counter]:
    with app.app_context():
        items = db.session.scalar(select(func.count()).select_from(DueItem).where(DueItem.kind == "employer_event.reminder"))
        mails = Counter(db.session.scalars(select(OutgoingMail.recipient)))
        states = Counter(db.session.scalars(select(OutgoingMail.state)))
        return items, mails, states


def _everyone_once(app, smtp) -> None:
    items, mails, states = _state(app)
    assert items == EVENTS
    assert len(mails) == EVENTS * REGISTRANTS and set(mails.values()) == {1}
    assert states == Counter({MailState.sent: EVENTS * REGISTRANTS})
    assert {message["To"] for message in smtp.messages} == set(mails)


def test_two_job_processes_at_once_do_each_due_item_and_send_each_mail_once(own_app, tmp_path, smtp):
    _events_due_now(own_app)

    first = _start(own_app, tmp_path, smtp, "first")
    second = _start(own_app, tmp_path, smtp, "second")
    codes = [_finish(*first), _finish(*second)]

    assert codes == [0, 0], [path.read_text() for _, path in (first, second)]
    _everyone_once(own_app, smtp)
    assert len(smtp.messages) == EVENTS * REGISTRANTS  # no message twice
    done = [line for _, path in (first, second) for line in path.read_text().splitlines() if line.startswith("obligations:")]
    assert sum(int(line.split(": ")[1]) for line in done) == EVENTS  # the items were shared, none done twice


def test_a_process_killed_inside_a_due_items_transaction_leaves_nothing_half_done(own_app, tmp_path, smtp):
    _events_due_now(own_app)

    killed = _start(own_app, tmp_path, smtp, "killed", die=f"mail:{REGISTRANTS * 7 + 2}")  # in the 8th event's item
    assert _finish(*killed) == 9
    items, mails, _ = _state(own_app)
    assert items == 7 and sum(mails.values()) == 7 * REGISTRANTS and smtp.messages == []

    restarted = _start(own_app, tmp_path, smtp, "restarted")
    assert _finish(*restarted) == 0, restarted[1].read_text()
    _everyone_once(own_app, smtp)
    assert len(smtp.messages) == EVENTS * REGISTRANTS


def test_a_process_killed_after_the_server_took_a_mail_loses_nothing_and_the_copy_has_the_same_message_id(own_app, tmp_path, smtp):
    _events_due_now(own_app)

    killed = _start(own_app, tmp_path, smtp, "killed", die="send:5")
    assert _finish(*killed) == 9
    assert len(smtp.messages) == 5
    time.sleep(2.5)  # its lease on the fifth mail runs out

    restarted = _start(own_app, tmp_path, smtp, "restarted")
    assert _finish(*restarted) == 0, restarted[1].read_text()
    _everyone_once(own_app, smtp)
    ids = Counter(message["Message-ID"] for message in smtp.messages)
    assert len(ids) == EVENTS * REGISTRANTS
    assert sorted(ids.values(), reverse=True)[:2] == [2, 1]  # only the mail being sent at the kill came twice, recognisably
