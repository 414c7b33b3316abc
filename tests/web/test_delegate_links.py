"""Delegates' pages behind their personal links: no account, phone first. Unknown, withdrawn or
foreign links answer 404; the poll keeps what was chosen when something is missing; answers after
the deadline are refused; a substitute gets an own link and accepts; the minutes are reached."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from scheduler_app.domain import alliances, meetings
from scheduler_app.domain.delegate_links import open_link
from scheduler_app.extensions import db
from scheduler_app.models import AllianceMeeting, InvitationReply, MeetingInvitation, OutgoingMail, PollVote
from scheduler_app.models_base import utc_now
from tests import factories
from tests.meeting_data import BASE_URL, meeting_world
from tests.web.test_accessibility import audit


def _world(app, fixed: bool = False):
    """The world's meeting (fixed on its first date if asked) and personal links of three delegates."""
    with app.app_context():
        world = meeting_world()
        if fixed:
            meetings.fix_date(world.coordinator, world.meeting, world.meeting.candidates[0], utc_now(), BASE_URL)
        tokens = {name: factories.make_link(getattr(world, name)) for name in ("chamber", "company", "colleague", "jobcenter")}
        db.session.commit()
        return world.meeting.id, [c.id for c in world.meeting.candidates], tokens


def test_unknown_malformed_and_withdrawn_links_answer_404(app, client):
    meeting_id, _candidates, tokens = _world(app)
    for token in ("unbekannt", "x" * 200, tokens["chamber"][:-1]):
        assert client.get(f"/delegate/{token}").status_code == 404
        assert client.get(f"/delegate/{token}/meetings/{meeting_id}").status_code == 404
    page = client.get(f"/delegate/{tokens['chamber']}")
    assert page.status_code == 200 and "Willkommen, Ines Kammer." in page.text


def test_a_withdrawn_link_answers_404(app, client):
    _meeting_id, _candidates, tokens = _world(app)
    with app.app_context():
        delegate = open_link(tokens["chamber"]).delegate
        alliances.withdraw_links(delegate.member.alliance.coordinating_agency.memberships[0].user, delegate, utc_now())
        db.session.commit()
    assert client.get(f"/delegate/{tokens['chamber']}").status_code == 404
    assert client.get(f"/delegate/{tokens['company']}").status_code == 200


def test_a_link_opens_only_its_own_alliances_meetings(app, client):
    _meeting_id, _candidates, tokens = _world(app)
    other_meeting, _other_candidates, _other_tokens = _world(app)
    assert client.get(f"/delegate/{tokens['chamber']}/meetings/{other_meeting}").status_code == 404
    assert client.post(f"/delegate/{tokens['chamber']}/meetings/{other_meeting}/poll", data={}).status_code == 404


def test_a_delegate_answers_the_poll_on_a_phone_page_and_a_colleague_sees_the_answer(app, client):
    meeting_id, candidates, tokens = _world(app)
    url = f"/delegate/{tokens['company']}/meetings/{meeting_id}"

    page = client.get(url)
    assert page.status_code == 200 and "Welche Termine passen Stadtwerke" in page.text
    assert audit(page.text).report() == []
    answered = client.post(f"{url}/poll", data={f"answer_{candidates[0]}": "yes", f"answer_{candidates[1]}": "if_need_be",
                                                f"answer_{candidates[2]}": "no", "comment_text": "Lieber nachmittags"})

    assert answered.status_code == 302
    assert "Vielen Dank: Ihre Antwort für Stadtwerke" in client.get(url).text
    colleague = client.get(f"/delegate/{tokens['colleague']}/meetings/{meeting_id}").text
    assert "Zuletzt geantwortet hat Carla Firma" in colleague and "Lieber nachmittags</textarea>" in colleague
    assert f'<input checked id="answer_{candidates[1]}-1"' in colleague and f'<input checked id="answer_{candidates[0]}-0"' in colleague


def test_a_poll_answer_missing_a_date_is_shown_at_that_date_with_the_other_choices_kept(app, client):
    meeting_id, candidates, tokens = _world(app)
    url = f"/delegate/{tokens['chamber']}/meetings/{meeting_id}/poll"

    response = client.post(url, data={f"answer_{candidates[0]}": "yes", f"answer_{candidates[2]}": "no"})

    assert response.status_code == 422
    assert response.text.count("Bitte wählen Sie „Ja“, „Wenn nötig“ oder „Nein“.") == 1
    assert f'<input checked id="answer_{candidates[0]}-0"' in response.text  # "yes" for the first date, kept
    with app.app_context():
        assert db.session.scalar(select(func.count(PollVote.id))) == 0


def test_answers_after_the_deadline_are_refused(app, client):
    meeting_id, candidates, tokens = _world(app)
    with app.app_context():
        meeting = db.session.get(AllianceMeeting, meeting_id)
        meeting.poll_deadline = datetime.now() - timedelta(hours=3)  # passed (wall clock, a little more than any UTC offset)
        db.session.commit()
    url = f"/delegate/{tokens['chamber']}/meetings/{meeting_id}"

    page = client.get(url)
    response = client.post(f"{url}/poll", data={f"answer_{c}": "yes" for c in candidates})

    assert "Die Umfrage ist beendet." in page.text and "Antwort speichern" not in page.text
    assert response.status_code == 422 and "Antworten können nicht mehr geändert werden" in response.text
    with app.app_context():
        assert db.session.scalar(select(func.count(PollVote.id))) == 0


