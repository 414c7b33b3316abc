"""Late changes: what a coordinator accepts on purpose after a career day's plan was published.

Publishing freezes the day (:func:`scheduler_app.domain.career_days.is_open`): schools, companies and
students find their forms closed. The coordinators of the day may still accept, one at a time:

- a class registered late on behalf of a school (:func:`register_class`, with its students);
- students added to a class (:func:`add_students`) or marked absent (:func:`mark_absent`: the student
  keeps their place in the published versions, but gets no programme in any later plan);
- an offer withdrawn by its company (:func:`withdraw_offer`: its slots leave every later plan; fixed
  assignments on them are released);
- a student's wishes corrected (:func:`correct_wishes`);
- an absence or a withdrawal taken back (:func:`mark_present`, :func:`restore_offer`): while it is
  pending, the change is simply undone (it leaves the pending list); once published in a version,
  taking it back is a late change of its own ("present again", "offered again").

Each is recorded as a :class:`~scheduler_app.models.LateChange` and listed as *pending* on the day's
page (:func:`pending`) until a new version is published, which :func:`settle`\\ s them. In between,
:func:`replan` queues the engine's minimal-change re-solve with the published allocation as its
starting point, :func:`replan_of` finds that draft, and :func:`who_changes` lists every student whose
programme the draft changes against the published version, with the late change that explains it.
Publishing the draft (:func:`scheduler_app.domain.allocation.publish`) mails each school and company
concerned what changes for them.

Like every domain workflow: takes the ``actor`` and ``now``, flushes, never commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from scheduler_app.domain import allocation as allocations
from scheduler_app.domain import audit, classes, wishes
from scheduler_app.domain.career_days import is_coordinator_of
from scheduler_app.domain.errors import N_, DomainError, NotAllowed
from scheduler_app.domain.locks import Gone, lock_or_gone
from scheduler_app.domain.publication import StudentChange, changes_against_published
from scheduler_app.extensions import db
from scheduler_app.models import (
    Allocation,
    AllocationState,
    Assignment,
    AuditEntry,
    CareerDay,
    LateChange,
    Offer,
    Organisation,
    Publication,
    SchoolClass,
    Student,
    User,
)

CLASS_REGISTERED = "class_registered"
STUDENTS_ADDED = "students_added"
STUDENT_ABSENT = "student_absent"
OFFER_WITHDRAWN = "offer_withdrawn"
WISHES_CORRECTED = "wishes_corrected"
STUDENT_PRESENT = "student_present"  # an absence published in a version, taken back
OFFER_RESTORED = "offer_restored"  # a withdrawal published in a version, taken back
KINDS = (CLASS_REGISTERED, STUDENTS_ADDED, STUDENT_ABSENT, OFFER_WITHDRAWN, WISHES_CORRECTED, STUDENT_PRESENT,
         OFFER_RESTORED)
UNDONE = "late_change.undone"  # the audit action of a pending change taken back (see :func:`replan_of`)


def _require(actor: User, career_day: CareerDay) -> None:
    """Coordinators of the day only, and only once a plan is published (before, the forms are open)."""
    if not is_coordinator_of(actor, career_day):
        raise NotAllowed("Only the day's coordinators may accept late changes.")
    if career_day.published_allocation_id is None:
        raise DomainError("The plan of this day is not published yet: schools, companies and students still use "
                          "their own forms.")


def _record(actor: User, career_day: CareerDay, kind: str, now: datetime, **details) -> LateChange:
    change = LateChange(career_day_id=career_day.id, kind=kind, details=details, actor_id=actor.id, created_at=now)
    db.session.add(change)
    db.session.flush()
    audit.record(actor, f"late_change.{kind}", career_day, now, late_change=change.id)
    return change


def _class_details(school_class: SchoolClass) -> dict:
    return {"class_id": school_class.id, "class_name": school_class.name, "school": school_class.school.name}


def _student_details(student: Student) -> dict:
    return {**_class_details(student.school_class), "student_id": student.id, "student": student.display_name}


# ---------------------------------------------------------------------------------------------
# the changes


def register_class(actor: User, career_day: CareerDay, school: Organisation, *, name: str, grade: int,
                   first_round: int | None, last_round: int | None, teacher_name: str | None, names: list[str],
                   now: datetime) -> SchoolClass:
    """Register a class on behalf of ``school`` (one the agency works with), with its students
    (``names``, at least one): the class holds as many places as it has students."""
    _require(actor, career_day)
    names = [name for name in (classes.clean_display_name(n) for n in names) if name]
    if not names:
        raise DomainError("Please enter at least one name.", field="names")
    school_class = classes.register_class(actor, career_day, school, name=name, grade=grade, headcount=len(names),
                                          first_round=first_round, last_round=last_round, teacher_name=teacher_name,
                                          now=now)
    added = classes.add_students(actor, school_class, names, now)
    _record(actor, career_day, CLASS_REGISTERED, now, **_class_details(school_class),
            students=[s.display_name for s in added], student_ids=[s.id for s in added])
    return school_class


def add_students(actor: User, school_class: SchoolClass, names: list[str], now: datetime) -> list[Student]:
    """Add students to a class; its headcount (and the places it holds) grows with them if needed."""
    career_day = school_class.career_day
    _require(actor, career_day)
    school_class = lock_or_gone(school_class, field="names")
    count = len([name for name in (classes.clean_display_name(n) for n in names) if name])
    missing = len(school_class.students) + count - school_class.headcount
    if count and missing > 0:
        classes.update_class(actor, school_class, name=school_class.name, grade=school_class.grade,
                             headcount=school_class.headcount + missing, first_round=school_class.first_round,
                             last_round=school_class.last_round, teacher_name=school_class.teacher_name, now=now)
    added = classes.add_students(actor, school_class, names, now)
    _record(actor, career_day, STUDENTS_ADDED, now, **_class_details(school_class),
            students=[s.display_name for s in added], student_ids=[s.id for s in added])
    return added


def mark_absent(actor: User, student: Student, now: datetime) -> Student:
    """The student will not come: no programme in later plans (the published versions keep them)."""
    career_day = student.school_class.career_day
    _require(actor, career_day)
    school_class = lock_or_gone(student.school_class, field="student")
    if student not in school_class.students:
        raise Gone(field="student")
    if student.absent_at is not None:
        raise DomainError("%(name)s is already marked absent.", field="student", name=student.display_name)
    student.absent_at = now
    db.session.flush()
    _record(actor, career_day, STUDENT_ABSENT, now, **_student_details(student))
    return student


def withdraw_offer(actor: User, offer: Offer, now: datetime) -> Offer:
    """The company withdraws the offer: its slots leave every later plan. The published versions keep
    it; assignments fixed to it in the published allocation are released by the re-plan (counted in
    the change, so the coordinator sees it)."""
    career_day = offer.career_day
    _require(actor, career_day)
    offer = lock_or_gone(offer, field="offer")
    if offer.withdrawn_at is not None:
        raise DomainError("%(offer)s is already withdrawn.", field="offer", offer=offer.title)
    offer.withdrawn_at = now
    db.session.flush()
    released = db.session.scalar(select(func.count(Assignment.id)).where(
        Assignment.allocation_id == career_day.published_allocation_id, Assignment.offer_id == offer.id, Assignment.locked))
    _record(actor, career_day, OFFER_WITHDRAWN, now, offer_id=offer.id, offer=offer.title, company=offer.company.name,
            released_locks=released)
    return offer


def _undo_pending(actor: User, career_day: CareerDay, kind: str, key: str, ident: int, now: datetime) -> bool:
    """Delete the latest pending change of ``kind`` naming ``ident`` (under ``key``); False if there is none."""
    change = next((c for c in reversed(pending(career_day)) if c.kind == kind and (c.details or {}).get(key) == ident), None)
    if change is None:
        return False
    db.session.delete(change)
    db.session.flush()
    audit.record(actor, UNDONE, career_day, now, kind=kind, **{key: ident})
    return True


def mark_present(actor: User, student: Student, now: datetime) -> Student:
    """Take back a student's absence: a pending absence is undone; one already published in a version
    is recorded as the late change "present again" (the student gets a programme in the next plan)."""
    career_day = student.school_class.career_day
    _require(actor, career_day)
    school_class = lock_or_gone(student.school_class, field="student")
    if student not in school_class.students:
        raise Gone(field="student")
    if student.absent_at is None:
        raise DomainError("%(name)s is not marked absent.", field="student", name=student.display_name)
    student.absent_at = None
    db.session.flush()
    if not _undo_pending(actor, career_day, STUDENT_ABSENT, "student_id", student.id, now):
        _record(actor, career_day, STUDENT_PRESENT, now, **_student_details(student))
    return student


def restore_offer(actor: User, offer: Offer, now: datetime) -> Offer:
    """Take back an offer's withdrawal: a pending withdrawal is undone; one already published in a
    version is recorded as the late change "offered again" (its slots return to the next plan)."""
    career_day = offer.career_day
    _require(actor, career_day)
    offer = lock_or_gone(offer, field="offer")
    if offer.withdrawn_at is None:
        raise DomainError("%(offer)s is not withdrawn.", field="offer", offer=offer.title)
    offer.withdrawn_at = None
    db.session.flush()
    if not _undo_pending(actor, career_day, OFFER_WITHDRAWN, "offer_id", offer.id, now):
        _record(actor, career_day, OFFER_RESTORED, now, offer_id=offer.id, offer=offer.title, company=offer.company.name)
    return offer


def correct_wishes(actor: User, student: Student, offer_ids: list[int], now: datetime) -> Student:
    """Replace the student's wishes (as the teacher would have entered them), first wish first."""
    career_day = student.school_class.career_day
    _require(actor, career_day)
    if student.absent_at is not None:
        raise DomainError("%(name)s is marked absent.", field="offers", name=student.display_name)
    before = [p.offer.title for p in student.preferences]
    wishes.submit_wishes(actor, student, offer_ids, now)
    db.session.expire(student, ["preferences"])
    after = [p.offer.title for p in student.preferences]
    if after != before:
        _record(actor, career_day, WISHES_CORRECTED, now, **_student_details(student), before=before, after=after)
    return student


