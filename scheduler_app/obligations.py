"""The calendar of obligations the job process keeps for the coordinators: each one found by a sweep
("everything due by ``now``") and done once through :func:`scheduler_app.jobs.do_once` with its key
(kind, target, due time).

- career-day deadlines (booking, registration, wishes): a reminder ``CareerDay.reminder_days`` days
  before each (default 7 and 2) to those who have not acted yet: companies without an offer, schools
  without a class, and the teachers of classes with students who have not ranked (with counts).
  When a sweep finds several reminders of one deadline due (the process was down), it sends the
  latest only;
- at the wishes deadline, for days with ``auto_allocate``: the allocation is queued (the job
  ``run_due_allocations`` runs it) and its result mailed to the day's coordinators when it ends;
- two days before an employer event, to its confirmed registrants; two days before an alliance
  meeting, to everyone still invited (a reply request to those who have not replied); two days
  before a poll's deadline, to the delegates whose organisation has not answered;
- 14 days before a career day's data is deleted, a notice to its coordinators; then the deletion
  (:mod:`scheduler_app.domain.retention`).

Event times and deadlines are Berlin wall-clock times; ``now`` is UTC (converted once, here).
"""
from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, time, timedelta

from flask import Flask, current_app
from sqlalchemy import select

from scheduler_app.domain import retention
from scheduler_app.domain.allocation import start_allocation
from scheduler_app.domain.dashboards import wall_clock
from scheduler_app.domain.errors import DomainError
from scheduler_app.domain.employer_events import mail_registrant, site_of
from scheduler_app.domain.mail import queue_mail
from scheduler_app.extensions import db
from scheduler_app.jobs import ItemFailed, do_once
from scheduler_app.models import (
    AgencyPartner,
    AllianceMeeting,
    Allocation,
    AllocationState,
    CareerDay,
    EmployerEvent,
    EventRegistration,
    InvitationReply,
    Membership,
    Offer,
    Organisation,
    OrganisationKind,
    RegistrationStatus,
    Role,
    SchoolClass,
    User,
)
from scheduler_app.models_base import utc_now

log = logging.getLogger(__name__)

EVENT_REMINDER_BEFORE = timedelta(days=2)
POLL_REMINDER_BEFORE = timedelta(days=2)
RETENTION_NOTICE_BEFORE = timedelta(days=14)


def reminder_offsets(career_day: CareerDay) -> list[int]:
    """The days before a deadline at which reminders go out, e.g. "7,2" → [7, 2]."""
    days = []
    for part in (career_day.reminder_days or "").split(","):
        if part.strip().isdigit() and 0 < int(part) <= 60:
            days.append(int(part))
    return sorted(set(days), reverse=True)


def latest_due(deadline: datetime | None, offsets: list[int], local_now: datetime) -> datetime | None:
    """The latest reminder time of ``deadline`` that has come (and the deadline not yet), or None."""
    if deadline is None or local_now >= deadline:
        return None
    due = [deadline - timedelta(days=days) for days in offsets if deadline - timedelta(days=days) <= local_now]
    return max(due) if due else None


def _contacts(organisation_id: int) -> list[User]:
    return list(db.session.scalars(select(User).join(Membership).where(
        Membership.organisation_id == organisation_id, Membership.role == Role.contact, User.active.is_(True))
        .order_by(User.id)))


def _coordinators(agency_id: int) -> list[User]:
    return list(db.session.scalars(select(User).join(Membership).where(
        Membership.organisation_id == agency_id, Membership.role == Role.coordinator, User.active.is_(True))
        .order_by(User.id)))


def _partners(career_day: CareerDay, kind: OrganisationKind) -> list[Organisation]:
    return list(db.session.scalars(select(Organisation).join(AgencyPartner, AgencyPartner.organisation_id == Organisation.id)
                                   .where(AgencyPartner.agency_id == career_day.programme.agency_id, Organisation.kind == kind)
                                   .order_by(Organisation.name)))


