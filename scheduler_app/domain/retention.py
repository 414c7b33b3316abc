"""Retention: students' personal data is deleted when its period ends, keeping only figures.

- A career day's students (names, personal codes, wishes, exclusions, assignments, their calendar
  feeds, the students in the published versions' snapshots) are deleted the day after ``CareerDay.retention_until``. Before that, the figures reports
  need are kept on the day (``retained_figures``): per offer (seats, wishes per rank, assigned), per
  school (classes, students, who ranked) and the rank histogram of the published (else latest)
  allocation. Audit entries about the students lose their details.
- Registrations of employer events are anonymised (name, e-mail, comment and personal link removed; places,
  status and the organisation kept for the figures).
- Mails marked ``personal_data`` lose subject, text and attachments once they are out of the queue
  (sent, failed or logged) and 30 days old.

Every step is idempotent; the job process runs them (``scheduler_app.obligations``).
"""
from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from scheduler_app.domain.allocation import latest_done_allocation
from scheduler_app.extensions import db
from scheduler_app.models import (
    AuditEntry,
    CareerDay,
    EmployerEvent,
    EventRegistration,
    LateChange,
    MailState,
    OutgoingMail,
    Publication,
    SchoolClass,
    Student,
)

ANONYMOUS_NAME = "—"
ANONYMOUS_EMAIL = ""
PERSONAL_MAIL_KEPT = timedelta(days=30)


def figures(career_day: CareerDay) -> dict:
    """What the day's reports show, without a single student: per offer, per school, the histogram."""
    allocation = career_day.published_allocation or latest_done_allocation(career_day)
    assignments = allocation.assignments if allocation is not None else []
    ranks = {(p.student_id, p.offer_id): p.rank for c in career_day.classes for s in c.students for p in s.preferences}
    assigned = Counter(a.offer_id for a in assignments)
    histogram = Counter(ranks.get((a.student_id, a.offer_id)) for a in assignments)
    offers = []
    for offer in career_day.offers:
        wishes = Counter(rank for (_student, offer_id), rank in ranks.items() if offer_id == offer.id)
        offers.append({"offer": offer.title, "company": offer.company.name, "seats": sum(s.capacity for s in offer.slots),
                       "assigned": assigned[offer.id], "wishes": {str(rank): wishes[rank] for rank in sorted(wishes)}})
    schools: dict[str, dict] = {}
    for school_class in career_day.classes:
        entry = schools.setdefault(school_class.school.name, {"school": school_class.school.name, "classes": 0,
                                                               "students": 0, "ranked": 0})
        entry["classes"] += 1
        entry["students"] += len(school_class.students)
        entry["ranked"] += sum(1 for s in school_class.students if s.wishes_submitted_at is not None)
    return {"allocation_id": allocation.id if allocation is not None else None,
            "students": sum(entry["students"] for entry in schools.values()),
            "offers": offers, "schools": sorted(schools.values(), key=lambda e: e["school"]),
            "histogram": [{"rank": rank, "count": histogram[rank]} for rank in sorted(r for r in histogram if r is not None)]
            + [{"rank": None, "count": histogram[None]}]}


def delete_students(career_day: CareerDay, now: datetime) -> str:
    """Keep the figures, then delete every student of the day (the database cascades to their wishes,
    exclusions, assignments and feeds) and strip the audit entries about them. Idempotent."""
    if career_day.personal_data_deleted_at is not None:
        return "already deleted"
    career_day.retained_figures = figures(career_day)
    class_ids = select(SchoolClass.id).where(SchoolClass.career_day_id == career_day.id)
    students = db.session.execute(select(Student.id, Student.display_name).where(Student.class_id.in_(class_ids))).all()
    ids, names = {row.id for row in students}, {row.display_name for row in students}
    db.session.flush()
    db.session.execute(delete(Student).where(Student.class_id.in_(class_ids)).execution_options(synchronize_session=False))
    for publication in db.session.scalars(select(Publication).where(Publication.career_day_id == career_day.id)):
        publication.snapshot = without_students(publication.snapshot)
    # the late changes name students, classes and offers: only their kind and date stay
    db.session.execute(update(LateChange).where(LateChange.career_day_id == career_day.id).values(details={})
                       .execution_options(synchronize_session=False))
    stripped = strip_audit(ids, names)
    career_day.personal_data_deleted_at = now
    db.session.flush()
    db.session.expire_all()
    return f"{len(ids)} students deleted, {stripped} audit entries stripped"


def without_students(snapshot: dict) -> dict:
    """A published version's snapshot without its students (names, assignments): rounds, offers and
    classes stay readable, so the version's pages and exports still open, empty of pupils."""
    if not snapshot:
        return snapshot
    classes = [{**school_class, "students": []} for school_class in snapshot.get("classes", [])]
    return {**snapshot, "classes": classes, "assignments": [], **({"wishes": []} if "wishes" in snapshot else {})}


def strip_audit(student_ids: set[int], names: set[str]) -> int:
    """Remove the details of audit entries about these students, and of any entry whose details name one."""
    stripped = 0
    for entry in db.session.scalars(select(AuditEntry).where(AuditEntry.details.is_not(None))):
        about_student = entry.object_type == Student.__tablename__ and entry.object_id in student_ids
        text = json.dumps(entry.details, ensure_ascii=False)
        if about_student or any(name in text for name in names):
            entry.details = None
            stripped += 1
    return stripped


def anonymise_registrations(event: EmployerEvent) -> str:
    count = db.session.execute(
        update(EventRegistration).where(EventRegistration.event_id == event.id, EventRegistration.email != ANONYMOUS_EMAIL)
        .values(name=ANONYMOUS_NAME, email=ANONYMOUS_EMAIL, user_id=None, comment=None, token_hash=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    return f"{count} registrations anonymised"


def strip_delivered_personal_mails(now: datetime) -> int:
    """Mails naming a student, out of the queue and 30 days old, lose what they said; returns how many."""
    return db.session.execute(
        update(OutgoingMail).where(OutgoingMail.personal_data.is_(True), OutgoingMail.state != MailState.waiting,
                                   OutgoingMail.created_at <= now - PERSONAL_MAIL_KEPT, OutgoingMail.body != "")
        .values(subject="", body="", html=None, attachments=None).execution_options(synchronize_session=False)
    ).rowcount
