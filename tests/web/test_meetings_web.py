"""The coordinator's meeting pages: prepare a meeting, add candidate dates (one or a weekly series;
bad input at the field, nothing written), send the poll, see the rule with each date's figures, fix a
date with one click, remind, print the attendance list, record attendance and minutes (a PDF checked
to be one, at most 10 MB), and plan the next meeting."""
from __future__ import annotations

import io
from datetime import datetime, timedelta

from sqlalchemy import func, select

from scheduler_app.extensions import db
from scheduler_app.models import AllianceMeeting, CandidateDate, InvitationReply, MeetingInvitation, OutgoingMail, PollAnswer
from tests import factories
from tests.meeting_data import meeting_world, next_weekday, vote

COORDINATOR = "koordination@example.org"
YES, MAYBE, NO = PollAnswer.yes, PollAnswer.if_need_be, PollAnswer.no
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\nstartxref\n9\n%%EOF\n"


def _world(app, **answers):
    with app.app_context():
        world = meeting_world(coordinator=factories.make_coordinator(email=COORDINATOR))
        for name, given in answers.items():
            vote(world.meeting, getattr(world, name), *given)
        db.session.commit()
        return world.meeting.id, world.alliance.id, [c.id for c in world.meeting.candidates]


def _mails(app, template):
    with app.app_context():
        return list(db.session.scalars(select(OutgoingMail).where(OutgoingMail.template == template)))


def test_a_meeting_is_prepared_with_a_weekly_series_of_candidate_dates_and_the_poll_is_sent(app, client, auth):
    _meeting_id, alliance_id, _candidates = _world(app)
    auth.login(COORDINATOR)
    first = next_weekday(1, 35)
    deadline = first - timedelta(days=10)

    created = client.post(f"/coordinator/alliances/{alliance_id}/meetings/new", data={
        "title": "Herbsttreffen", "agenda": "Begrüßung\nBerichte", "venue": 0, "room": "Saal 1", "online_url": "",
        "duration_minutes": 120, "poll_deadline": deadline.strftime("%Y-%m-%dT%H:%M")})
    assert created.status_code == 302
    assert "Herbsttreffen</strong></a> – Fachkräftebündnis" in client.get("/coordinator/").text
    assert "in Vorbereitung" in client.get("/coordinator/").text  # on the dashboard until the poll is sent
    meeting_url = created.headers["Location"].split("#")[0]
    added = client.post(f"{meeting_url}/candidates", data={"first_day": first.date().isoformat(), "starts": "14:00",
                                                            "ends": "16:00", "weeks": 6})
    assert added.status_code == 302
    page = client.get(meeting_url).text
    assert "6 Terminvorschläge hinzugefügt." in page and "in Vorbereitung" in page
    sent = client.post(f"{meeting_url}/poll")

    assert sent.status_code == 302
    assert "Die Umfrage wurde an 4 Delegierte verschickt." in client.get(meeting_url).text
    assert len(_mails(app, "meeting_poll")) == 4 + 4  # the world's own poll and this one


def test_candidate_dates_in_the_past_or_overlapping_are_shown_at_the_field_and_nothing_is_written(app, client, auth):
    meeting_id, _alliance_id, _candidates = _world(app)
    auth.login(COORDINATOR)
    url = f"/coordinator/meetings/{meeting_id}/candidates"
    with app.app_context():
        first = db.session.get(AllianceMeeting, meeting_id).candidates[0].starts_at

    past = client.post(url, data={"first_day": "2020-03-03", "starts": "14:00", "ends": "16:00", "weeks": 1})
    overlapping = client.post(url, data={"first_day": first.date().isoformat(), "starts": "15:00", "ends": "17:00", "weeks": 1})
    backwards = client.post(url, data={"first_day": first.date().isoformat(), "starts": "18:00", "ends": "17:00", "weeks": 1})

    assert past.status_code == overlapping.status_code == backwards.status_code == 422
    assert "Terminvorschläge müssen in der Zukunft liegen." in past.text and 'value="2020-03-03"' in past.text
    assert "überschneidet sich mit dem Terminvorschlag" in overlapping.text
    assert "Das Ende muss nach dem Beginn liegen." in backwards.text
    with app.app_context():
        assert db.session.scalar(select(func.count(CandidateDate.id))) == 3