def _mail_users(users: list[User], template: str, context: dict, now: datetime, **options) -> int:
    for user in users:
        queue_mail(user.email, template, {**context, "name": user.name}, now, locale=user.locale, **options)
    return len(users)


# --- career days ---------------------------------------------------------------------------------------

def _day_page(base_url: str, kind: OrganisationKind, career_day: CareerDay) -> str:
    """Where a reminded contact acts: the day's page of their school or company (after signing in)."""
    area = "company" if kind is OrganisationKind.company else "school"
    return f"{base_url}/{area}/career-days/{career_day.id}"


def _remind_absent(career_day: CareerDay, now: datetime, base_url: str, kind: str, organisation_kind: OrganisationKind,
                   present: set[int]) -> str:
    """To the contacts of the agency's partner organisations of a kind that are not ``present`` yet."""
    sent = 0
    for organisation in _partners(career_day, organisation_kind):
        if organisation.id not in present:
            sent += _mail_users(_contacts(organisation.id), "career_day_reminder",
                                {"kind": kind, "day": career_day, "organisation": organisation.name,
                                 "link": _day_page(base_url, organisation_kind, career_day)}, now,
                                agency_id=career_day.programme.agency_id)
    return f"{sent} mails"


def _booking_reminder(career_day: CareerDay, now: datetime, base_url: str) -> str:
    """Companies without an offer on the day."""
    booked = set(db.session.scalars(select(Offer.company_id).where(Offer.career_day_id == career_day.id)))
    return _remind_absent(career_day, now, base_url, "booking", OrganisationKind.company, booked)


def _registration_reminder(career_day: CareerDay, now: datetime, base_url: str) -> str:
    """Schools without a class on the day."""
    registered = set(db.session.scalars(select(SchoolClass.school_id).where(SchoolClass.career_day_id == career_day.id)))
    return _remind_absent(career_day, now, base_url, "registration", OrganisationKind.school, registered)


def _wishes_reminder(career_day: CareerDay, now: datetime, base_url: str) -> str:
    """To the teachers (the school's contacts) of classes where students have not ranked: per class,
    how many of how many (counts only: no student is named)."""
    per_school: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
    for school_class in career_day.classes:
        missing = sum(1 for student in school_class.students if student.wishes_submitted_at is None)
        if missing:
            per_school[school_class.school_id].append((school_class.name, missing, len(school_class.students)))
    sent = 0
    for school_id, classes in sorted(per_school.items()):
        school = db.session.get(Organisation, school_id)
        sent += _mail_users(_contacts(school_id), "career_day_reminder",
                            {"kind": "wishes", "day": career_day, "organisation": school.name, "classes": classes,
                             "link": _day_page(base_url, OrganisationKind.school, career_day)}, now,
                            agency_id=career_day.programme.agency_id)
    return f"{sent} mails"


DEADLINE_REMINDERS = (
    ("career_day.booking_reminder", "booking_deadline", _booking_reminder),
    ("career_day.registration_reminder", "registration_deadline", _registration_reminder),
    ("career_day.wishes_reminder", "wishes_deadline", _wishes_reminder),
)


def career_day_obligations(now: datetime, base_url: str) -> int:
    local_now = wall_clock(now)
    done = 0
    days = db.session.scalars(select(CareerDay).where(CareerDay.personal_data_deleted_at.is_(None),
                                                      CareerDay.date >= local_now.date()).order_by(CareerDay.id)).all()
    targets = [(day.id, reminder_offsets(day), {column: getattr(day, column) for _, column, _ in DEADLINE_REMINDERS},
                day.auto_allocate) for day in days]
    for day_id, offsets, deadlines, auto_allocate in targets:
        for kind, column, write in DEADLINE_REMINDERS:
            due = latest_due(deadlines[column], offsets, local_now)
            if due is not None:
                done += do_once(kind, f"career_day:{day_id}", due, now,
                                lambda write=write, day_id=day_id: write(db.session.get(CareerDay, day_id), now, base_url))
        wishes_deadline = deadlines["wishes_deadline"]
        if auto_allocate and wishes_deadline is not None and wishes_deadline <= local_now:
            done += do_once("career_day.auto_allocation", f"career_day:{day_id}", wishes_deadline, now,
                            lambda day_id=day_id: _auto_allocate(db.session.get(CareerDay, day_id), now))
    return done


