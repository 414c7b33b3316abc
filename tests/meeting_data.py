"""A small alliance with a meeting under way, shared by the domain, web and command-line tests of
alliance meetings. Times are relative to the real clock (pages and commands read it), so candidate
dates always lie ahead."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from scheduler_app.domain import meetings
from scheduler_app.domain.dashboards import wall_clock
from scheduler_app.extensions import db
from scheduler_app.models import (
    Alliance,
    AllianceDelegate,
    AllianceMeeting,
    OrganisationKind,
    PollAnswer,
    PollResponse,
    PollVote,
    User,
)
from scheduler_app.models_base import utc_now
from tests.factories import agency_of, make_alliance, make_coordinator, make_delegate, make_member, make_organisation

BASE_URL = "http://localhost"


def next_weekday(weekday: int, days_ahead: int, now: datetime | None = None) -> datetime:
    """14:00 on the first ``weekday`` (0 = Monday) at least ``days_ahead`` days after today (Berlin)."""
    day = wall_clock(now or utc_now()).date() + timedelta(days=days_ahead)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return datetime.combine(day, time(14, 0))


@dataclass
class MeetingWorld:
    coordinator: User
    alliance: Alliance
    meeting: AllianceMeeting
    chamber: AllianceDelegate  # delegate of the required chamber (IHK)
    jobcenter: AllianceDelegate  # delegate of the required job centre
    company: AllianceDelegate  # one of two delegates of a company
    colleague: AllianceDelegate  # the company's second delegate


def meeting_world(now: datetime | None = None, coordinator: User | None = None) -> MeetingWorld:
    """An alliance of three members (IHK and Jobcenter required, a company with two delegates) and a
    meeting with three Tuesday candidates from four weeks ahead, poll deadline in two weeks, poll sent."""
    now = now or utc_now()
    coordinator = coordinator or make_coordinator()
    agency = agency_of(coordinator)
    alliance = make_alliance(agency, name=f"Fachkräftebündnis {agency.id}", federal_state="NI", region="Landkreis")
    chamber = make_member(alliance, make_organisation(OrganisationKind.chamber, name=f"IHK {agency.id}", partner_of=agency),
                          required=True, delegates=0)
    jobcenter = make_member(alliance, make_organisation(OrganisationKind.agency, name=f"Jobcenter {agency.id}", partner_of=agency),
                            required=True, delegates=0)
    company = make_member(alliance, make_organisation(OrganisationKind.company, name=f"Stadtwerke {agency.id}", partner_of=agency),
                          delegates=0)
    delegates = [make_delegate(chamber, name="Ines Kammer"), make_delegate(jobcenter, name="Jonas Center"),
                 make_delegate(company, name="Carla Firma"), make_delegate(company, name="Kai Kollege")]
    first = next_weekday(1, 28, now)
    meeting = meetings.create_meeting(coordinator, alliance, meetings.MeetingSettings(
        title="Bündnistreffen Frühjahr", agenda="Begrüßung\nFachkräftemonitor\nVerschiedenes", room="Sitzungssaal",
        poll_deadline=datetime.combine((first - timedelta(days=14)).date(), time(12, 0))), now)
    meetings.add_candidates(coordinator, meeting, meetings.CandidateSeries(first.date(), time(14), time(16), weeks=3), now)
    meetings.send_poll(coordinator, meeting, now, BASE_URL)
    db.session.flush()
    return MeetingWorld(coordinator, alliance, meeting, *delegates)


def vote(meeting: AllianceMeeting, delegate: AllianceDelegate, *answers: PollAnswer, now: datetime | None = None) -> None:
    """The delegate's organisation answers the candidates in date order (written directly)."""
    organisation_id = delegate.member.organisation_id
    for candidate, answer in zip(meeting.candidates, answers):
        db.session.add(PollVote(candidate=candidate, organisation_id=organisation_id, answer=answer))
    db.session.add(PollResponse(meeting=meeting, organisation_id=organisation_id, delegate=delegate,
                                answered_by=delegate.name, updated_at=now or utc_now()))
    db.session.flush()
