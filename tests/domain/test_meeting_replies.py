"""What delegates and substitutes do through their links: one poll answer per organisation, replies
with attendees, substitutes with their own link for one meeting, and what each link opens."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from scheduler_app.domain import meeting_replies, meetings
from scheduler_app.domain.delegate_links import LinkUnknown, open_link
from scheduler_app.domain.errors import DomainError
from scheduler_app.models import InvitationReply, MeetingInvitation, OutgoingMail, PollAnswer, PollVote
from tests.factories import make_alliance_meeting, make_link
from tests.meeting_data import BASE_URL, meeting_world

NOW = datetime(2027, 1, 10, 9, 0)
YES, MAYBE, NO = PollAnswer.yes, PollAnswer.if_need_be, PollAnswer.no


def _access(delegate):
    return open_link(make_link(delegate))


def _answers(meeting, *answers):
    return {candidate.id: answer for candidate, answer in zip(meeting.candidates, answers)}


def test_a_delegates_answer_is_the_organisations_and_a_colleague_may_change_it(db_session):
    world = meeting_world(NOW)
    meeting = world.meeting

    meeting_replies.answer_poll(_access(world.company), meeting, _answers(meeting, YES, NO, MAYBE), "Nachmittags besser", NOW)
    meeting_replies.answer_poll(_access(world.colleague), meeting, _answers(meeting, NO, YES, YES), None, NOW)

    page = meeting_replies.poll_page(_access(world.company), meeting, NOW)
    first, second, third = meeting.candidates
    assert page.answers == {first.id: "no", second.id: "yes", third.id: "yes"}
    assert page.response.answered_by == "Kai Kollege" and page.response.comment is None and page.answered == 1
    assert db_session.scalar(select(func.count(PollVote.id))) == 3


def test_the_tally_shows_counts_and_names_only_when_the_coordinator_shows_names(db_session):
    world = meeting_world(NOW)
    meeting = world.meeting
    meeting_replies.answer_poll(_access(world.chamber), meeting, _answers(meeting, YES, YES, NO), None, NOW)
    meeting_replies.answer_poll(_access(world.company), meeting, _answers(meeting, YES, MAYBE, NO), None, NOW)

    hidden = meeting_replies.poll_page(_access(world.jobcenter), meeting, NOW)
    meeting.poll_shows_names = True
    shown = meeting_replies.poll_page(_access(world.jobcenter), meeting, NOW)

    assert [tally.counts for tally in hidden.tallies] == [{"yes": 2, "if_need_be": 0, "no": 0},
                                                          {"yes": 1, "if_need_be": 1, "no": 0},
                                                          {"yes": 0, "if_need_be": 0, "no": 2}]
    assert hidden.tallies[0].names["yes"] == [] and hidden.answers == {}
    assert shown.tallies[0].names["yes"] == sorted([world.chamber.member.organisation.name,
                                                    world.company.member.organisation.name], key=str.casefold)


@pytest.mark.parametrize("answers, comment", [((YES, YES), None), ((YES, YES, YES), "x" * 1001)])
def test_an_incomplete_answer_or_an_overlong_comment_is_refused_and_nothing_is_written(db_session, answers, comment):
    world = meeting_world(NOW)
    with pytest.raises(DomainError):
        meeting_replies.answer_poll(_access(world.chamber), world.meeting, _answers(world.meeting, *answers), comment, NOW)
    assert db_session.scalar(select(func.count(PollVote.id))) == 0


def test_answers_after_the_deadline_are_refused(db_session):
    world = meeting_world(NOW)
    after_deadline = datetime(2027, 1, 26, 12, 0)
    with pytest.raises(DomainError, match="closed"):
        meeting_replies.answer_poll(_access(world.chamber), world.meeting, _answers(world.meeting, YES, YES, YES), None,
                                    after_deadline)
    assert not meeting_replies.poll_page(_access(world.chamber), world.meeting, after_deadline).open


def test_a_link_opens_only_its_own_alliances_meetings(db_session):
    world = meeting_world(NOW)
    other = meeting_world(NOW)
    draft = make_alliance_meeting(world.alliance, poll_sent=False)
    access = _access(world.chamber)

    assert meeting_replies.meetings_for(access) == [world.meeting]
    for meeting_id in (other.meeting.id, draft.id, 9999):
        with pytest.raises(LinkUnknown):
            meeting_replies.meeting_for(access, meeting_id)


def _fixed(db_session):
    world = meeting_world(NOW)
    meetings.fix_date(world.coordinator, world.meeting, world.meeting.candidates[0], NOW, BASE_URL)
    return world


def test_accepting_with_the_number_of_attendees_and_declining(db_session):
    world = _fixed(db_session)
    invitation = meeting_replies.reply(_access(world.chamber), world.meeting, True, 2, NOW)
    assert (invitation.reply, invitation.attendees, invitation.replied_at) == (InvitationReply.accepted, 2, NOW)
    with pytest.raises(DomainError) as caught:
        meeting_replies.reply(_access(world.chamber), world.meeting, True, 0, NOW)
    assert caught.value.field == "attendees" and invitation.attendees == 2

    assert meeting_replies.reply(_access(world.chamber), world.meeting, False, None, NOW).reply is InvitationReply.declined
    group = next(g for g in meetings.replies_by_organisation(world.meeting) if g.required and g.coming == 0 and not g.pending)
    assert group.organisation_name == world.chamber.member.organisation.name


def test_a_substitute_gets_an_own_link_for_this_meeting_only_and_accepts(db_session):
    world = _fixed(db_session)
    later = make_alliance_meeting(world.alliance, candidates=[datetime(2027, 9, 7, 14)])

    substitute = meeting_replies.send_substitute(_access(world.jobcenter), world.meeting, "Sina Stellvertreterin",
                                                 "Sina@Jobcenter.example", NOW, BASE_URL)

    delegate_invitation = substitute.substitute_for
    assert delegate_invitation.reply is InvitationReply.substituted and substitute.email == "sina@jobcenter.example"
    mail = db_session.scalars(select(OutgoingMail).where(OutgoingMail.recipient == "sina@jobcenter.example")).one()
    token = mail.body.split(f"{BASE_URL}/delegate/")[1].split()[0]
    access = open_link(token)
    assert access.invitation == substitute and access.name == "Sina Stellvertreterin"
    assert "Jonas Center" in mail.body and mail.attachments
    assert meeting_replies.meetings_for(access) == [world.meeting]
    with pytest.raises(LinkUnknown):
        meeting_replies.meeting_for(access, later.id)

    assert meeting_replies.reply(access, world.meeting, True, 1, NOW).reply is InvitationReply.accepted
    with pytest.raises(DomainError, match="cannot pass"):
        meeting_replies.send_substitute(access, world.meeting, "Noch Jemand", "noch@example.org", NOW, BASE_URL)
    assert [p.name for p in meetings.attendance_candidates(world.meeting)].count("Jonas Center") == 0


@pytest.mark.parametrize("name, email, field", [("Sina", "keine adresse", "email"), ("", "sina@example.org", "name"),
                                                ("Ich", "DELEGIERTE{n}@example.org", "email")])
def test_a_substitute_with_an_invalid_address_is_refused_and_nothing_is_written(db_session, name, email, field):
    world = _fixed(db_session)
    email = email.replace("{n}", world.chamber.email.removeprefix("delegierte").split("@")[0])
    mails = db_session.scalar(select(func.count(OutgoingMail.id)))
    with pytest.raises(DomainError) as caught:
        meeting_replies.send_substitute(_access(world.chamber), world.meeting, name, email, NOW, BASE_URL)
    assert caught.value.field == field
    assert db_session.scalar(select(func.count(MeetingInvitation.id))) == 4
    assert db_session.scalar(select(func.count(OutgoingMail.id))) == mails


def test_a_delegate_who_replies_after_sending_a_substitute_takes_the_invitation_back(db_session):
    world = _fixed(db_session)
    substitute = meeting_replies.send_substitute(_access(world.jobcenter), world.meeting, "Sina", "sina@example.org", NOW,
                                                 BASE_URL)
    substitute_token = make_link(invitation=substitute)

    meeting_replies.reply(_access(world.jobcenter), world.meeting, True, 1, NOW)

    with pytest.raises(LinkUnknown):
        open_link(substitute_token)
    assert "sina@example.org" not in {i.email for i in world.meeting.invitations}


def test_no_replies_once_the_meeting_has_taken_place(db_session):
    world = _fixed(db_session)
    with pytest.raises(DomainError, match="taken place"):
        meeting_replies.reply(_access(world.chamber), world.meeting, True, 1, datetime(2027, 2, 10))
