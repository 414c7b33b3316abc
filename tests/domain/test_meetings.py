"""Alliance meetings for the coordinator: candidate dates, warnings, the poll, the date by the rule
(also applied by the job at the deadline), invitations with calendar entries, reminders,
attendance, minutes and the next meeting planned from the last."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from scheduler_app.domain import alliances, meetings
from scheduler_app.domain.errors import DomainError, NotAllowed
from scheduler_app.domain.meetings import CandidateSeries, MeetingSettings, MeetingState
from scheduler_app.models import (
    AuditEntry,
    CandidateDate,
    InvitationReply,
    MeetingInvitation,
    OrganisationKind,
    OutgoingMail,
    PollAnswer,
    Venue,
)
from tests.factories import (
    agency_of,
    make_alliance,
    make_alliance_meeting,
    make_career_day,
    make_coordinator,
    make_employer_event,
    make_member,
    make_organisation,
    make_programme,
)
from tests.meeting_data import BASE_URL, meeting_world, vote

NOW = datetime(2027, 1, 10, 9, 0)  # UTC; Berlin 10:00 on Sunday, 10 January 2027
FIRST = datetime(2027, 2, 9, 14, 0)  # the first candidate of meeting_world(NOW): Tuesdays 9, 16 and 23 February
YES, MAYBE, NO = PollAnswer.yes, PollAnswer.if_need_be, PollAnswer.no


def _mails(db_session, template=None):
    query = select(OutgoingMail).order_by(OutgoingMail.id)
    return list(db_session.scalars(query.where(OutgoingMail.template == template) if template else query))


def _draft(coordinator=None, **settings):
    coordinator = coordinator or make_coordinator()
    alliance = make_alliance(agency_of(coordinator), federal_state="NI")
    make_member(alliance, required=True, delegates=0)
    meeting = meetings.create_meeting(coordinator, alliance, MeetingSettings(title=settings.pop("title", "Treffen"), **settings), NOW)
    return coordinator, meeting


# --- preparing ----------------------------------------------------------------------------------------

def test_a_meeting_is_created_as_a_draft_with_its_settings_checked(db_session):
    coordinator, meeting = _draft(online_url="https://meet.example/abc", duration_minutes=90)
    assert meetings.state_of(meeting, NOW) is MeetingState.draft and meeting.duration_minutes == 90

    for settings, field in ((MeetingSettings(title=" "), "title"),
                            (MeetingSettings(title="T", online_url="javascript:alert(1)"), "online_url"),
                            (MeetingSettings(title="T", duration_minutes=5), "duration_minutes"),
                            (MeetingSettings(title="T", poll_deadline=datetime(2027, 1, 1, 12)), "poll_deadline"),
                            (MeetingSettings(title="T", venue=Venue(agency_id=make_coordinator().memberships[0].organisation_id,
                                                                    name="Fremd")), "venue")):
        with pytest.raises(DomainError) as caught:
            meetings.create_meeting(coordinator, meeting.alliance, settings, NOW)
        assert caught.value.field == field
    with pytest.raises(NotAllowed):
        meetings.create_meeting(make_coordinator(), meeting.alliance, MeetingSettings(title="Fremd"), NOW)


def test_every_tuesday_for_six_weeks_is_one_action(db_session):
    coordinator, meeting = _draft()

    added = meetings.add_candidates(coordinator, meeting, CandidateSeries(date(2027, 2, 2), time(14), time(16), weeks=6), NOW)

    assert [c.starts_at for c in added] == [datetime(2027, 2, 2, 14) + timedelta(weeks=n) for n in range(6)]
    assert all(c.ends_at - c.starts_at == timedelta(hours=2) for c in added)
    meetings.remove_candidate(coordinator, added[2], NOW)
    assert len(meeting.candidates) == 5
    meeting.duration_minutes = 90
    without_end = meetings.add_candidates(coordinator, meeting, CandidateSeries(date(2027, 2, 3), time(23, 0)), NOW)
    assert without_end[0].ends_at == datetime(2027, 2, 4, 0, 30)  # the meeting's duration, past midnight


@pytest.mark.parametrize("series, field", [
    (CandidateSeries(date(2027, 1, 5), time(14), time(16)), "first_day"),  # in the past
    (CandidateSeries(date(2027, 2, 2), time(15), time(17)), "first_day"),  # overlaps 2 February 14–16
    (CandidateSeries(date(2027, 1, 26), time(15), time(17), weeks=2), "first_day"),  # the 2nd week overlaps
    (CandidateSeries(date(2027, 2, 3), time(16), time(14)), "ends"),
    (CandidateSeries(date(2027, 2, 3), time(14), time(16), weeks=13), "weeks"),
    (CandidateSeries(date(9999, 12, 28), time(14), time(16), weeks=12), "first_day"),  # no overflow, a message
])
def test_candidate_dates_in_the_past_or_overlapping_are_refused_and_nothing_is_written(db_session, series, field):
    coordinator, meeting = _draft()
    meetings.add_candidates(coordinator, meeting, CandidateSeries(date(2027, 2, 2), time(14), time(16)), NOW)

    with pytest.raises(DomainError) as caught:
        meetings.add_candidates(coordinator, meeting, series, NOW)

    assert caught.value.field == field
    assert db_session.scalar(select(func.count(CandidateDate.id))) == 1


def test_the_poll_deadline_must_lie_before_the_first_candidate(db_session):
    coordinator, meeting = _draft(poll_deadline=datetime(2027, 2, 1, 12))
    with pytest.raises(DomainError) as caught:
        meetings.add_candidates(coordinator, meeting, CandidateSeries(date(2027, 1, 28), time(14), time(16)), NOW)
    assert caught.value.field == "first_day"
    meetings.add_candidates(coordinator, meeting, CandidateSeries(date(2027, 2, 2), time(14), time(16)), NOW)
    with pytest.raises(DomainError) as caught:
        meetings.update_meeting(coordinator, meeting, MeetingSettings(title="Treffen", poll_deadline=datetime(2027, 2, 2, 15)),
                                NOW, BASE_URL)
    assert caught.value.field == "poll_deadline"


def test_candidates_warn_of_public_holidays_in_the_alliances_federal_state_and_of_the_agencys_events(db_session):
    coordinator, meeting = _draft()
    agency = agency_of(coordinator)
    venue = Venue(agency_id=agency.id, name="Kreishaus")
    db_session.add(venue)
    meeting.venue = venue
    programme = make_programme(agency)
    make_career_day(programme, name="BO-Tag Nord", day=date(2027, 6, 7))
    make_employer_event(programme=programme, title="Infoabend", starts_at=datetime(2027, 6, 14, 18, 0))
    other = make_alliance_meeting(make_alliance(agency), candidates=[datetime(2027, 6, 21, 9)], chosen=0, title="Anderes Treffen",
                                  venue=venue)
    make_career_day(make_programme(), name="Fremder BO-Tag", day=date(2027, 6, 28))  # another agency's, elsewhere
    added = meetings.add_candidates(coordinator, meeting, CandidateSeries(date(2027, 5, 17), time(14), time(16), weeks=7), NOW)  # Mondays

    checks = meetings.check_candidates(meeting)

    assert checks[added[0].id].holiday == "Pfingstmontag" and not checks[added[0].id].clash
    assert [w.params["name"] for w in checks[added[3].id].clashes] == ["BO-Tag Nord"]
    assert [w.params["name"] for w in checks[added[4].id].clashes] == ["Infoabend"]
    assert [w.message for w in checks[added[5].id].clashes] == ["Same day as the meeting “%(name)s”.",
                                                                "“%(name)s” takes place at the same venue."]
    assert not checks[added[6].id].clash  # another agency's career day elsewhere is no clash
    assert other.chosen_candidate_id not in checks
    assert meetings.public_holidays("BY", [2027]).get(date(2027, 11, 1)) == "Allerheiligen"
    assert meetings.public_holidays("NI", [2027]).get(date(2027, 11, 1)) is None


# --- the poll and the date ----------------------------------------------------------------------------

def test_sending_the_poll_mails_every_delegate_a_personal_link(db_session):
    world = meeting_world(NOW)

    mails = _mails(db_session, "meeting_poll")

    assert meetings.state_of(world.meeting, NOW) is MeetingState.polling
    assert sorted(mail.recipient for mail in mails) == sorted(
        d.email for d in (world.chamber, world.jobcenter, world.company, world.colleague))
    assert {mail.agency_id for mail in mails} == {world.meeting.alliance.coordinating_agency_id}
    assert all(f"{BASE_URL}/delegate/" in mail.body for mail in mails)
    assert len({mail.body for mail in mails}) == 4  # every link is personal
    assert "Terminumfrage: Bündnistreffen Frühjahr" == mails[0].subject
    with pytest.raises(DomainError):
        meetings.send_poll(world.coordinator, world.meeting, NOW, BASE_URL)


def test_a_poll_without_candidates_deadline_or_delegates_is_not_sent(db_session):
    coordinator, meeting = _draft()
    with pytest.raises(DomainError, match="candidate"):
        meetings.send_poll(coordinator, meeting, NOW, BASE_URL)
    meetings.add_candidates(coordinator, meeting, CandidateSeries(date(2027, 2, 2), time(14), time(16)), NOW)
    with pytest.raises(DomainError, match="deadline"):
        meetings.send_poll(coordinator, meeting, NOW, BASE_URL)
    meetings.update_meeting(coordinator, meeting, MeetingSettings(title="Treffen", poll_deadline=datetime(2027, 1, 25, 12)),
                            NOW, BASE_URL)
    with pytest.raises(DomainError, match="delegates"):
        meetings.send_poll(coordinator, meeting, NOW, BASE_URL)
    assert meeting.poll_sent_at is None and _mails(db_session) == []


def test_the_ranking_shows_each_dates_figures_and_the_required_members_blocking_it(db_session):
    world = meeting_world(NOW)
    vote(world.meeting, world.chamber, YES, NO, YES)
    vote(world.meeting, world.jobcenter, MAYBE, YES, YES)
    vote(world.meeting, world.company, NO, YES, YES)

    ranking = meetings.ranking(world.meeting)

    first, second, third = world.meeting.candidates
    assert [d.candidate for d in ranking.dates] == [third.id, first.id, second.id]
    assert ranking.chosen.candidate == third.id and (ranking.chosen.available, ranking.chosen.yes) == (3, 3)
    assert ranking.dates[-1].blocking == (world.chamber.member.organisation.name,)


def test_fixing_the_date_invites_every_delegate_with_a_calendar_entry(db_session):
    world = meeting_world(NOW)
    chosen = world.meeting.candidates[1]

    sent = meetings.fix_date(world.coordinator, world.meeting, chosen, NOW, BASE_URL)

    assert sent == 4 and meetings.state_of(world.meeting, NOW) is MeetingState.date_fixed
    assert world.meeting.chosen_candidate == chosen
    assert sorted(i.name for i in world.meeting.invitations) == ["Carla Firma", "Ines Kammer", "Jonas Center", "Kai Kollege"]
    mail = _mails(db_session, "meeting_invitation")[0]
    assert mail.subject == "Einladung: Bündnistreffen Frühjahr am 16.02.2027, 14:00"
    assert "Wann: Dienstag, 16.02.2027, 14:00–16:00" in mail.body
    assert "Sitzungssaal" in mail.body and "Fachkräftemonitor" in mail.body and f"{BASE_URL}/delegate/" in mail.body
    event = Calendar.from_ical(mail.attachments[0]["text"]).walk("VEVENT")[0]
    assert str(event["UID"]) == f"alliance-meeting-{world.meeting.id}@localhost"
    assert event["SEQUENCE"] == 0 and event["DTSTART"].dt.replace(tzinfo=None) == chosen.starts_at
    assert mail.attachments[0]["filename"].endswith(".ics")


def test_choosing_another_date_later_raises_the_sequence_and_asks_everyone_again(db_session):
    world = meeting_world(NOW)
    meetings.fix_date(world.coordinator, world.meeting, world.meeting.candidates[0], NOW, BASE_URL)
    invitation = world.meeting.invitations[0]
    invitation.reply, invitation.attendees = InvitationReply.accepted, 2

    meetings.fix_date(world.coordinator, world.meeting, world.meeting.candidates[2], NOW, BASE_URL)

    assert world.meeting.sequence == 1 and invitation.reply is InvitationReply.pending
    changed = _mails(db_session, "meeting_invitation")[-1]
    assert changed.subject.startswith("Geändert:")
    assert Calendar.from_ical(changed.attachments[0]["text"]).walk("VEVENT")[0]["SEQUENCE"] == 1
    assert meetings.fix_date(world.coordinator, world.meeting, world.meeting.candidates[2], NOW, BASE_URL) == 0


def test_a_new_place_after_the_date_is_fixed_is_sent_as_a_calendar_update(db_session):
    world = meeting_world(NOW)
    meetings.fix_date(world.coordinator, world.meeting, world.meeting.candidates[0], NOW, BASE_URL)
    world.meeting.invitations[0].reply = InvitationReply.declined
    before = len(_mails(db_session))

    sent = meetings.update_meeting(world.coordinator, world.meeting, MeetingSettings(
        title="Bündnistreffen Frühjahr", room="Raum 2", online_url=None), NOW, BASE_URL)

    assert sent == 3 and world.meeting.sequence == 1 and len(_mails(db_session)) == before + 3
    assert meetings.update_meeting(world.coordinator, world.meeting, MeetingSettings(
        title="Neuer Titel", room="Raum 2"), NOW, BASE_URL) == 0  # a title is no reason to write to everyone


def test_a_date_is_fixed_once_even_if_the_coordinator_and_the_job_act_at_the_same_time(db_session):
    world = meeting_world(NOW)
    stale = world.meeting.candidates[0]
    from sqlalchemy import update

    from scheduler_app.models import AllianceMeeting
    db_session.execute(update(AllianceMeeting).where(AllianceMeeting.id == world.meeting.id)
                       .values(chosen_candidate_id=world.meeting.candidates[1].id)
                       .execution_options(synchronize_session=False))  # the other process was first

    with pytest.raises(DomainError, match="just been fixed"):
        meetings.fix_date(world.coordinator, world.meeting, stale, NOW, BASE_URL)


def test_the_job_fixes_the_rules_date_at_the_deadline_once(db_session):
    world = meeting_world(NOW)
    world.meeting.auto_decide = True
    vote(world.meeting, world.chamber, NO, YES, YES)
    vote(world.meeting, world.jobcenter, YES, YES, MAYBE)
    after_deadline = datetime(2027, 1, 26, 11, 30)  # UTC: 12:30 in Berlin, the deadline was 12:00

    assert meetings.decide_due_polls(datetime(2027, 1, 26, 10, 30), BASE_URL) == 0  # 11:30 in Berlin: not yet
    assert meetings.decide_due_polls(after_deadline, BASE_URL) == 1
    assert world.meeting.chosen_candidate == world.meeting.candidates[1]
    assert meetings.decide_due_polls(after_deadline, BASE_URL) == 0
    assert len(world.meeting.invitations) == 4


def test_when_the_rule_finds_no_date_the_job_leaves_the_choice_to_the_coordinator(db_session):
    world = meeting_world(NOW)
    world.meeting.auto_decide = True
    vote(world.meeting, world.chamber, NO, NO, NO)

    assert meetings.decide_due_polls(datetime(2027, 1, 27), BASE_URL) == 0

    assert world.meeting.chosen_candidate is None and not world.meeting.auto_decide
    assert db_session.scalar(select(AuditEntry.action).where(AuditEntry.action == "meeting.auto_decide_failed"))


def test_a_delegate_added_late_receives_the_open_poll_or_the_invitation(db_session):
    world = meeting_world(NOW)
    member = world.company.member
    alliances.add_delegate(world.coordinator, member, "Neu Eins", "neu1@example.org", None, NOW, BASE_URL)
    assert _mails(db_session, "meeting_poll")[-1].recipient == "neu1@example.org"

    meetings.fix_date(world.coordinator, world.meeting, world.meeting.candidates[0], NOW, BASE_URL)
    alliances.add_delegate(world.coordinator, member, "Neu Zwei", "neu2@example.org", None, NOW, BASE_URL)

    assert _mails(db_session, "meeting_invitation")[-1].recipient == "neu2@example.org"
    assert "neu2@example.org" in {i.email for i in world.meeting.invitations}


# --- replies, attendance, minutes ---------------------------------------------------------------------

def test_reminders_go_only_to_those_who_have_not_replied(db_session):
    world = meeting_world(NOW)
    meetings.fix_date(world.coordinator, world.meeting, world.meeting.candidates[0], NOW, BASE_URL)
    for invitation in world.meeting.invitations[:3]:
        invitation.reply = InvitationReply.accepted

    assert meetings.remind(world.coordinator, world.meeting, NOW, BASE_URL) == 1

    reminder = _mails(db_session, "meeting_reminder")[0]
    assert reminder.recipient == world.meeting.invitations[3].email and reminder.subject.startswith("Erinnerung:")
    world.meeting.invitations[3].reply = InvitationReply.declined
    with pytest.raises(DomainError, match="nobody to remind"):
        meetings.remind(world.coordinator, world.meeting, NOW, BASE_URL)


def _held(db_session):
    world = meeting_world(NOW)
    meetings.fix_date(world.coordinator, world.meeting, world.meeting.candidates[0], NOW, BASE_URL)
    return world, datetime(2027, 2, 10, 9, 0)  # the day after the meeting


def test_attendance_is_recorded_once_the_meeting_has_begun(db_session):
    world, after = _held(db_session)
    people = meetings.attendance_candidates(world.meeting)
    with pytest.raises(DomainError):
        meetings.record_attendance(world.coordinator, world.meeting, {people[0].id}, NOW)

    assert meetings.record_attendance(world.coordinator, world.meeting, {people[0].id, people[1].id}, after) == 2

    assert [p.attended for p in people] == [True, True, False, False]
    assert meetings.state_of(world.meeting, after) is MeetingState.held
    with pytest.raises(DomainError):
        meetings.record_attendance(world.coordinator, world.meeting, {999}, after)


PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\nxref\n0 1\ntrailer\n<< /Root 1 0 R >>\nstartxref\n9\n%%EOF\n"


@pytest.mark.parametrize("data", [b"", b"Protokoll als Text", b"%PDF-1.7\nbut truncated", b"PK\x03\x04 not a pdf %%EOF startxref",
                                  b"<html>%PDF-1.7 startxref %%EOF"])
def test_a_minutes_file_that_is_not_a_pdf_is_refused(db_session, data):
    world, after = _held(db_session)
    with pytest.raises(DomainError) as caught:
        meetings.add_minutes(world.coordinator, world.meeting, after, BASE_URL, text=None, pdf=data, filename="protokoll.pdf")
    assert caught.value.field == "pdf" and world.meeting.minutes_added_at is None


def test_a_minutes_pdf_larger_than_10_mb_is_refused(db_session):
    world, after = _held(db_session)
    big = PDF[:-6] + b" " * (10 * 1024 * 1024) + b"%%EOF\n"
    with pytest.raises(DomainError, match="larger than"):
        meetings.add_minutes(world.coordinator, world.meeting, after, BASE_URL, text=None, pdf=big, filename="p.pdf")


def test_minutes_are_stored_and_every_delegate_learns_of_them_once(db_session):
    world, after = _held(db_session)
    with pytest.raises(DomainError):
        meetings.add_minutes(world.coordinator, world.meeting, NOW, BASE_URL, text="zu früh")

    assert meetings.add_minutes(world.coordinator, world.meeting, after, BASE_URL, text="TOP 1 …", pdf=PDF,
                                filename="C:\\Protokolle\\Treffen <1>.pdf") == 4
    assert meetings.add_minutes(world.coordinator, world.meeting, after, BASE_URL, text="TOP 1 (korrigiert)") == 0

    assert world.meeting.minutes_pdf == PDF and world.meeting.minutes_filename == "Treffen _1_.pdf"
    assert world.meeting.minutes_text == "TOP 1 (korrigiert)"
    assert len(_mails(db_session, "meeting_minutes")) == 4


# --- the next meeting ---------------------------------------------------------------------------------

def test_suggested_dates_are_six_months_later_on_the_same_weekday_avoiding_holidays():
    holidays = {date(2027, 9, 7)}
    dates = meetings.suggest_dates(datetime(2027, 3, 2, 14), lambda day: day in holidays, earliest=datetime(2027, 3, 3))
    assert dates == [datetime(2027, 8, 24, 14), datetime(2027, 8, 31, 14), datetime(2027, 9, 14, 14)]
    assert all(d.weekday() == 1 for d in dates)
    later = meetings.suggest_dates(datetime(2026, 1, 6, 14), lambda day: False, earliest=datetime(2027, 3, 3))
    assert later[0] >= datetime(2027, 3, 3) and later[0].weekday() == 1


def test_planning_the_next_meeting_copies_place_agenda_and_members_with_dates_half_a_year_later(db_session):
    world, after = _held(db_session)
    world.meeting.online_url = "https://meet.example/b"

    following = meetings.plan_next(world.coordinator, world.meeting, after)

    assert meetings.state_of(following, after) is MeetingState.draft
    assert (following.alliance, following.room, following.online_url, following.agenda) == (
        world.alliance, "Sitzungssaal", "https://meet.example/b", world.meeting.agenda)
    starts = [c.starts_at for c in following.candidates]
    assert starts == [datetime(2027, 8, 3, 14), datetime(2027, 8, 10, 14), datetime(2027, 8, 17, 14)]
    assert all(c.ends_at - c.starts_at == timedelta(hours=2) for c in following.candidates)
    assert following.poll_deadline == datetime(2027, 7, 20, 12, 0)
    with pytest.raises(DomainError):
        meetings.plan_next(world.coordinator, make_alliance_meeting(world.alliance, candidates=[FIRST]), after)


def test_meetings_are_listed_coming_and_past(db_session):
    world, after = _held(db_session)
    following = meetings.plan_next(world.coordinator, world.meeting, after)
    assert meetings.meetings_by_time(world.alliance, after) == ([following], [world.meeting])
    assert meetings.all_meetings() == [world.meeting, following]
    assert db_session.scalar(select(func.count(MeetingInvitation.id))) == 4
    assert make_organisation(OrganisationKind.training_provider).kind.value == "training_provider"