def test_the_tally_shows_names_only_when_the_coordinator_chose_so(app, client):
    meeting_id, candidates, tokens = _world(app)
    client.post(f"/delegate/{tokens['company']}/meetings/{meeting_id}/poll", data={f"answer_{c}": "yes" for c in candidates})
    url = f"/delegate/{tokens['chamber']}/meetings/{meeting_id}"
    hidden = client.get(url).text
    with app.app_context():
        db.session.get(AllianceMeeting, meeting_id).poll_shows_names = True
        db.session.commit()
    shown = client.get(url).text

    assert "Ja: 1" in hidden and "Stadtwerke" not in hidden.split("Bisherige Antworten")[1]
    assert "Stadtwerke" in shown.split("Bisherige Antworten")[1]


def test_a_delegate_accepts_with_the_number_of_people_or_declines(app, client):
    meeting_id, _candidates, tokens = _world(app, fixed=True)
    url = f"/delegate/{tokens['chamber']}/meetings/{meeting_id}"

    wrong = client.post(f"{url}/reply", data={"decision": "accept", "attendees": "0"})
    accepted = client.post(f"{url}/reply", data={"decision": "accept", "attendees": "2"})

    assert wrong.status_code == 422 and "Bitte geben Sie eine Zahl von 1 bis 20 ein." in wrong.text
    assert accepted.status_code == 302 and "Sie haben für 2 Personen zugesagt." in client.get(url).text
    assert client.post(f"{url}/reply", data={"decision": "decline"}).status_code == 302
    assert "Sie haben abgesagt." in client.get(url).text
    assert client.post(f"{url}/reply", data={}).status_code == 400


def test_a_substitute_with_an_invalid_address_is_refused_and_a_valid_one_gets_an_own_link(app, client):
    meeting_id, _candidates, tokens = _world(app, fixed=True)
    url = f"/delegate/{tokens['jobcenter']}/meetings/{meeting_id}"

    invalid = client.post(f"{url}/substitute", data={"name": "Sina Stellvertreterin", "email": "sina(at)jobcenter"})
    assert invalid.status_code == 422 and "ist keine gültige E-Mail-Adresse" in invalid.text
    assert 'value="Sina Stellvertreterin"' in invalid.text and "<details open" in invalid.text
    sent = client.post(f"{url}/substitute", data={"name": "Sina Stellvertreterin", "email": "sina@jobcenter.example"})

    assert sent.status_code == 302 and "Sie haben Sina Stellvertreterin als Vertretung geschickt." in client.get(url).text
    with app.app_context():
        mail = db.session.scalars(select(OutgoingMail).where(OutgoingMail.recipient == "sina@jobcenter.example")).one()
    substitute_url = mail.body.split(BASE_URL)[1].split()[0]
    assert client.get(substitute_url).status_code == 200
    meeting_page = client.get(f"{substitute_url}/meetings/{meeting_id}").text
    assert "Jonas Center bittet Sie, für Jobcenter" in meeting_page
    assert "Einladung an meine Vertretung schicken" not in meeting_page  # a substitute cannot pass it on
    assert client.post(f"{substitute_url}/meetings/{meeting_id}/reply", data={"decision": "accept", "attendees": "1"}).status_code == 302
    with app.app_context():
        substitute = db.session.scalar(select(MeetingInvitation).where(MeetingInvitation.email == "sina@jobcenter.example"))
        assert substitute.reply is InvitationReply.accepted and substitute.substitute_for.name == "Jonas Center"


def test_members_read_the_minutes_through_their_links(app, client):
    with app.app_context():
        coordinator = factories.make_coordinator()
        alliance = factories.make_alliance(factories.agency_of(coordinator))
        member = factories.make_member(alliance)
        held = factories.make_alliance_meeting(alliance, candidates=[datetime(2026, 3, 3, 14)], chosen=0,
                                               minutes_text="TOP 1: Begrüßung\nTOP 2: Fachkräftemonitor",
                                               minutes_pdf=b"%PDF-1.4 minutes", minutes_filename="p.pdf",
                                               minutes_added_at=datetime(2026, 3, 5))
        token = factories.make_link(member.delegates[0])
        db.session.commit()
        meeting_id = held.id

    page = client.get(f"/delegate/{token}/meetings/{meeting_id}")
    pdf = client.get(f"/delegate/{token}/meetings/{meeting_id}/minutes.pdf")

    assert "TOP 2: Fachkräftemonitor" in page.text and "Protokoll herunterladen (PDF)" in page.text
    assert audit(page.text).report() == []
    assert pdf.status_code == 200 and pdf.data == b"%PDF-1.4 minutes"
    assert "Protokoll liegt vor" in client.get(f"/delegate/{token}").text
