"""Students' wishes: a student opens the wishes page with the class code and personal code (no
account), ranks the offers open to the class, and may change them until the wishes deadline.
A teacher of the school or a coordinator may enter wishes for a student who cannot.
"""
from __future__ import annotations

import hmac
from datetime import datetime

from sqlalchemy import select, update

from scheduler_app.domain import audit
from scheduler_app.domain.career_days import Deadline, check_deadline, is_contact_or_coordinator
from scheduler_app.domain.errors import DomainError, NotAllowed
from scheduler_app.domain.locks import Gone, lock_or_gone
from scheduler_app.extensions import db
from scheduler_app.models import Offer, Preference, SchoolClass, Student


def normalise_code(code: str | None) -> str:
    """Codes as people type them: any case, with spaces or dashes."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def find_student(class_code: str, personal_code: str) -> Student | None:
    """The student with these codes, or None. The personal code is compared in constant time."""
    class_code, personal_code = normalise_code(class_code), normalise_code(personal_code)
    if not class_code or not personal_code:
        return None
    school_class = db.session.scalar(select(SchoolClass).where(SchoolClass.class_code == class_code))
    if school_class is None:
        return None
    found = None
    for student in school_class.students:
        if hmac.compare_digest(student.personal_code.encode(), personal_code.encode()):
            found = student
    return found


def end_student_sessions(student: Student) -> None:
    """Sign the student out everywhere: every session cookie issued before stops working."""
    db.session.execute(
        update(Student).where(Student.id == student.id).values(session_version=Student.session_version + 1)
        .execution_options(synchronize_session="fetch")
    )


def eligible_offers(student: Student) -> list[Offer]:
    """Offers open to the class's grade with a slot in a round the class is present, by title."""
    school_class = student.school_class
    return _eligible_for_class(school_class)


def _eligible_for_class(school_class: SchoolClass) -> list[Offer]:
    offers = [
        offer for offer in school_class.career_day.offers
        if offer.withdrawn_at is None and offer.open_to_grade(school_class.grade) and any(school_class.present_in(s.round.position) for s in offer.slots)
    ]
    return sorted(offers, key=lambda offer: (offer.title.lower(), offer.id))


def wishes_required(student: Student) -> int:
    """How many offers the student ranks: the day's number, or fewer if fewer are open to the class."""
    return min(student.school_class.career_day.wishes_count, len(eligible_offers(student)))


def submit_wishes(actor, student: Student, offer_ids_in_rank_order: list[int], now: datetime) -> list[Preference]:
    """Replace the student's wishes by these offers (first = Erstwunsch), all or nothing.

    ``actor`` is the student, a contact of the student's school or a coordinator of the day.
    Exactly :func:`wishes_required` distinct eligible offers; the same list again changes nothing.
    The class's row is locked first (as for every change to a class and its roster), so the same
    form sent many times at once replaces the wishes one submission after another, never two
    deleting and inserting the same ranks together, nor beside a class change dropping wishes.
    """
    school_class = lock_or_gone(student.school_class, field="offers")
    if student not in school_class.students:
        raise Gone(field="offers")
    career_day = school_class.career_day
    if not (actor is student or is_contact_or_coordinator(actor, school_class.school, career_day)):
        raise NotAllowed("Only the student, their teacher or a coordinator may enter these wishes.")
    check_deadline(actor, career_day, Deadline.wishes, now)
    eligible = {offer.id: offer for offer in _eligible_for_class(school_class)}
    required = min(career_day.wishes_count, len(eligible))
    if required == 0:
        raise DomainError("No offers are open to this class yet.", field="offers")
    ids = list(offer_ids_in_rank_order)
    if len(set(ids)) != len(ids):
        raise DomainError("Each offer may be chosen only once.", field="offers")
    if len(ids) != required:
        raise DomainError("Please rank exactly %(n)d offers.", field="offers", n=required)
    for offer_id in ids:
        if offer_id in eligible:
            continue
        offer = db.session.get(Offer, offer_id)
        if offer is None or offer.career_day_id != career_day.id:
            raise DomainError("This offer is not available on this day.", field="offers")
        if not offer.open_to_grade(school_class.grade):
            raise DomainError("This offer is not open to grade %(grade)d: %(title)s", field="offers",
                              grade=school_class.grade, title=offer.title)
        raise DomainError("This offer takes place only while the class is not there: %(title)s", field="offers",
                          title=offer.title)
    if [p.offer_id for p in student.preferences] == ids and student.wishes_submitted_at is not None:
        return list(student.preferences)  # a stale form submitted again: nothing to change
    student.preferences.clear()
    db.session.flush()  # old ranks go before new ones are inserted (unique per student and rank)
    for rank, offer_id in enumerate(ids, start=1):
        student.preferences.append(Preference(offer_id=offer_id, rank=rank))
    student.wishes_submitted_at = now
    db.session.flush()
    audit.record(actor if actor is not student else None, "student.submit_wishes", student, now,
                 by_student=actor is student, offers=ids)
    return list(student.preferences)


def drop_ineligible_wishes(school_class: SchoolClass) -> int:
    """After a class's grade or presence window changed: drop wishes for offers no longer open to
    it; those students must rank again. Returns how many students are affected."""
    eligible = {offer.id for offer in _eligible_for_class(school_class)}
    affected = 0
    for student in school_class.students:
        stale = [p for p in student.preferences if p.offer_id not in eligible]
        if stale:
            affected += 1
            for preference in stale:
                student.preferences.remove(preference)
            student.wishes_submitted_at = None
    if affected:
        db.session.flush()
    return affected


def arrange(picked: list[int], action: str, eligible: list[int], required: int) -> list[int]:
    """The student's list of wishes (offer ids, best first) after one button of the wishes page:
    ``add:ID`` (appended while fewer than ``required``), ``remove:ID``, ``up:ID``, ``down:ID``.
    Ids not in ``eligible`` and repeats are dropped first; an unknown action changes nothing.
    Pure: the list lives in the page until the student saves it (:func:`submit_wishes`)."""
    allowed = set(eligible)
    wishes: list[int] = []
    for offer_id in picked:
        if offer_id in allowed and offer_id not in wishes and len(wishes) < required:
            wishes.append(offer_id)
    verb, _sep, argument = (action or "").partition(":")
    if not argument.isdigit() or len(argument) > 10:
        return wishes
    offer_id = int(argument)
    if verb == "add" and offer_id in allowed and offer_id not in wishes and len(wishes) < required:
        wishes.append(offer_id)
    elif verb == "remove" and offer_id in wishes:
        wishes.remove(offer_id)
    elif verb in ("up", "down") and offer_id in wishes:
        index = wishes.index(offer_id)
        other = index - 1 if verb == "up" else index + 1
        if 0 <= other < len(wishes):
            wishes[index], wishes[other] = wishes[other], wishes[index]
    return wishes
