"""The coordinator's page of jobs and mail, and what the career day's page says about retention."""
from __future__ import annotations

from datetime import date, datetime

from scheduler_app.extensions import db
from scheduler_app.jobs import run_once
from scheduler_app.models import MailState, OutgoingMail
from tests import factories


def _login(client, email):
    assert client.post("/auth/login", data={"email": email, "password": factories.PASSWORD}).status_code == 302


def test_the_jobs_page_shows_the_queue_and_each_failed_mail_of_the_agency_with_its_reason(app, client):
    with app.app_context():
        agency = factories.make_coordinator(email="c@example.org").memberships[0].organisation
        other_agency = factories.make_coordinator(email="andere@example.org").memberships[0].organisation
        failed = dict(subject="Einladung", body="x", state=MailState.failed, attempts=1, created_at=datetime(2027, 1, 1))
        db.session.add_all([
            OutgoingMail(recipient="weg@schule.example", last_error="550 5.1.1 mailbox unavailable", agency_id=agency.id,
                         **failed),
            OutgoingMail(recipient="fremd@schule.example", last_error="550 other agency", agency_id=other_agency.id,
                         **failed),
            OutgoingMail(recipient="niemandes@schule.example", last_error="550 no agency", **failed),
            OutgoingMail(recipient="da@schule.example", subject="Einladung", body="x", state=MailState.sent,
                         agency_id=agency.id, created_at=datetime(2027, 1, 1)),
        ])
        db.session.commit()
    run_once(app, datetime(2027, 1, 2))
    _login(client, "c@example.org")

    page = client.get("/coordinator/jobs").get_data(as_text=True)

    assert "weg@schule.example" in page and "550 5.1.1 mailbox unavailable" in page
    assert "da@schule.example" not in page
    # another agency's mails, and mails written for no agency, are counted but never listed
    assert "fremd@schule.example" not in page and "niemandes@schule.example" not in page
    assert "other agency" not in page and "no agency" not in page
    assert "deliver_mail" in page and "retention" in page


def test_the_career_day_page_says_when_the_students_data_will_be_deleted(app, client):
    with app.app_context():
        coordinator = factories.make_coordinator(email="c@example.org")
        day = factories.make_career_day(factories.make_programme(coordinator.memberships[0].organisation),
                                        day=date(2027, 3, 10), retention_until=date(2027, 6, 8))
        db.session.commit()
        day_id = day.id
    _login(client, "c@example.org")

    page = client.get(f"/coordinator/career-days/{day_id}").get_data(as_text=True)

    assert "werden nach dem 08.06.2027 automatisch gelöscht" in page
    assert "7, 2 Tage vor jeder Frist" in page
