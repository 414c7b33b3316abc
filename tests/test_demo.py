"""The demo district and the run command's preparation: ``flask demo load`` and ``prepare_database``."""
from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from scheduler_app.cli import prepare_database
from scheduler_app.demo import COMPANY_EMAIL, COORDINATOR_EMAIL, DEMO_PASSWORD, TEACHER_EMAIL, load_demo
from scheduler_app.domain import meetings
from scheduler_app.domain.meetings import MeetingState
from scheduler_app.domain.errors import DomainError
from scheduler_app.extensions import db
from scheduler_app.factory import create_app
from scheduler_app.models import (
    Alliance,
    AllianceMeeting,
    CareerDay,
    EmployerEvent,
    EmployerEventKind,
    InvitationReply,
    Offer,
    Organisation,
    OrganisationKind,
    Programme,
    RegistrationStatus,
    Slot,
    Student,
    User,
)
from tests import factories
from tests.conftest import settings

NOW = datetime(2026, 11, 21, 9, 0)


def _count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _counts() -> dict[str, int]:
    return {model.__name__: _count(model) for model in (Organisation, User, Programme, CareerDay, Offer, Slot, Student,
                                                          EmployerEvent, Alliance, AllianceMeeting)}


def test_flask_demo_load_fills_an_empty_database_with_a_plausible_district(app, runner):
    result = runner.invoke(args=["demo", "load"])

    assert result.exit_code == 0, result.output
    assert DEMO_PASSWORD in result.output
    with app.app_context():
        assert _count(Organisation, Organisation.kind == OrganisationKind.school) >= 8
        assert _count(Organisation, Organisation.kind == OrganisationKind.company) >= 30
        assert _count(Organisation, Organisation.kind == OrganisationKind.agency) >= 2
        career_day = db.session.scalars(sa.select(CareerDay)).one()
        assert career_day.name == "Berufsorientierungstag Bramsche 2027"
        assert [(r.starts_at.strftime("%H:%M"), r.ends_at.strftime("%H:%M")) for r in career_day.rounds] == [
            ("08:30", "09:15"), ("09:30", "10:15"), ("10:30", "11:15"), ("11:30", "12:15")]
        assert len(career_day.offers) >= 30 and all(offer.slots for offer in career_day.offers)
        assert any(offer.min_grade or offer.max_grade for offer in career_day.offers)
        assert any(slot.min_size for offer in career_day.offers for slot in offer.slots)
        assert any(c.first_round or c.last_round for c in career_day.classes)
        students = [student for school_class in career_day.classes for student in school_class.students]
        assert len(students) >= 8 * 20
        assert all([p.rank for p in student.preferences] == [1, 2, 3, 4, 5] for student in students)
        assert career_day.registered_students == sum(c.headcount for c in career_day.classes) <= career_day.max_students
        assert _count(EmployerEvent) == 8 and _count(Alliance) == 1 and _count(AllianceMeeting) == 2


def test_flask_demo_load_refuses_a_database_that_has_organisations(app, runner):
    with app.app_context():
        factories.make_organisation(name="Schon da")
        db.session.commit()

    result = runner.invoke(args=["demo", "load"])

    assert result.exit_code != 0
    assert "already has organisations" in result.output
    with app.app_context():
        assert _counts()["Organisation"] == 1 and _counts()["User"] == 0


def test_demo_respects_every_rule_of_the_model(db_session):
    load_demo(NOW)
    career_day = db_session.scalars(sa.select(CareerDay)).one()
    for school_class in career_day.classes:
        assert len(school_class.students) == school_class.headcount
        for student in school_class.students:
            for preference in student.preferences:
                offer = preference.offer
                assert offer.open_to_grade(school_class.grade)
                assert any(school_class.present_in(slot.round.position) for slot in offer.slots)
    for event in db_session.scalars(sa.select(EmployerEvent)):
        confirmed = [r for r in event.registrations if r.status is RegistrationStatus.confirmed]
        waitlisted = sorted((r for r in event.registrations if r.status is RegistrationStatus.waitlisted),
                            key=lambda r: r.waitlist_position)
        assert event.booked == sum(r.places for r in confirmed) <= event.capacity
        assert [r.waitlist_position for r in waitlisted] == list(range(1, len(waitlisted) + 1))
        assert all(r.places > event.capacity - event.booked for r in waitlisted)  # the rule holds: nobody could move up


def test_demo_employer_events_show_every_case_the_issue_names(db_session):
    load_demo(NOW)
    events = db_session.scalars(sa.select(EmployerEvent)).all()
    assert {event.kind for event in events} == set(EmployerEventKind)
    assert any(event.capacity - event.booked == 2 for event in events if event.published_at and not event.cancelled_at)
    full = [e for e in events if e.booked == e.capacity and any(r.status is RegistrationStatus.waitlisted for r in e.registrations)]
    assert full and any(r.places > 1 for r in full[0].registrations if r.status is RegistrationStatus.waitlisted)
    past = [e for e in events if e.ends_at < NOW]
    assert past and any(r.attended for r in past[0].registrations) and any(r.attended is False for r in past[0].registrations)
    week = db_session.scalars(sa.select(Programme).where(Programme.name.startswith("Woche der kommunalen Jobcenter"))).one()
    assert len(week.employer_events) >= 3 and all(e.published_at for e in week.employer_events)
    assert any(e.published_at is None for e in events) and any(e.cancelled_at for e in events)