# ---------------------------------------------------------------------------------------------
# pending until the next version


def pending(career_day: CareerDay) -> list[LateChange]:
    """The late changes not yet in a published version, oldest first."""
    return list(db.session.scalars(select(LateChange).where(LateChange.career_day_id == career_day.id,
                                                            LateChange.publication_id.is_(None))
                                   .order_by(LateChange.created_at, LateChange.id).options(joinedload(LateChange.actor))))


def settle(publication: Publication, allocation: Allocation) -> int:
    """``allocation`` is published as ``publication``: the pending changes accepted before its run
    started are now part of it (how many). A change accepted while the run was queued or working
    stays pending: that plan did not see it."""
    return db.session.execute(
        update(LateChange).where(LateChange.career_day_id == publication.career_day_id,
                                 LateChange.publication_id.is_(None), LateChange.created_at <= allocation.created_at)
        .values(publication_id=publication.id).execution_options(synchronize_session="fetch")
    ).rowcount


def replan(actor: User, career_day: CareerDay, now: datetime) -> Allocation:
    """Queue the engine's minimal-change re-solve of the published allocation (its fixed assignments
    kept, as few programmes changed as it can), taking every pending change into account."""
    _require(actor, career_day)
    if not pending(career_day):
        raise DomainError("No late changes are pending.")
    return allocations.resolve_with_minimal_changes(actor, career_day.published_allocation, now)