def test_the_rule_is_shown_with_each_dates_figures_and_one_click_fixes_another_date(app, client, auth):
    meeting_id, _alliance_id, candidates = _world(app, chamber=(YES, NO, YES), jobcenter=(MAYBE, YES, YES),
                                                   company=(NO, YES, YES))
    auth.login(COORDINATOR)

    page = client.get(f"/coordinator/meetings/{meeting_id}").text

    assert "In Frage kommen nur Termine, zu denen jedes Pflichtmitglied" in page
    assert "Die Regel wählt" in page and "nein – blockiert von IHK" in page
    rows = page.split('<table class="ranking">')[1].split("</table>")[0].split("<tr")[2:]
    assert "bestätigen" in rows[0] and ">3</td>" in rows[0]  # the third date: 3 available, first in the table
    fixed = client.post(f"/coordinator/meetings/{meeting_id}/date", data={"candidate": candidates[0]})

    assert fixed.status_code == 302
    page = client.get(f"/coordinator/meetings/{meeting_id}").text
    assert "Der Termin steht fest: 4 Einladungen wurden verschickt." in page
    assert "Rückmeldungen je Organisation" in page and "noch keine Rückmeldung" in page
    with app.app_context():
        assert db.session.get(AllianceMeeting, meeting_id).chosen_candidate_id == candidates[0]
    assert len(_mails(app, "meeting_invitation")) == 4


def test_a_date_that_is_not_a_candidate_of_the_meeting_is_refused(app, client, auth):
    meeting_id, _alliance_id, _candidates = _world(app)
    other_id, _other_alliance, other_candidates = _world_of_another_agency(app)
    auth.login(COORDINATOR)

    response = client.post(f"/coordinator/meetings/{meeting_id}/date", data={"candidate": other_candidates[0]})

    assert response.status_code == 302
    assert "Bitte wählen Sie einen der Terminvorschläge." in client.get(f"/coordinator/meetings/{meeting_id}").text
    assert client.get(f"/coordinator/meetings/{other_id}").status_code == 404
    assert client.post(f"/coordinator/candidates/{other_candidates[0]}/remove").status_code == 404


def _world_of_another_agency(app):
    with app.app_context():
        world = meeting_world()
        db.session.commit()
        return world.meeting.id, world.alliance.id, [c.id for c in world.meeting.candidates]


def test_reminders_go_to_those_who_have_not_replied_and_the_attendance_list_prints(app, client, auth):
    meeting_id, _alliance_id, candidates = _world(app)
    auth.login(COORDINATOR)
    client.post(f"/coordinator/meetings/{meeting_id}/date", data={"candidate": candidates[1]})
    with app.app_context():
        invitations = db.session.get(AllianceMeeting, meeting_id).invitations
        invitations[0].reply, invitations[0].attendees = InvitationReply.accepted, 2
        invitations[1].reply = InvitationReply.declined
        db.session.commit()

    reminded = client.post(f"/coordinator/meetings/{meeting_id}/reminders")
    printed = client.get(f"/coordinator/meetings/{meeting_id}/attendance-list")

    assert reminded.status_code == 302 and len(_mails(app, "meeting_reminder")) == 2
    assert printed.status_code == 200 and "Anwesenheitsliste" in printed.text and "Unterschrift" in printed.text
    assert "zugesagt (2 Personen)" in printed.text and "Jonas Center" not in printed.text  # declined


def _held(app):
    """A meeting that took place last month, with two invitations."""
    with app.app_context():
        coordinator = factories.make_coordinator(email=COORDINATOR)
        alliance = factories.make_alliance(factories.agency_of(coordinator))
        member = factories.make_member(alliance, delegates=2)
        meeting = factories.make_alliance_meeting(alliance, candidates=[datetime.now() - timedelta(days=30)], chosen=0)
        for delegate in member.delegates:
            meeting.invitations.append(MeetingInvitation(organisation=member.organisation, delegate=delegate, name=delegate.name,
                                                         email=delegate.email, reply=InvitationReply.accepted))
        db.session.commit()
        return meeting.id, [invitation.id for invitation in meeting.invitations]


def test_after_the_meeting_the_coordinator_records_attendance(app, client, auth):
    meeting_id, invitations = _held(app)
    auth.login(COORDINATOR)

    response = client.post(f"/coordinator/meetings/{meeting_id}/attendance", data={"attended": [invitations[1]]})

    assert response.status_code == 302
    with app.app_context():
        assert [i.attended for i in db.session.get(AllianceMeeting, meeting_id).invitations] == [False, True]
    assert "Anwesenheit gespeichert: 1 Personen waren da." in client.get(f"/coordinator/meetings/{meeting_id}").text