def test_the_demo_alliance_has_a_held_meeting_with_minutes_and_an_open_poll_the_rule_can_decide(db_session):
    load_demo(NOW)
    alliance = db_session.scalars(sa.select(Alliance)).one()
    held, polling = meetings.meetings_by_time(alliance, NOW)[1] + meetings.meetings_by_time(alliance, NOW)[0]

    assert len(alliance.members) >= 10 and sum(member.required for member in alliance.members) == 2
    assert all(member.delegates for member in alliance.members)
    assert {member.organisation.kind for member in alliance.members} == set(OrganisationKind) - {OrganisationKind.school}
    assert meetings.state_of(held, NOW) is MeetingState.held and held.minutes_text
    assert {i.reply for i in held.invitations} == set(InvitationReply) - {InvitationReply.pending}
    assert any(i.attended for i in held.invitations) and any(i.attended is False for i in held.invitations)
    assert meetings.state_of(polling, NOW) is MeetingState.polling and meetings.poll_open(polling, NOW)
    assert 0 < len(polling.responses) < len(alliance.members)
    assert meetings.ranking(polling).chosen.candidate == polling.candidates[1].id


def test_demo_dates_lie_in_the_future_of_now(db_session):
    load_demo(NOW)
    career_day = db_session.scalars(sa.select(CareerDay)).one()
    assert NOW < career_day.booking_deadline < career_day.registration_deadline < career_day.wishes_deadline
    assert career_day.wishes_deadline.date() < career_day.date
    for event in db_session.scalars(sa.select(EmployerEvent).where(EmployerEvent.starts_at > NOW)):
        assert NOW < event.registration_deadline < event.starts_at
    polling = db_session.scalars(sa.select(AllianceMeeting).where(AllianceMeeting.chosen_candidate_id.is_(None))).one()
    assert NOW < polling.poll_deadline < min(candidate.starts_at for candidate in polling.candidates)


def test_demo_is_the_same_for_the_same_now(db_session):
    def fingerprint():
        return sorted(
            (s.school_class.class_code, s.display_name, s.personal_code, tuple(p.offer.title for p in s.preferences))
            for s in db_session.scalars(sa.select(Student))
        )

    load_demo(NOW)
    first = fingerprint()
    assert {e.created_at for e in db_session.scalars(sa.select(Student))} == {NOW}  # not the clock
    db_session.rollback()
    load_demo(NOW)
    assert fingerprint() == first


def test_demo_load_refuses_when_organisations_exist(db_session):
    factories.make_organisation()
    with pytest.raises(DomainError):
        load_demo(NOW)


def test_demo_accounts_sign_in_with_the_demo_password_and_see_their_dashboard(app, client, auth):
    with app.app_context():
        load_demo(NOW)
        db.session.commit()

    for email, dashboard in ((COORDINATOR_EMAIL, "/coordinator/"), (TEACHER_EMAIL, "/school/"), (COMPANY_EMAIL, "/company/")):
        assert auth.login(email, DEMO_PASSWORD).status_code == 302, email
        assert client.get(dashboard).status_code == 200, email
        auth.logout()


def test_prepare_database_migrates_and_loads_the_demo_once(tmp_path):
    app = create_app(settings(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'nested' / 'fresh.sqlite'}"))

    summary = prepare_database(app)

    assert summary is not None and summary.schools >= 8 and summary.companies >= 30
    with app.app_context():
        assert db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
        after_first = _counts()
    assert after_first["CareerDay"] == 1 and after_first["Student"] == summary.students

    assert prepare_database(app) is None
    with app.app_context():
        assert _counts() == after_first
        db.engine.dispose()


def test_the_demo_leaves_the_mails_of_its_story_in_the_outbox(db_session):
    from scheduler_app.models import AllianceDelegate, EventRegistration, MailState, OutgoingMail

    load_demo(NOW)
    mails = db_session.scalars(sa.select(OutgoingMail)).all()
    by_template = {}
    for mail in mails:
        by_template.setdefault(mail.template, set()).add(mail.recipient)

    assert by_template["meeting_poll"] == set(db_session.scalars(sa.select(AllianceDelegate.email)))
    assert by_template["event_registration"] == set(db_session.scalars(sa.select(EventRegistration.email)))
    assert by_template["invitation"] == {"sekretariat@realschule-melle.example"}
    assert {mail.state for mail in mails} == {MailState.waiting} and all(mail.created_at <= NOW for mail in mails)
    assert all(mail.attachments for mail in mails if mail.template == "event_registration" and "bestätigt" in mail.subject)