def publish_replan(actor: User, draft: Allocation, now: datetime) -> Publication:
    """Publish ``draft`` as the next version, if it is still the day's current re-plan (:func:`replan_of`):
    a re-plan made before a change was accepted or taken back would publish a plan that contradicts it
    (a page left open in another tab)."""
    career_day = draft.career_day
    _require(actor, career_day)
    if draft != replan_of(career_day):
        raise DomainError("This re-plan does not match the pending changes any more (a change was accepted or taken "
                          "back since). Please re-plan.")
    return allocations.publish(actor, draft, now)


def replan_of(career_day: CareerDay) -> Allocation | None:
    """The latest re-plan of the published allocation started after the latest pending change and the
    latest undone one (so it includes them all, and none taken back), in whatever state; None if
    there is none."""
    changes = pending(career_day)
    if career_day.published_allocation_id is None or not changes:
        return None
    undone = db.session.scalar(select(func.max(AuditEntry.at)).where(
        AuditEntry.action == UNDONE, AuditEntry.object_type == CareerDay.__tablename__, AuditEntry.object_id == career_day.id))
    since = max(changes[-1].created_at, undone) if undone is not None else changes[-1].created_at
    return db.session.scalar(
        select(Allocation).where(Allocation.career_day_id == career_day.id,
                                 Allocation.based_on_id == career_day.published_allocation_id,
                                 Allocation.created_at >= since,
                                 Allocation.state != AllocationState.failed)
        .order_by(Allocation.id.desc()).limit(1))


