"""Who may open which page: every route, requested by every role, against one table kept here.

Adding a route? Add a line to ``EXPECTED`` (and, if its URL has a variable that is not an id, to
``URL_VALUES``). A route missing from the table fails this test, so no page ships without an
access decision.

The data: objects with id 1 belong to ANOTHER school and ANOTHER company than the signed-in
contacts (so a contact opening them must get 404), and to the signed-in coordinator's agency;
``other_coordinator`` coordinates another agency, which works with none of them (every coordinator
route with an id answers 404 for them, and lists show them nothing of the first agency).
GET routes are requested with GET; POST-only routes with an empty POST (CSRF is off here; see
``test_csrf.py`` for the token check).
"""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask_login import login_user
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from scheduler_app.domain import employer_events, feeds, invitations
from scheduler_app.extensions import db
from scheduler_app.models import (
    Allocation,
    AllocationState,
    Assignment,
    FeedKind,
    MeetingInvitation,
    OrganisationKind,
    SchoolClass,
    User,
)
from scheduler_app.models_base import utc_now
from scheduler_app.web.access import get_owned_or_404
from tests.factories import (
    make_alliance,
    make_alliance_meeting,
    make_career_day,
    make_company_contact,
    make_coordinator,
    make_delegate,
    make_employer_event,
    make_link,
    make_member,
    make_offer,
    make_organisation,
    make_programme,
    make_school_class,
    make_school_contact,
)
from tests.meeting_data import next_weekday

ROLES = ("anonymous", "coordinator", "other_coordinator", "school", "company")
LOGIN = "login"  # 302 to the sign-in page