def _auto_allocate(career_day: CareerDay, now: datetime) -> str:
    try:
        allocation = start_allocation(None, career_day, now)
    except DomainError as error:
        raise ItemFailed(str(error)) from error
    return f"allocation {allocation.id} queued"


def allocation_result_mails(now: datetime, base_url: str) -> int:
    """The result of each automatic allocation (queued by the job process), to the day's coordinators."""
    finished = db.session.execute(
        select(Allocation.id, Allocation.created_at).join(CareerDay, CareerDay.id == Allocation.career_day_id)
        .where(CareerDay.auto_allocate.is_(True), Allocation.created_by_id.is_(None),
               Allocation.state.in_([AllocationState.done, AllocationState.failed]))
        .order_by(Allocation.id)).all()
    return sum(do_once("allocation.result_mail", f"allocation:{allocation_id}", created_at, now,
                       lambda allocation_id=allocation_id: _mail_result(db.session.get(Allocation, allocation_id), now, base_url))
               for allocation_id, created_at in finished)


def _mail_result(allocation: Allocation, now: datetime, base_url: str) -> str:
    from scheduler_app.domain.allocation_review import review

    career_day = allocation.career_day
    summary = review(allocation) if allocation.state is AllocationState.done else None
    context = {"day": career_day, "allocation": allocation, "summary": summary,
               "link": f"{base_url}/coordinator/career-days/{career_day.id}"}
    agency_id = career_day.programme.agency_id
    return f"{_mail_users(_coordinators(agency_id), 'allocation_result', context, now, agency_id=agency_id)} mails"


# --- employer events and alliance meetings ---------------------------------------------------------------

def _remind_registrants(event: EmployerEvent, now: datetime, base_url: str) -> str:
    registrations = [r for r in event.registrations if r.status is RegistrationStatus.confirmed and r.email]
    site = site_of(current_app.config, base_url)
    for registration in registrations:
        mail_registrant(registration, "event_reminder", site, now)
    return f"{len(registrations)} mails"


def event_reminders(now: datetime, base_url: str) -> int:
    local_now = wall_clock(now)
    events = db.session.execute(select(EmployerEvent.id, EmployerEvent.starts_at).where(
        EmployerEvent.starts_at > local_now, EmployerEvent.starts_at <= local_now + EVENT_REMINDER_BEFORE)).all()
    return sum(do_once("employer_event.reminder", f"employer_event:{event_id}", starts_at - EVENT_REMINDER_BEFORE, now,
                       lambda event_id=event_id: _remind_registrants(db.session.get(EmployerEvent, event_id), now, base_url))
               for event_id, starts_at in events)


def _remind_invited(meeting: AllianceMeeting, now: datetime, base_url: str) -> str:
    from scheduler_app.domain.meetings import mail_invitation

    invited = [i for i in meeting.invitations if i.reply in (InvitationReply.pending, InvitationReply.accepted)]
    for invitation in invited:
        mail_invitation(invitation, now, base_url,
                        template="meeting_reminder" if invitation.reply is InvitationReply.pending else "meeting_upcoming")
        if invitation.reply is InvitationReply.pending:
            invitation.reminded_at = now
    return f"{len(invited)} mails"


def _remind_poll(meeting: AllianceMeeting, now: datetime, base_url: str) -> str:
    from scheduler_app.domain.meetings import delegates_of, send_poll_to

    answered = {response.organisation_id for response in meeting.responses}
    waiting = [d for d in delegates_of(meeting.alliance) if d.member.organisation_id not in answered]
    for delegate in waiting:
        send_poll_to(meeting, delegate, now, base_url, reminder=True)
    return f"{len(waiting)} mails"