# ---------------------------------------------------------------------------------------------
# who changes, and why


REASON_NEW = N_("registered late")
REASON_ABSENT = N_("marked absent")
REASON_WISHES = N_("wishes corrected")
REASON_WITHDRAWN = N_("%(offer)s was withdrawn")
REASON_ROOM = N_("moved to make room for the late changes")
REASON_PRESENT = N_("reported present again")
REASON_RESTORED = N_("%(offer)s is offered again")


@dataclass(frozen=True)
class Why:
    """A student whose programme changes, with the reasons in the user's words (msgid, params)."""

    change: StudentChange
    reasons: tuple[tuple[str, dict], ...]


def who_changes(draft: Allocation, changes: list[LateChange]) -> tuple[Publication | None, list[Why]]:
    """Every student whose programme ``draft`` changes against the published version, with why: the
    late change naming the student, an offer of theirs withdrawn, or else room made for the others."""
    against, changed = changes_against_published(draft)
    by_student: dict[int, list[str]] = {}
    withdrawn: dict[int, str] = {}
    restored: dict[int, str] = {}
    for change in changes:
        reason = {CLASS_REGISTERED: REASON_NEW, STUDENTS_ADDED: REASON_NEW, STUDENT_ABSENT: REASON_ABSENT,
                  WISHES_CORRECTED: REASON_WISHES, STUDENT_PRESENT: REASON_PRESENT}.get(change.kind)
        for student_id in change.details.get("student_ids", [change.details.get("student_id")]):
            if reason is not None and student_id is not None:
                by_student.setdefault(student_id, []).append(reason)
        if change.kind == OFFER_WITHDRAWN:
            withdrawn[change.details["offer_id"]] = change.details["offer"]
        if change.kind == OFFER_RESTORED:
            restored[change.details["offer_id"]] = change.details["offer"]
    found = []
    for change in changed:
        reasons = [(reason, {}) for reason in dict.fromkeys(by_student.get(change.student_id, []))]
        reasons += [(REASON_WITHDRAWN, {"offer": withdrawn[r.before.offer.id]}) for r in change.rounds
                    if r.before is not None and r.before.offer.id in withdrawn]
        reasons += [(REASON_RESTORED, {"offer": restored[r.after.offer.id]}) for r in change.rounds
                    if r.after is not None and r.after.offer.id in restored]
        found.append(Why(change, tuple(reasons) or ((REASON_ROOM, {}),)))
    return against, found


# ---------------------------------------------------------------------------------------------
# in the user's words


DESCRIPTIONS = {
    CLASS_REGISTERED: N_("Class %(class_name)s (%(school)s) registered late, with %(students)s"),
    STUDENTS_ADDED: N_("%(students)s added to class %(class_name)s (%(school)s)"),
    STUDENT_ABSENT: N_("%(student)s (class %(class_name)s, %(school)s) marked absent"),
    OFFER_WITHDRAWN: N_("%(offer)s (%(company)s) withdrawn"),
    WISHES_CORRECTED: N_("Wishes of %(student)s (class %(class_name)s, %(school)s) corrected: %(after)s"),
    STUDENT_PRESENT: N_("%(student)s (class %(class_name)s, %(school)s) reported present again"),
    OFFER_RESTORED: N_("%(offer)s (%(company)s) offered again"),
}
WITHDRAWN_LOCKS = N_("%(offer)s (%(company)s) withdrawn; %(released_locks)d fixed assignments on it are released")
DETAILS_DELETED = N_("Details deleted with the students' data")


def describe(change: LateChange) -> tuple[str, dict]:
    """What changed, as a msgid and its parameters (``_(msgid, **params)`` in a template)."""
    details = change.details or {}
    params = {**details, "students": ", ".join(details.get("students", [])), "after": ", ".join(details.get("after", []))}
    message = WITHDRAWN_LOCKS if change.kind == OFFER_WITHDRAWN and details.get("released_locks") else DESCRIPTIONS.get(change.kind)
    try:
        message % params
    except (KeyError, TypeError, ValueError):
        return DETAILS_DELETED, {}
    return message, params