# endpoint: {role: expected status, or LOGIN}
EXPECTED: dict[str, dict[str, int | str]] = {
    # public and auth
    "public.home": {"anonymous": 200, "coordinator": 302, "other_coordinator": 302, "school": 302, "company": 302},
    "public.set_language": {"anonymous": 302, "coordinator": 302, "other_coordinator": 302, "school": 302, "company": 302},
    "auth.login": {"anonymous": 200, "coordinator": 302, "other_coordinator": 302, "school": 302, "company": 302},
    "auth.logout": {"anonymous": LOGIN, "coordinator": 302, "other_coordinator": 302, "school": 302, "company": 302},
    "auth.password": {"anonymous": LOGIN, "coordinator": 200, "other_coordinator": 200, "school": 200, "company": 200},
    "auth.invitation": {"anonymous": 200, "coordinator": 200, "other_coordinator": 200, "school": 200, "company": 200},
    # coordinator
    "coordinator.dashboard": {"anonymous": LOGIN, "coordinator": 200, "other_coordinator": 200, "school": 403, "company": 403},
    "coordinator.organisations": {"anonymous": LOGIN, "coordinator": 200, "other_coordinator": 200, "school": 403, "company": 403},
    "coordinator.organisation_new": {"anonymous": LOGIN, "coordinator": 200, "other_coordinator": 200, "school": 403, "company": 403},
    "coordinator.organisation": {"anonymous": LOGIN, "coordinator": 200, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.invitation_create": {"anonymous": LOGIN, "coordinator": 422, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.invitation_revoke": {"anonymous": LOGIN, "coordinator": 302, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.new_programme": {"anonymous": LOGIN, "coordinator": 200, "other_coordinator": 200, "school": 403, "company": 403},
    "coordinator.programme": {"anonymous": LOGIN, "coordinator": 200, "other_coordinator": 404, "school": 403, "company": 403},
    # coordinator: career days and allocations (allocation 1 is done, with assignment 1; print pages
    # redirect to the day until an allocation is published)
    "coordinator.new_career_day": {"anonymous": LOGIN, "coordinator": 200, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.career_day": {"anonymous": LOGIN, "coordinator": 200, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.edit_career_day": {"anonymous": LOGIN, "coordinator": 200, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.invite_contacts": {"anonymous": LOGIN, "coordinator": 200, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.start_allocation": {"anonymous": LOGIN, "coordinator": 302, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.allocation": {"anonymous": LOGIN, "coordinator": 200, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.allocation_progress": {"anonymous": LOGIN, "coordinator": 200, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.allocation_students": {"anonymous": LOGIN, "coordinator": 200, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.allocation_student": {"anonymous": LOGIN, "coordinator": 200, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.move_student": {"anonymous": LOGIN, "coordinator": 422, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.unlock_assignment": {"anonymous": LOGIN, "coordinator": 302, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.resolve_allocation": {"anonymous": LOGIN, "coordinator": 302, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.publish_allocation": {"anonymous": LOGIN, "coordinator": 302, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.allocation_instance": {"anonymous": LOGIN, "coordinator": 200, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.allocation_result": {"anonymous": LOGIN, "coordinator": 200, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.allocation_csv": {"anonymous": LOGIN, "coordinator": 200, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.allocation_xlsx": {"anonymous": LOGIN, "coordinator": 200, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.print_route_sheets": {"anonymous": LOGIN, "coordinator": 302, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.print_door_lists": {"anonymous": LOGIN, "coordinator": 302, "other_coordinator": 404, "school": 403, "company": 403},
    # coordinator: late changes (web/coordinator/late_changes.py); day 1 is not published: the pages say so, an empty
    # form is a form error, the actions are refused with a message (302), publishing without an allocation is a 404
    **{f"coordinator.{name}": {"anonymous": LOGIN, "coordinator": status, "other_coordinator": 404, "school": 403, "company": 403}
       for name, status in (("late_changes_page", 200), ("late_class", 422), ("late_students", 422), ("late_absent", 302),
                            ("late_wishes", 200), ("late_withdraw", 302), ("late_replan", 302), ("late_publish", 404),
                            ("late_present", 302), ("late_restore", 302))},
    # coordinator: alliances and their meetings (web/coordinator/alliances.py, meetings.py). Alliance 1
    # is the coordinator's agency's; member 2, delegate 2, delegate 3 and candidate 2 are spare ones
    # the destructive routes use (see URL_VALUES); meeting 1 is polling, meeting 2 was held with minutes.
    "coordinator.jobs": {"anonymous": LOGIN, "coordinator": 200, "other_coordinator": 200, "school": 403, "company": 403},
    "coordinator.alliances": {"anonymous": LOGIN, "coordinator": 200, "other_coordinator": 200, "school": 403, "company": 403},
    "coordinator.new_alliance": {"anonymous": LOGIN, "coordinator": 200, "other_coordinator": 200, "school": 403, "company": 403},
    "coordinator.alliance": {"anonymous": LOGIN, "coordinator": 200, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.add_member": {"anonymous": LOGIN, "coordinator": 422, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.member_required": {"anonymous": LOGIN, "coordinator": 302, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.remove_member": {"anonymous": LOGIN, "coordinator": 302, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.add_delegate": {"anonymous": LOGIN, "coordinator": 422, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.remove_delegate": {"anonymous": LOGIN, "coordinator": 302, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.delegate_link": {"anonymous": LOGIN, "coordinator": 200, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.withdraw_delegate_links": {"anonymous": LOGIN, "coordinator": 302, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.import_members": {"anonymous": LOGIN, "coordinator": 200, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.new_meeting": {"anonymous": LOGIN, "coordinator": 200, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.meeting": {"anonymous": LOGIN, "coordinator": 200, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.edit_meeting": {"anonymous": LOGIN, "coordinator": 200, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.add_candidates": {"anonymous": LOGIN, "coordinator": 422, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.remove_candidate": {"anonymous": LOGIN, "coordinator": 302, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.send_poll": {"anonymous": LOGIN, "coordinator": 302, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.fix_date": {"anonymous": LOGIN, "coordinator": 302, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.remind": {"anonymous": LOGIN, "coordinator": 302, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.attendance_list": {"anonymous": LOGIN, "coordinator": 200, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.record_attendance": {"anonymous": LOGIN, "coordinator": 302, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.add_minutes": {"anonymous": LOGIN, "coordinator": 422, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.minutes_pdf": {"anonymous": LOGIN, "coordinator": 200, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.plan_next": {"anonymous": LOGIN, "coordinator": 302, "other_coordinator": 404, "school": 403, "company": 403},
    # delegates (web/delegate.py): no account, the personal link is the key, whoever holds it; an empty
    # poll answer or substitute is a form error (422), a reply without a decision a bad request (400)
    "delegate.home": {"anonymous": 200, "coordinator": 200, "other_coordinator": 200, "school": 200, "company": 200},
    "delegate.meeting": {"anonymous": 200, "coordinator": 200, "other_coordinator": 200, "school": 200, "company": 200},
    "delegate.answer_poll": {"anonymous": 422, "coordinator": 422, "other_coordinator": 422, "school": 422, "company": 422},
    "delegate.reply": {"anonymous": 400, "coordinator": 400, "other_coordinator": 400, "school": 400, "company": 400},
    "delegate.send_substitute": {"anonymous": 422, "coordinator": 422, "other_coordinator": 422, "school": 422, "company": 422},
    "delegate.minutes_pdf": {"anonymous": 200, "coordinator": 200, "other_coordinator": 200, "school": 200, "company": 200},
    # school contact
    "school.dashboard": {"anonymous": LOGIN, "coordinator": 403, "other_coordinator": 403, "school": 200, "company": 403},
    # company contact
    "company.dashboard": {"anonymous": LOGIN, "coordinator": 403, "other_coordinator": 403, "school": 403, "company": 200},
    # school contact: career days (web/school/career_days.py); id 1 = another school's class/student → 404
    "school.career_day": {"anonymous": LOGIN, "coordinator": 403, "other_coordinator": 403, "school": 200, "company": 403},
    "school.register_class": {"anonymous": LOGIN, "coordinator": 403, "other_coordinator": 403, "school": 200, "company": 403},
    "school.edit_class": {"anonymous": LOGIN, "coordinator": 403, "other_coordinator": 403, "school": 404, "company": 403},
    "school.remove_class": {"anonymous": LOGIN, "coordinator": 403, "other_coordinator": 403, "school": 404, "company": 403},
    "school.class_roster": {"anonymous": LOGIN, "coordinator": 403, "other_coordinator": 403, "school": 404, "company": 403},
    "school.add_students": {"anonymous": LOGIN, "coordinator": 403, "other_coordinator": 403, "school": 404, "company": 403},
    "school.upload_roster": {"anonymous": LOGIN, "coordinator": 403, "other_coordinator": 403, "school": 404, "company": 403},
    "school.rename_student": {"anonymous": LOGIN, "coordinator": 403, "other_coordinator": 403, "school": 404, "company": 403},
    "school.remove_student": {"anonymous": LOGIN, "coordinator": 403, "other_coordinator": 403, "school": 404, "company": 403},
    "school.class_sheet": {"anonymous": LOGIN, "coordinator": 403, "other_coordinator": 403, "school": 404, "company": 403},
    "school.student_wishes": {"anonymous": LOGIN, "coordinator": 403, "other_coordinator": 403, "school": 404, "company": 403},
    "school.class_list": {"anonymous": LOGIN, "coordinator": 403, "other_coordinator": 403, "school": 404, "company": 403},
    "school.route_sheets": {"anonymous": LOGIN, "coordinator": 403, "other_coordinator": 403, "school": 404, "company": 403},
    # company contact: career days (web/company/career_days.py); door lists before publication → back (302)
    "company.career_days": {"anonymous": LOGIN, "coordinator": 403, "other_coordinator": 403, "school": 403, "company": 200},
    "company.career_day": {"anonymous": LOGIN, "coordinator": 403, "other_coordinator": 403, "school": 403, "company": 200},
    "company.book_offer": {"anonymous": LOGIN, "coordinator": 403, "other_coordinator": 403, "school": 403, "company": 200},
    "company.edit_offer": {"anonymous": LOGIN, "coordinator": 403, "other_coordinator": 403, "school": 403, "company": 404},
    "company.withdraw_offer": {"anonymous": LOGIN, "coordinator": 403, "other_coordinator": 403, "school": 403, "company": 404},
    "company.door_lists": {"anonymous": LOGIN, "coordinator": 403, "other_coordinator": 403, "school": 403, "company": 302},
    "company.door_lists_csv": {"anonymous": LOGIN, "coordinator": 403, "other_coordinator": 403, "school": 403, "company": 302},
    # student wishes (web/student.py): no account; without the codes every page leads to the sign-in form
    "student.sign_in": {"anonymous": 200, "coordinator": 200, "other_coordinator": 200, "school": 200, "company": 200},
    "student.choose": {"anonymous": 302, "coordinator": 302, "other_coordinator": 302, "school": 302, "company": 302},
    "student.confirmation": {"anonymous": 302, "coordinator": 302, "other_coordinator": 302, "school": 302, "company": 302},
    "student.route_sheet": {"anonymous": 302, "coordinator": 302, "other_coordinator": 302, "school": 302, "company": 302},
    "student.renew_calendar": {"anonymous": 302, "coordinator": 302, "other_coordinator": 302, "school": 302, "company": 302},
    # calendar feeds (web/feeds.py): the token or the public programme id decides, not the session;
    # renewing is for the feed's owner (another school's or company's id → 404)
    "delegate.renew_calendar": {"anonymous": 302, "coordinator": 302, "other_coordinator": 302, "school": 302, "company": 302},
    "feeds.private_feed": {"anonymous": 200, "coordinator": 200, "other_coordinator": 200, "school": 200, "company": 200},
    "feeds.programme_feed": {"anonymous": 200, "coordinator": 200, "other_coordinator": 200, "school": 200, "company": 200},
    "coordinator.renew_calendar": {"anonymous": LOGIN, "coordinator": 302, "other_coordinator": 302, "school": 403, "company": 403},
    "school.renew_calendar": {"anonymous": LOGIN, "coordinator": 403, "other_coordinator": 403, "school": 404, "company": 403},
    "school.renew_class_calendar": {"anonymous": LOGIN, "coordinator": 403, "other_coordinator": 403, "school": 404, "company": 403},
    "company.renew_calendar": {"anonymous": LOGIN, "coordinator": 403, "other_coordinator": 403, "school": 403, "company": 404},
    "student.sign_out": {"anonymous": 302, "coordinator": 302, "other_coordinator": 302, "school": 302, "company": 302},
    # employer events, public (web/events.py): event 1 is published (another company's), with registration 1;
    # an empty registration or change of places is a form error (422); a used or unknown link answers 404
    "events.index": {"anonymous": 200, "coordinator": 200, "other_coordinator": 200, "school": 200, "company": 200},
    "events.event": {"anonymous": 200, "coordinator": 200, "other_coordinator": 200, "school": 200, "company": 200},
    "events.register": {"anonymous": 422, "coordinator": 422, "other_coordinator": 422, "school": 422, "company": 422},
    "events.privacy": {"anonymous": 200, "coordinator": 200, "other_coordinator": 200, "school": 200, "company": 200},
    "events.programme": {"anonymous": 200, "coordinator": 200, "other_coordinator": 200, "school": 200, "company": 200},
    "events.registration": {"anonymous": 200, "coordinator": 200, "other_coordinator": 200, "school": 200, "company": 200},
    "events.change_places": {"anonymous": 422, "coordinator": 422, "other_coordinator": 422, "school": 422, "company": 422},
    "events.renew_calendar": {"anonymous": 302, "coordinator": 302, "other_coordinator": 302, "school": 302, "company": 302},
    "events.cancel_registration": {"anonymous": 404, "coordinator": 404, "other_coordinator": 404, "school": 404, "company": 404},
    # employer events, company contact (web/company/events.py): event 1 and registration 1 are another company's → 404
    "company.events": {"anonymous": LOGIN, "coordinator": 403, "other_coordinator": 403, "school": 403, "company": 200},
    "company.new_event": {"anonymous": LOGIN, "coordinator": 403, "other_coordinator": 403, "school": 403, "company": 200},
    **{f"company.{name}": {"anonymous": LOGIN, "coordinator": 403, "other_coordinator": 403, "school": 403, "company": 404}
       for name in ("event", "edit_event", "publish_event", "unpublish_event", "cancel_event", "duplicate_event",
                    "event_capacity", "message_registrants", "event_attendance", "event_attendance_file",
                    "check_in", "record_attendance")},
    # employer events, coordinator (web/coordinator/events.py): events of companies the agency works with;
    # event 2 is a spare one to unpublish; gathering without a programme is a bad request (400)
    "coordinator.new_company_event": {"anonymous": LOGIN, "coordinator": 200, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.employer_events": {"anonymous": LOGIN, "coordinator": 200, "other_coordinator": 200, "school": 403, "company": 403},
    "coordinator.unpublish_event": {"anonymous": LOGIN, "coordinator": 302, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.edit_company_event": {"anonymous": LOGIN, "coordinator": 200, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.duplicate_company_event": {"anonymous": LOGIN, "coordinator": 200, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.publish_company_event": {"anonymous": LOGIN, "coordinator": 302, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.cancel_company_event": {"anonymous": LOGIN, "coordinator": 302, "other_coordinator": 404, "school": 403, "company": 403},
    "coordinator.privacy_notice": {"anonymous": LOGIN, "coordinator": 200, "other_coordinator": 200, "school": 403, "company": 403},
    "coordinator.gather_event": {"anonymous": LOGIN, "coordinator": 400, "other_coordinator": 404, "school": 403, "company": 403},
    **{f"coordinator.{name}": {"anonymous": LOGIN, "coordinator": 200, "other_coordinator": 404, "school": 403, "company": 403}
       for name in ("programme_event_charts", "programme_registrations_file")},
    # employer events, school contact (web/school/events.py): registering without one of the school's classes → 404
    "school.events": {"anonymous": LOGIN, "coordinator": 403, "other_coordinator": 403, "school": 200, "company": 403},
    "school.register_class_for_event": {"anonymous": LOGIN, "coordinator": 403, "other_coordinator": 403, "school": 404, "company": 403},
}

# URL variables that are not integer ids (or ids other than 1); "{name}" is replaced by ``world[name]``:
# "{token}" by a pending invitation's token, "{delegate_token}" by delegate 1's personal link.
URL_VALUES: dict[str, dict[str, str | int]] = {
    "public.set_language": {"code": "en"},
    "auth.invitation": {"token": "{token}"},
    "feeds.private_feed": {"token": "{feed_token}", "name": "Kalender"},
    "feeds.programme_feed": {"name": "Kalender"},
    "coordinator.remove_member": {"member_id": 2},
    "coordinator.remove_delegate": {"delegate_id": 2},
    "coordinator.withdraw_delegate_links": {"delegate_id": 3},
    "coordinator.remove_candidate": {"candidate_id": 2},
    "coordinator.attendance_list": {"meeting_id": 2},
    "coordinator.minutes_pdf": {"meeting_id": 2},
    **{f"delegate.{name}": {"token": "{delegate_token}"} for name in ("home", "meeting", "answer_poll", "reply", "send_substitute")},
    "delegate.minutes_pdf": {"token": "{delegate_token}", "meeting_id": 2},
    "delegate.renew_calendar": {"token": "{delegate_token}"},
    "events.event": {"slug": "infoabend"},
    "events.registration": {"token": "{registration_token}"},
    "events.change_places": {"token": "{registration_token}"},
    "events.renew_calendar": {"token": "{registration_token}"},
    "events.cancel_registration": {"token": "x" * 43},  # never the world's link: the first role would cancel it
    "coordinator.unpublish_event": {"event_id": 2},
    "coordinator.cancel_company_event": {"event_id": 3},
    "coordinator.new_company_event": {"company_id": "{other_company}"},
    "company.event_attendance_file": {"kind": "xlsx"},
    "coordinator.programme_registrations_file": {"kind": "xlsx"},
}

SKIPPED = {"static"}


@pytest.fixture
def world(app):
    """One object of each kind (ids 1 owned by others), the four roles' users, a pending invitation."""
    with app.app_context():
        other_school = make_organisation(OrganisationKind.school, name="Fremde Schule")
        other_company = make_organisation(OrganisationKind.company, name="Fremdes Unternehmen")
        coordinator = make_coordinator()
        programme = make_programme(agency=coordinator.memberships[0].organisation)
        career_day = make_career_day(programme)
        offer = make_offer(career_day, company=other_company)
        other_class = make_school_class(career_day, school=other_school, students=2)
        allocation = Allocation(career_day=career_day, state=AllocationState.done, solver_status="optimal", progress=1.0)
        slot = offer.slots[0]
        allocation.assignments.append(Assignment(student=other_class.students[0], slot=slot, round_id=slot.round_id,
                                                 offer_id=offer.id, locked=True))
        db.session.add(allocation)
        event = make_employer_event(company=other_company, published_at=utc_now())
        registration = employer_events.register(event, name="R", email="r@example.org", places=1, now=utc_now(),
                                                site=employer_events.Site("http://localhost", "testing-secret")).registration
        make_employer_event(company=other_company, published_at=utc_now())  # event 2: the one to unpublish
        make_employer_event(company=other_company, published_at=utc_now())  # event 3: the one to cancel
        other_coordinator = make_coordinator(email="andere@agentur.example")
        school_contact = make_school_contact()
        company_contact = make_company_contact()
        own_class = make_school_class(career_day, school=school_contact.schools[0])
        _invitation, token = invitations.invite(coordinator, other_school, "neu@schule.example", "Neue Person",
                                                utc_now(), timedelta(days=14), "http://localhost")
        feed = feeds.feed_for(FeedKind.school_class, other_class.id, "testing-secret", utc_now())
        delegate_token = _alliance_with_meetings(coordinator, other_company)
        db.session.commit()
        return {"feed_token": feeds.feed_token(feed, "testing-secret"), "users": {"coordinator": coordinator.id, "other_coordinator": other_coordinator.id,
                          "school": school_contact.id, "company": company_contact.id},
                "token": token, "delegate_token": delegate_token, "own_class": own_class.id,
                "registration_token": employer_events.registration_token(registration, "testing-secret"),
                "other_company": other_company.id}


def _alliance_with_meetings(coordinator, company) -> str:
    """Alliance 1 of the coordinator's agency: member 1 (the company) with delegates 1 and 3, a spare
    member 2 with delegate 2; meeting 1 polling with candidates 1 and 2, meeting 2 held with minutes.
    Returns delegate 1's personal link."""
    alliance = make_alliance(coordinator.memberships[0].organisation, federal_state="NI")
    member = make_member(alliance, company)
    make_member(alliance, make_organisation(OrganisationKind.chamber))
    make_delegate(member)
    soon = next_weekday(1, 28)
    make_alliance_meeting(alliance, candidates=[soon, soon + timedelta(days=7)], poll_deadline=soon - timedelta(days=7))
    held = make_alliance_meeting(alliance, candidates=[datetime(2026, 3, 3, 14)], chosen=0, minutes_pdf=b"%PDF-1.4 ...",
                                 minutes_filename="protokoll.pdf", minutes_added_at=datetime(2026, 3, 4))
    held.invitations.append(MeetingInvitation(organisation=company, delegate=member.delegates[0], name="D", email="d@example.org"))
    return make_link(member.delegates[0])


def _client_for(app, role: str, world):
    """A test client signed in as ``role`` (through the session, so it works for every request order)."""
    client = app.test_client()  # not the ``client`` fixture: it keeps its last request's context pushed
    if role != "anonymous":
        with app.app_context():
            session_id = db.session.get(User, world["users"][role]).get_id()  # current even after a sign-out
        with client.session_transaction() as session:
            session["_user_id"] = session_id
            session["_fresh"] = True
    return client


def _url_and_method(app, rule, world) -> tuple[str, str]:
    values = {}
    for name, converter in rule._converters.items():
        value = URL_VALUES.get(rule.endpoint, {}).get(name)
        if value is None:
            assert isinstance(converter, IntegerConverter), (
                f"add a value for <{name}> of {rule.endpoint} to URL_VALUES in {__file__}")
            value = 1
        values[name] = world[value[1:-1]] if isinstance(value, str) and value.startswith("{") else value
    method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
    adapter = app.url_map.bind("localhost")
    return adapter.build(rule.endpoint, values, method=method), method


def _outcome(response) -> int | str:
    if response.status_code == 302 and response.headers["Location"].startswith("/auth/login"):
        return LOGIN
    return response.status_code


def test_every_route_has_an_access_rule_and_every_role_gets_what_the_table_says(app, world):
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint not in SKIPPED]
    missing = sorted({rule.endpoint for rule in rules if rule.endpoint not in EXPECTED})
    assert not missing, "\n".join(f"add an access rule for {endpoint} to EXPECTED in {__file__}" for endpoint in missing)
    stale = sorted(set(EXPECTED) - {rule.endpoint for rule in rules})
    assert not stale, f"remove access rules for endpoints that no longer exist: {stale}"

    wrong = []
    for rule in sorted(rules, key=lambda r: r.endpoint):
        url, method = _url_and_method(app, rule, world)
        for role in ROLES:
            got = _outcome(_client_for(app, role, world).open(url, method=method))
            expected = EXPECTED[rule.endpoint][role]
            if got != expected:
                wrong.append(f"{method} {url} ({rule.endpoint}) as {role}: expected {expected}, got {got}")
    assert not wrong, "\n".join(wrong)


def test_the_table_names_every_role_for_every_endpoint():
    incomplete = {endpoint: sorted(set(ROLES) - set(roles)) for endpoint, roles in EXPECTED.items() if set(roles) != set(ROLES)}
    assert not incomplete, f"give a status for every role: {incomplete}"


def test_a_contact_looking_up_another_schools_object_gets_404_and_their_own_object(app, world):
    """The rule contact-scoped pages rely on (``get_owned_or_404``): ids of other organisations' data
    answer 404 like ids that do not exist, so they are not confirmed to exist."""
    with app.test_request_context():
        login_user(db.session.get(User, world["users"]["school"]))
        school_of = lambda school_class: school_class.school_id  # noqa: E731
        with pytest.raises(NotFound):
            get_owned_or_404(SchoolClass, 1, school_of)
        with pytest.raises(NotFound):
            get_owned_or_404(SchoolClass, 999, school_of)
        assert get_owned_or_404(SchoolClass, world["own_class"], school_of).id == world["own_class"]


def test_a_coordinator_of_another_agency_sees_nothing_of_the_first_agencys_organisations(app, world):
    """Lists answer 200 for them (see EXPECTED), but hold none of the schools, companies, people or
    pending invitations the first agency works with."""
    client = _client_for(app, "other_coordinator", world)
    for url in ("/coordinator/organisations", "/coordinator/"):
        page = client.get(url).text
        for name in ("Fremde Schule", "Fremdes Unternehmen", "neu@schule.example", "Neue Person"):
            assert name not in page, f"{name} on {url}"
    own = _client_for(app, "coordinator", world).get("/coordinator/organisations").text
    assert "Fremde Schule" in own and "neu@schule.example" in own  # the first agency does see them
