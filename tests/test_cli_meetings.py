"""``flask meetings list|decide`` (their ``--json`` shapes are a contract read outside this repository)
and the job sweep that applies the rule at a poll's deadline."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import func, select

from scheduler_app import jobs
from scheduler_app.domain import meetings
from scheduler_app.extensions import db
from scheduler_app.models import AllianceMeeting, MeetingInvitation, PollAnswer
from scheduler_app.models_base import utc_now
from tests import factories
from tests.meeting_data import BASE_URL, meeting_world, vote

YES, MAYBE, NO = PollAnswer.yes, PollAnswer.if_need_be, PollAnswer.no


def _world(app, **answers):
    with app.app_context():
        world = meeting_world()
        for name, given in answers.items():
            vote(world.meeting, getattr(world, name), *given)
        held = factories.make_alliance_meeting(world.alliance, candidates=[datetime(2026, 3, 3, 14)], chosen=0, title="Frühjahr")
        db.session.commit()
        return world.meeting.id, [c.id for c in world.meeting.candidates], held.id


def test_meetings_list_prints_id_alliance_title_state_and_date(app, runner):
    meeting_id, _candidates, held_id = _world(app)

    text = runner.invoke(args=["meetings", "list"])
    as_json = runner.invoke(args=["meetings", "list", "--json"])

    assert text.exit_code == as_json.exit_code == 0, text.output
    lines = text.output.splitlines()
    assert lines[0].split()[0] == str(held_id) and "held" in lines[0] and "2026-03-03T14:00:00" in lines[0]
    assert lines[1].split()[0] == str(meeting_id) and "polling" in lines[1] and lines[1].endswith("-")
    rows = json.loads(as_json.output)
    assert [set(row) for row in rows] == [{"id", "alliance", "title", "state", "date"}] * 2
    assert rows[0] == {"id": held_id, "alliance": rows[0]["alliance"], "title": "Frühjahr", "state": "held",
                       "date": "2026-03-03T14:00:00"}
    assert (rows[1]["id"], rows[1]["state"], rows[1]["date"]) == (meeting_id, "polling", None)
    assert rows[1]["alliance"].startswith("Fachkräftebündnis")


def test_meetings_list_says_date_fixed_once_the_date_is_fixed(app, runner):
    meeting_id, candidates, _held_id = _world(app)
    with app.app_context():
        meeting = db.session.get(AllianceMeeting, meeting_id)
        meetings.fix_date(None, meeting, meeting.candidates[2], utc_now(), BASE_URL)
        db.session.commit()
        starts = meeting.candidates[2].starts_at

    rows = json.loads(runner.invoke(args=["meetings", "list", "--json"]).output)

    assert {"id": meeting_id, "state": "date_fixed", "date": starts.isoformat()}.items() <= rows[1].items()


def test_meetings_decide_prints_the_ranking_with_each_dates_figures_and_the_chosen_one(app, runner):
    meeting_id, candidates, _held_id = _world(app, chamber=(YES, NO, YES), jobcenter=(MAYBE, YES, YES), company=(NO, YES, YES))

    text = runner.invoke(args=["meetings", "decide", str(meeting_id)])
    as_json = runner.invoke(args=["meetings", "decide", str(meeting_id), "--json"])

    assert text.exit_code == as_json.exit_code == 0, text.output
    assert f"chosen: candidate {candidates[2]}" in text.output and "Only dates on which every required member" in text.output
    result = json.loads(as_json.output)
    assert result["chosen"] == candidates[2]
    assert [entry["candidate"] for entry in result["ranking"]] == [candidates[2], candidates[0], candidates[1]]
    first, _second, last = result["ranking"]
    assert set(first) == {"candidate", "starts_at", "all_required", "available", "yes", "if_need_be", "no", "clash", "blocking"}
    assert (first["all_required"], first["available"], first["yes"], first["if_need_be"], first["no"], first["clash"]) == (
        True, 3, 3, 0, 0, False)
    assert datetime.fromisoformat(first["starts_at"]).hour == 14
    assert len(last["blocking"]) == 1 and last["blocking"][0].startswith("IHK")
    with app.app_context():  # it only reports
        assert db.session.get(AllianceMeeting, meeting_id).chosen_candidate_id is None


def test_meetings_decide_exits_non_zero_when_no_date_can_be_chosen(app, runner):
    meeting_id, _candidates, _held_id = _world(app, chamber=(NO, NO, YES), jobcenter=(YES, YES, NO))

    text = runner.invoke(args=["meetings", "decide", str(meeting_id)])
    as_json = runner.invoke(args=["meetings", "decide", str(meeting_id), "--json"])

    assert text.exit_code == as_json.exit_code == 1
    assert "chosen: none" in text.output
    result = json.loads(as_json.output)
    assert result["chosen"] is None and all(entry["blocking"] for entry in result["ranking"])
    assert runner.invoke(args=["meetings", "decide", "9999"]).exit_code != 0


def test_the_job_sweep_fixes_due_polls_once_and_is_registered(app):
    meeting_id, candidates, _held_id = _world(app, chamber=(YES, YES, NO), jobcenter=(YES, MAYBE, YES))
    with app.app_context():
        meeting = db.session.get(AllianceMeeting, meeting_id)
        meeting.auto_decide = True
        meeting.poll_deadline = datetime.now() - timedelta(hours=3)
        db.session.commit()

    assert jobs.decide_due_polls(app) == 1
    assert jobs.decide_due_polls(app) == 0

    with app.app_context():
        assert db.session.get(AllianceMeeting, meeting_id).chosen_candidate_id == candidates[0]
        assert db.session.scalar(select(func.count(MeetingInvitation.id))) == 4
    assert "decide_due_polls" in {job.name for job in jobs.JOBS}