def test_minutes_as_a_pdf_are_stored_and_downloaded(app, client, auth):
    meeting_id, _invitations = _held(app)
    auth.login(COORDINATOR)

    saved = client.post(f"/coordinator/meetings/{meeting_id}/minutes", data={
        "text": "TOP 1: Begrüßung", "pdf": (io.BytesIO(PDF), "Protokoll.pdf")}, content_type="multipart/form-data")

    assert saved.status_code == 302
    assert "2 Delegierte haben einen Link dazu erhalten" in client.get(f"/coordinator/meetings/{meeting_id}").text
    download = client.get(f"/coordinator/meetings/{meeting_id}/minutes.pdf")
    assert download.status_code == 200 and download.data == PDF and download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")


def _upload(filename: str, content: bytes) -> dict:
    """A multipart body built here: the test client would spool a large one to a temporary file it never closes."""
    boundary = "----minutes-boundary"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="text"\r\n\r\n\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="pdf"; filename="{filename}"\r\n'
            f"Content-Type: application/pdf\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def test_a_minutes_file_that_is_not_a_pdf_or_too_large_is_refused_with_a_message_and_nothing_is_written(app, client, auth):
    meeting_id, _invitations = _held(app)
    auth.login(COORDINATOR)
    url = f"/coordinator/meetings/{meeting_id}/minutes"

    renamed = client.post(url, data={"text": "Mein Text", "pdf": (io.BytesIO(b"PK\x03\x04 eine Word-Datei"), "protokoll.pdf")},
                          content_type="multipart/form-data")
    large = client.post(url, **_upload("gross.pdf", PDF + b"0" * (12 * 1024 * 1024)))
    just_over = client.post(url, **_upload("knapp.pdf", PDF + b"0" * (10 * 1024 * 1024)))

    assert renamed.status_code == 422 and "Die Datei ist kein PDF." in renamed.text and "Mein Text</textarea>" in renamed.text
    assert large.status_code == 422 and "Die Datei ist größer als 10 MB." in large.text
    assert just_over.status_code == 422 and "Die Datei ist größer als 10 MB." in just_over.text
    with app.app_context():
        meeting = db.session.get(AllianceMeeting, meeting_id)
        assert meeting.minutes_added_at is None and meeting.minutes_filename is None
    assert not _mails(app, "meeting_minutes")


def test_planning_the_next_meeting_from_a_held_one(app, client, auth):
    meeting_id, _invitations = _held(app)
    auth.login(COORDINATOR)

    response = client.post(f"/coordinator/meetings/{meeting_id}/next")

    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert "Das nächste Treffen ist vorbereitet" in page and "Umfrage verschicken" in page
    with app.app_context():
        following = db.session.scalars(select(AllianceMeeting).order_by(AllianceMeeting.id.desc())).first()
        previous = db.session.get(AllianceMeeting, meeting_id)
        assert len(following.candidates) == 3
        assert all(c.starts_at.weekday() == previous.chosen_candidate.starts_at.weekday() for c in following.candidates)


def test_the_settings_of_a_meeting_are_changed_and_bad_input_is_kept(app, client, auth):
    meeting_id, _alliance_id, _candidates = _world(app)
    auth.login(COORDINATOR)
    url = f"/coordinator/meetings/{meeting_id}/edit"

    form = client.get(url)
    bad = client.post(url, data={"title": "Neuer Titel", "venue": 0, "duration_minutes": 120,
                                 "online_url": "meet.example", "poll_deadline": ""})
    good = client.post(url, data={"title": "Neuer Titel", "venue": -1, "venue_name": "Kreishaus", "duration_minutes": 90,
                                  "online_url": "https://meet.example/b", "poll_deadline": ""})

    assert form.status_code == 200 and 'value="Bündnistreffen Frühjahr"' in form.text
    assert bad.status_code == 422 and 'value="meet.example"' in bad.text and "https://" in bad.text
    assert good.status_code == 302
    with app.app_context():
        meeting = db.session.get(AllianceMeeting, meeting_id)
        assert (meeting.title, meeting.venue.name, meeting.duration_minutes) == ("Neuer Titel", "Kreishaus", 90)


def test_a_candidate_without_an_end_lasts_the_meetings_duration(app, client, auth):
    meeting_id, _alliance_id, _candidates = _world(app)
    auth.login(COORDINATOR)
    day = next_weekday(3, 40)

    response = client.post(f"/coordinator/meetings/{meeting_id}/candidates", data={
        "first_day": day.date().isoformat(), "starts": "10:00", "ends": "", "weeks": 1})

    assert response.status_code == 302
    with app.app_context():
        added = db.session.scalar(select(CandidateDate).where(CandidateDate.starts_at == day.replace(hour=10)))
        assert added.ends_at - added.starts_at == timedelta(minutes=120)
