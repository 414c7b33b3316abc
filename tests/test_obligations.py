"""Each reminder and automatic step of the job process: sent once, to the right people, at the right
time (driven by ``now`` as ``flask jobs run --once --now`` does), never to those who already acted."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from scheduler_app.extensions import db
from scheduler_app.jobs import run_once
from scheduler_app.models import (
    Allocation,
    AllocationState,
    DueItem,
    EventRegistration,
    MailState,
    InvitationReply,
    MeetingInvitation,
    OrganisationKind,
    OutgoingMail,
    PollResponse,
    RegistrationStatus,
)
from scheduler_app.obligations import career_day_obligations, latest_due, reminder_offsets, run_obligations
from tests import factories
from tests.domain.allocation_data import make_small_day, require_solver


def _new_mails(app, seen: set[int]) -> list[tuple[str, str]]:
    """(recipient, template) of the mails written since the last call, sorted."""
    with app.app_context():
        mails = db.session.execute(select(OutgoingMail.id, OutgoingMail.recipient, OutgoingMail.template, OutgoingMail.body)).all()
    new = [mail for mail in mails if mail.id not in seen]
    seen.update(mail.id for mail in new)
    _new_mails.bodies = {mail.recipient: mail.body for mail in new}
    return sorted((mail.recipient, mail.template) for mail in new)


def _career_day(app) -> int:
    with app.app_context():
        coordinator = factories.make_coordinator(email="koordination@agentur.example")
        agency = coordinator.memberships[0].organisation
        day = factories.make_career_day(factories.make_programme(agency), day=date(2027, 3, 10),
                                        booking_deadline=datetime(2027, 2, 1, 23, 59),
                                        registration_deadline=datetime(2027, 2, 10, 23, 59),
                                        wishes_deadline=datetime(2027, 2, 20, 23, 59))
        booked = factories.make_organisation(OrganisationKind.company, name="Bucht schon GmbH")
        factories.make_company_contact(booked, email="a@bucht.example")
        factories.make_offer(day, booked)
        absent = factories.make_organisation(OrganisationKind.company, name="Noch nicht GmbH")
        factories.make_company_contact(absent, email="b@noch-nicht.example")
        factories.make_partner(agency, absent)
        behind = factories.make_organisation(OrganisationKind.school, name="Oberschule Hinten")
        factories.make_school_contact(behind, email="lehrer@hinten.example")
        waiting = factories.make_school_class(day, behind, students=3, name="9a")
        waiting.students[0].wishes_submitted_at = datetime(2027, 2, 1)
        done = factories.make_organisation(OrganisationKind.school, name="Gymnasium Fertig")
        factories.make_school_contact(done, email="lehrerin@fertig.example")
        ready = factories.make_school_class(day, done, students=2, name="10b")
        for student in ready.students:
            student.wishes_submitted_at = datetime(2027, 2, 1)
        missing = factories.make_organisation(OrganisationKind.school, name="Realschule Fehlt")
        factories.make_school_contact(missing, email="sekretariat@fehlt.example")
        factories.make_partner(agency, missing)
        db.session.commit()
        return day.id


def _obligations(app, moment: datetime) -> int:
    return run_obligations(app, moment)


def test_deadline_reminders_go_once_at_7_and_2_days_to_those_who_have_not_acted(app):
    day_id = _career_day(app)
    seen: set[int] = set()

    assert _obligations(app, datetime(2027, 1, 25, 12, 0)) == 0  # 7 days before the booking deadline is 25 Jan 23:59
    assert _obligations(app, datetime(2027, 1, 26, 12, 0)) == 1
    assert _new_mails(app, seen) == [("b@noch-nicht.example", "career_day_reminder")]
    assert f"/company/career-days/{day_id}" in _new_mails.bodies["b@noch-nicht.example"]  # where the company books
    assert _obligations(app, datetime(2027, 1, 26, 12, 5)) == 0 and _new_mails(app, seen) == []
    assert _obligations(app, datetime(2027, 1, 30, 12, 0)) == 0
    assert _obligations(app, datetime(2027, 1, 31, 12, 0)) == 1  # 2 days before
    assert _new_mails(app, seen) == [("b@noch-nicht.example", "career_day_reminder")]

    # the process was down over both registration reminders: only the latest is sent
    assert _obligations(app, datetime(2027, 2, 9, 12, 0)) == 1
    assert _new_mails(app, seen) == [("sekretariat@fehlt.example", "career_day_reminder")]

    assert _obligations(app, datetime(2027, 2, 14, 12, 0)) == 1
    assert _new_mails(app, seen) == [("lehrer@hinten.example", "career_day_reminder")]
    body = _new_mails.bodies["lehrer@hinten.example"]
    assert "Klasse 9a: 2 von 3 Schülerinnen und Schülern" in body and "Student" not in body
    assert f"/school/career-days/{day_id}" in body
    assert _obligations(app, datetime(2027, 2, 21, 12, 0)) == 0  # the deadline has passed
    with app.app_context():
        kinds = sorted(db.session.scalars(select(DueItem.kind)))
    assert kinds == ["career_day.booking_reminder"] * 2 + ["career_day.registration_reminder", "career_day.wishes_reminder"]


def test_a_clock_that_jumps_back_and_forth_does_nothing_twice_and_nothing_too_early(app):
    _career_day(app)
    seen: set[int] = set()

    assert _obligations(app, datetime(2027, 1, 26, 12, 0)) == 1  # the booking reminder, 7 days before
    assert _new_mails(app, seen) == [("b@noch-nicht.example", "career_day_reminder")]
    assert _obligations(app, datetime(2027, 1, 20, 12, 0)) == 0  # the clock jumped back six days
    assert _obligations(app, datetime(2027, 1, 26, 12, 0)) == 0  # and forward again: already done
    assert _new_mails(app, seen) == []
    assert _obligations(app, datetime(2027, 1, 31, 12, 0)) == 1  # the 2-day reminder still comes, once
    assert _obligations(app, datetime(2027, 1, 31, 12, 0)) == 0
    assert _new_mails(app, seen) == [("b@noch-nicht.example", "career_day_reminder")]


def test_the_reminder_days_are_the_days_and_the_latest_due_one_counts():
    class Day:
        reminder_days = "2, 7,x,0,7"

    assert reminder_offsets(Day()) == [7, 2]
    deadline = datetime(2027, 2, 10, 23, 59)
    assert latest_due(deadline, [7, 2], datetime(2027, 2, 3, 23, 58)) is None
    assert latest_due(deadline, [7, 2], datetime(2027, 2, 3, 23, 59)) == datetime(2027, 2, 3, 23, 59)
    assert latest_due(deadline, [7, 2], datetime(2027, 2, 9, 0, 0)) == datetime(2027, 2, 8, 23, 59)
    assert latest_due(deadline, [7, 2], deadline) is None


def test_a_changed_reminder_day_is_used(app):
    day_id = _career_day(app)
    with app.app_context():
        from scheduler_app.models import CareerDay

        db.session.get(CareerDay, day_id).reminder_days = "3"
        db.session.commit()
        assert career_day_obligations(datetime(2027, 1, 29, 12, 0), "http://localhost") == 0  # 3 days before: 29 Jan 23:59
        assert career_day_obligations(datetime(2027, 1, 30, 12, 0), "http://localhost") == 1


def test_automatic_allocation_runs_at_the_wishes_deadline_and_the_coordinator_gets_the_result(app):
    require_solver()
    with app.app_context():
        small = make_small_day()
        day = small.career_day
        day.wishes_deadline, day.auto_allocate = datetime(2027, 2, 20, 23, 59), True
        coordinator_email = factories.make_coordinator(email="koordination@agentur.example", agency=day.programme.agency).email
        db.session.commit()
    seen: set[int] = set()
    _new_mails(app, seen)

    run_once(app, datetime(2027, 2, 20, 21, 0))  # 22:00 in Berlin: not yet
    with app.app_context():
        assert db.session.scalar(select(Allocation.id)) is None
    run_once(app, datetime(2027, 2, 20, 23, 0))  # queued at the deadline
    run_once(app, datetime(2027, 2, 20, 23, 1))  # run, then the result mailed
    run_once(app, datetime(2027, 2, 20, 23, 2))
    with app.app_context():
        allocations = db.session.execute(select(Allocation.state, Allocation.created_by_id)).all()
    assert allocations == [(AllocationState.done, None)]
    assert _new_mails(app, seen) == [(coordinator_email, "allocation_result")]
    assert "Wunsch 1:" in _new_mails.bodies[coordinator_email]


def test_registrants_are_reminded_two_days_before_the_event_with_its_calendar_entry_once(app):
    with app.app_context():
        event = factories.make_employer_event(starts_at=datetime(2027, 4, 20, 15, 0), capacity=5)
        for name, status, position in (("Zugesagt", RegistrationStatus.confirmed, None),
                                       ("Wartet", RegistrationStatus.waitlisted, 1),
                                       ("Abgesagt", RegistrationStatus.cancelled, None)):
            event.registrations.append(EventRegistration(name=name, email=f"{name.lower()}@example.org", status=status,
                                                         waitlist_position=position))
        event.booked = 1
        db.session.commit()
    seen: set[int] = set()

    assert _obligations(app, datetime(2027, 4, 18, 12, 0)) == 0  # 14:00 in Berlin, 49 hours before
    assert _obligations(app, datetime(2027, 4, 18, 13, 30)) == 1
    assert _obligations(app, datetime(2027, 4, 19, 9, 0)) == 0
    assert _new_mails(app, seen) == [("zugesagt@example.org", "event_reminder")]
    with app.app_context():
        mail = db.session.scalars(select(OutgoingMail)).one()
        assert "UID:employer-event-" in mail.attachments[0]["text"]


def test_meeting_delegates_are_reminded_two_days_before_except_those_who_declined(app):
    with app.app_context():
        alliance = factories.make_alliance()
        members = [factories.make_member(alliance) for _ in range(3)]
        meeting = factories.make_alliance_meeting(alliance, candidates=[datetime(2027, 5, 12, 14, 0)], chosen=0)
        for member, reply in zip(members, (InvitationReply.accepted, InvitationReply.pending, InvitationReply.declined)):
            delegate = member.delegates[0]
            meeting.invitations.append(MeetingInvitation(organisation=member.organisation, delegate=delegate, name=delegate.name,
                                                         email=delegate.email, reply=reply))
        db.session.commit()
        emails = [member.delegates[0].email for member in members]
    seen: set[int] = set()

    assert _obligations(app, datetime(2027, 5, 10, 11, 0)) == 0  # 13:00 in Berlin: 49 hours before
    assert _obligations(app, datetime(2027, 5, 10, 12, 30)) == 1
    assert _obligations(app, datetime(2027, 5, 11, 12, 30)) == 0
    assert _new_mails(app, seen) == sorted([(emails[0], "meeting_upcoming"), (emails[1], "meeting_reminder")])


def test_delegates_whose_organisation_has_not_answered_the_poll_are_reminded_once(app):
    with app.app_context():
        alliance = factories.make_alliance()
        answered, silent = factories.make_member(alliance), factories.make_member(alliance, delegates=2)
        meeting = factories.make_alliance_meeting(alliance, candidates=[datetime(2027, 6, 1, 14, 0)],
                                                  poll_deadline=datetime(2027, 5, 20, 12, 0))
        meeting.responses.append(PollResponse(organisation=answered.organisation, answered_by="x"))
        db.session.commit()
        silent_emails = sorted(d.email for d in silent.delegates)
    seen: set[int] = set()

    assert _obligations(app, datetime(2027, 5, 18, 9, 0)) == 0  # 11:00 in Berlin
    assert _obligations(app, datetime(2027, 5, 18, 10, 30)) == 1
    assert _obligations(app, datetime(2027, 5, 19, 10, 30)) == 0
    assert _new_mails(app, seen) == [(email, "meeting_poll") for email in silent_emails]
    assert "noch nicht teilgenommen" in _new_mails.bodies[silent_emails[0]]


def test_reminder_days_are_checked_and_normalised():
    import pytest

    from scheduler_app.domain.career_days import clean_reminder_days
    from scheduler_app.domain.errors import DomainError

    assert clean_reminder_days(" 2, 7 ,7") == "7,2" and clean_reminder_days("") == ""
    for wrong in ("0", "61", "1,2,3,4,5,6", "zwei", "-1"):
        with pytest.raises(DomainError):
            clean_reminder_days(wrong)


def test_coordinators_are_told_14_days_before_the_students_data_is_deleted_then_it_is(app):
    from scheduler_app.models import CareerDay
    from scheduler_app.obligations import run_retention

    day_id = _career_day(app)
    with app.app_context():
        db.session.get(CareerDay, day_id).retention_until = date(2027, 6, 8)  # deleted on 9 June
        db.session.commit()
    seen: set[int] = set()
    _new_mails(app, seen)

    assert run_retention(app, datetime(2027, 5, 25, 12, 0)) == 0
    assert run_retention(app, datetime(2027, 5, 26, 12, 0)) == 1
    assert run_retention(app, datetime(2027, 5, 27, 12, 0)) == 0
    assert _new_mails(app, seen) == [("koordination@agentur.example", "retention_notice")]
    assert run_retention(app, datetime(2027, 6, 8, 21, 0)) == 0  # 23:00 in Berlin: still the 8th
    assert run_retention(app, datetime(2027, 6, 8, 22, 30)) == 1
    with app.app_context():
        day = db.session.get(CareerDay, day_id)
        assert day.personal_data_deleted_at == datetime(2027, 6, 8, 22, 30) and all(not c.students for c in day.classes)
        assert day.retained_figures["schools"][0]["students"] + day.retained_figures["schools"][1]["students"] == 5
    assert run_retention(app, datetime(2027, 6, 9, 12, 0)) == 0


def test_flask_jobs_status_and_run_keep_their_documented_lines(app, runner):
    with app.app_context():
        db.session.add(OutgoingMail(recipient="weg@schule.example", subject="x", body="x", state=MailState.failed,
                                    attempts=1, last_error="550 no such user", created_at=datetime(2027, 1, 1)))
        db.session.commit()

    ran = runner.invoke(args=["jobs", "run", "--once", "--now", "2027-01-02T12:00+01:00"])
    status = runner.invoke(args=["jobs", "status"])

    assert ran.exit_code == 0 and "obligations: 0" in ran.output and "deliver_mail: 0" in ran.output
    assert status.exit_code == 0
    assert "job retention: last_run=" in status.output and "simulated_now=2027-01-02T11:00:00" in status.output
    assert "mail: waiting=0 sent=0 failed=1 not_sent=0" in status.output
    assert "mail_failed 1: to=weg@schule.example attempts=1 reason=550 no such user" in status.output
    assert "due_items: done=0 failed=0" in status.output and "item_done" not in status.output
    run_retention_at = datetime(2027, 1, 3)
    with app.app_context():
        from scheduler_app.jobs import do_once

        do_once("career_day.retention", "career_day:7", run_retention_at, run_retention_at, lambda: "3 students deleted")
    assert ("item_done career_day.retention career_day:7 due=2027-01-03T00:00:00 at=2027-01-03T00:00:00: 3 students deleted"
            in runner.invoke(args=["jobs", "status"]).output)
    assert runner.invoke(args=["jobs", "run", "--now", "2027-01-02T12:00"]).exit_code != 0
    assert "not an ISO date-time" in runner.invoke(args=["jobs", "run", "--once", "--now", "morgen"]).output


def test_at_the_poll_deadline_the_rule_fixes_the_date_and_the_invitations_go_out_once(app):
    with app.app_context():
        alliance = factories.make_alliance()
        members = [factories.make_member(alliance) for _ in range(2)]
        meeting = factories.make_alliance_meeting(alliance, candidates=[datetime(2027, 6, 1, 14, 0), datetime(2027, 6, 8, 14, 0)],
                                                  poll_deadline=datetime(2027, 5, 20, 12, 0), auto_decide=True)
        from scheduler_app.models import PollAnswer, PollVote

        for member in members:
            meeting.candidates[1].votes.append(PollVote(organisation=member.organisation, answer=PollAnswer.yes))
            meeting.responses.append(PollResponse(organisation=member.organisation, answered_by="x"))
        meeting_id, emails = meeting.id, sorted(m.delegates[0].email for m in members)
        db.session.commit()
    seen: set[int] = set()

    assert run_once(app, datetime(2027, 5, 20, 9, 0))["decide_due_polls"] == 0  # 11:00 in Berlin
    assert _new_mails(app, seen) == []  # everyone answered: no poll reminder
    assert run_once(app, datetime(2027, 5, 20, 10, 30))["decide_due_polls"] == 1
    assert run_once(app, datetime(2027, 5, 20, 10, 31))["decide_due_polls"] == 0
    assert _new_mails(app, seen) == [(email, "meeting_invitation") for email in emails]
    with app.app_context():
        from scheduler_app.models import AllianceMeeting

        assert db.session.get(AllianceMeeting, meeting_id).chosen_candidate_id is not None