def meeting_reminders(now: datetime, base_url: str) -> int:
    local_now = wall_clock(now)
    done = 0
    for meeting in db.session.scalars(select(AllianceMeeting).order_by(AllianceMeeting.id)).all():
        chosen = meeting.chosen_candidate
        if chosen is not None and chosen.starts_at - EVENT_REMINDER_BEFORE <= local_now < chosen.starts_at:
            done += do_once("alliance_meeting.reminder", f"alliance_meeting:{meeting.id}", chosen.starts_at - EVENT_REMINDER_BEFORE,
                            now, lambda meeting_id=meeting.id: _remind_invited(db.session.get(AllianceMeeting, meeting_id), now, base_url))
        elif (chosen is None and meeting.poll_sent_at is not None and meeting.poll_deadline is not None
              and meeting.poll_deadline - POLL_REMINDER_BEFORE <= local_now < meeting.poll_deadline):
            done += do_once("alliance_meeting.poll_reminder", f"alliance_meeting:{meeting.id}",
                            meeting.poll_deadline - POLL_REMINDER_BEFORE, now,
                            lambda meeting_id=meeting.id: _remind_poll(db.session.get(AllianceMeeting, meeting_id), now, base_url))
    return done


def run_obligations(app: Flask, now: datetime | None = None) -> int:
    now = now or utc_now()
    base_url = app.config["PUBLIC_BASE_URL"]
    with app.app_context():
        done = career_day_obligations(now, base_url)
        done += allocation_result_mails(now, base_url)
        done += event_reminders(now, base_url)
        done += meeting_reminders(now, base_url)
        db.session.rollback()
    return done


# --- retention -------------------------------------------------------------------------------------------

def _retention_notice(career_day: CareerDay, now: datetime, base_url: str) -> str:
    context = {"day": career_day, "link": f"{base_url}/coordinator/career-days/{career_day.id}"}
    agency_id = career_day.programme.agency_id
    return f"{_mail_users(_coordinators(agency_id), 'retention_notice', context, now, agency_id=agency_id)} mails"


def run_retention(app: Flask, now: datetime | None = None) -> int:
    """Delete what the retention periods say must go (:mod:`scheduler_app.domain.retention`)."""
    now = now or utc_now()
    base_url = app.config["PUBLIC_BASE_URL"]
    period = timedelta(days=app.config["RETENTION_DAYS"])
    done = 0
    with app.app_context():
        today = wall_clock(now).date()
        days = db.session.execute(select(CareerDay.id, CareerDay.retention_until).where(
            CareerDay.personal_data_deleted_at.is_(None), CareerDay.retention_until.is_not(None))).all()
        for day_id, until in days:
            deleted_on = datetime.combine(until + timedelta(days=1), time())
            if deleted_on.date() <= today:
                done += do_once("career_day.retention", f"career_day:{day_id}", deleted_on, now,
                                lambda day_id=day_id: retention.delete_students(db.session.get(CareerDay, day_id), now))
            elif deleted_on - RETENTION_NOTICE_BEFORE <= datetime.combine(today, time()):
                done += do_once("career_day.retention_notice", f"career_day:{day_id}", deleted_on - RETENTION_NOTICE_BEFORE,
                                now, lambda day_id=day_id: _retention_notice(db.session.get(CareerDay, day_id), now, base_url))
        local_cutoff = wall_clock(now) - period
        for event_id, ends_at in db.session.execute(select(EmployerEvent.id, EmployerEvent.ends_at).where(
                EmployerEvent.ends_at <= local_cutoff,
                EmployerEvent.registrations.any(EventRegistration.email != retention.ANONYMOUS_EMAIL))).all():
            done += do_once("employer_event.anonymise", f"employer_event:{event_id}", ends_at + period, now,
                            lambda event_id=event_id: retention.anonymise_registrations(db.session.get(EmployerEvent, event_id)))
        done += retention.strip_delivered_personal_mails(now)
        db.session.commit()
    return done

