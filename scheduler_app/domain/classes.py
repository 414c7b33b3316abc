"""Classes and their rosters: a teacher registers classes for a career day and enters the students.

Places: a class's ``headcount`` is the number of places it holds on the day (taken from the day's
``max_students`` by a conditional UPDATE, so concurrent registrations never exceed the limit).
The roster may not grow beyond the headcount; to add more students the teacher first raises the
headcount with :func:`update_class`, which takes (or gives back) the difference. The headcount may
not fall below the students already entered.

Concurrency: every change to a class, its roster or its students' wishes first locks the class's row
(:func:`~scheduler_app.domain.locks.lock_or_gone`), so simultaneous requests for one class run one
after another and each decides on what the previous one committed: the difference in places comes
from the headcount read under the lock, the roster check from the roster read under the lock. Class
names are unique per school and day ignoring case and spaces (a unique index on ``name_key``).

Deadlines: classes are registered, changed and removed until the registration deadline; rosters
change until the wishes deadline (a late student still needs to rank). Coordinators are exempt.
Each class gets an 8-character class code and each student a 6-character personal code, from an
alphabet without look-alikes (no 0/O, 1/I); together they open the student's wishes page.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

import segno
from sqlalchemy import select

from scheduler_app.domain import audit, wishes
from scheduler_app.domain.career_days import (
    Deadline,
    bump_calendar_sequence,
    check_deadline,
    is_contact_or_coordinator,
    take_part,
)
from scheduler_app.domain.errors import DomainError, NotAllowed
from scheduler_app.domain.locks import Gone, lock_or_gone, unique_violation_as
from scheduler_app.domain.seats import release_career_day_places, take_career_day_places
from scheduler_app.extensions import db
from scheduler_app.models import Assignment, CareerDay, Organisation, OrganisationKind, SchoolClass, Student, User
from scheduler_app.models_base import normalise_name

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CLASS_CODE_LENGTH = 8
PERSONAL_CODE_LENGTH = 6
NAME_MAX_LENGTH = 60
TEACHER_MAX_LENGTH = 200
MAX_HEADCOUNT = 60


def new_code(length: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def _new_class_code() -> str:
    while True:
        code = new_code(CLASS_CODE_LENGTH)
        if db.session.scalar(select(SchoolClass.id).where(SchoolClass.class_code == code)) is None:
            return code


def _check_school(actor, career_day: CareerDay, school: Organisation) -> None:
    if school.kind is not OrganisationKind.school or not is_contact_or_coordinator(actor, school, career_day):
        raise NotAllowed("Only contacts of this school may do this.")


def _places_left(career_day: CareerDay) -> int:
    max_students, registered = db.session.execute(
        select(CareerDay.max_students, CareerDay.registered_students).where(CareerDay.id == career_day.id)
    ).one()
    return 0 if max_students is None else max(max_students - registered, 0)


def _take_places(career_day: CareerDay, n: int) -> None:
    if n > 0 and not take_career_day_places(career_day.id, n):
        raise DomainError("Only %(n)d places are left on this day.", field="headcount", n=_places_left(career_day))


def _clean(career_day: CareerDay, *, name, grade, headcount, first_round, last_round, teacher_name) -> dict:
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("Please enter a name.", field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise DomainError("The name may have at most %(n)d characters.", field="name", n=NAME_MAX_LENGTH)
    if not 1 <= grade <= 13:
        raise DomainError("Grades range from %(low)d to %(high)d.", field="grade", low=1, high=13)
    if not 1 <= headcount <= MAX_HEADCOUNT:
        raise DomainError("A class has between 1 and %(n)d students.", field="headcount", n=MAX_HEADCOUNT)
    positions = [r.position for r in career_day.rounds]
    for field, position in (("first_round", first_round), ("last_round", last_round)):
        if position is not None and position not in positions:
            raise DomainError("This day has no round %(n)d.", field=field, n=position)
    if first_round is not None and last_round is not None and first_round > last_round:
        raise DomainError("The class must arrive before it leaves.", field="last_round")
    teacher_name = " ".join((teacher_name or "").split()) or None
    if teacher_name is not None and len(teacher_name) > TEACHER_MAX_LENGTH:
        raise DomainError("The name may have at most %(n)d characters.", field="teacher_name", n=TEACHER_MAX_LENGTH)
    return dict(name=name, teacher_name=teacher_name)


UNIQUE_NAME = "uq_school_class_career_day_id_school_id_name_key"


def _name_taken() -> DomainError:
    return DomainError("Your school has already registered a class with this name for this day.", field="name")


def _check_name_free(career_day: CareerDay, school: Organisation, name: str, school_class: SchoolClass | None = None) -> None:
    """The friendly check; the unique index decides when two requests check at the same moment."""
    query = select(SchoolClass.id).where(SchoolClass.career_day_id == career_day.id, SchoolClass.school_id == school.id,
                                         SchoolClass.name_key == normalise_name(name))
    if school_class is not None:
        query = query.where(SchoolClass.id != school_class.id)
    if db.session.scalar(query) is not None:
        raise _name_taken()


def register_class(actor: User, career_day: CareerDay, school: Organisation, *, name: str, grade: int, headcount: int,
                   first_round: int | None, last_round: int | None, teacher_name: str | None,
                   now: datetime) -> SchoolClass:
    """Register a class, present from round ``first_round`` to ``last_round`` (None: from the start /
    until the end), holding ``headcount`` of the day's places."""
    _check_school(actor, career_day, school)
    check_deadline(actor, career_day, Deadline.registration, now)
    fields = _clean(career_day, name=name, grade=grade, headcount=headcount, first_round=first_round,
                    last_round=last_round, teacher_name=teacher_name)
    _check_name_free(career_day, school, fields["name"])
    _take_places(career_day, headcount)
    school_class = SchoolClass(
        career_day=career_day, school=school, name=fields["name"], grade=grade, headcount=headcount,
        first_round=first_round, last_round=last_round, class_code=_new_class_code(),
        teacher_name=fields["teacher_name"], created_at=now,
    )
    db.session.add(school_class)
    with unique_violation_as(UNIQUE_NAME, _name_taken()):
        db.session.flush()
    take_part(career_day, school, now)
    audit.record(actor, "class.register", school_class, now, name=school_class.name, headcount=headcount)
    return school_class


def update_class(actor: User, school_class: SchoolClass, *, name: str, grade: int, headcount: int,
                 first_round: int | None, last_round: int | None, teacher_name: str | None, now: datetime) -> SchoolClass:
    """Change a class. A changed headcount takes or gives back places; it may not fall below the
    roster. If the grade or presence window changes, wishes for offers no longer open to the class
    are dropped and those students must rank again."""
    school_class = lock_or_gone(school_class)
    career_day = school_class.career_day
    _check_school(actor, career_day, school_class.school)
    check_deadline(actor, career_day, Deadline.registration, now)
    fields = _clean(career_day, name=name, grade=grade, headcount=headcount, first_round=first_round,
                    last_round=last_round, teacher_name=teacher_name)
    _check_name_free(career_day, school_class.school, fields["name"], school_class)
    if headcount < len(school_class.students):
        raise DomainError("%(n)d students are already entered; please remove students first.", field="headcount",
                          n=len(school_class.students))
    delta = headcount - school_class.headcount  # the headcount read under the lock: the places it holds now
    _take_places(career_day, delta)
    if delta < 0:
        release_career_day_places(career_day.id, -delta)
    school_class.name, school_class.grade, school_class.headcount = fields["name"], grade, headcount
    moved = (school_class.first_round, school_class.last_round) != (first_round, last_round)
    school_class.first_round, school_class.last_round = first_round, last_round
    school_class.teacher_name = fields["teacher_name"]
    with unique_violation_as(UNIQUE_NAME, _name_taken()):
        db.session.flush()
    if moved:
        bump_calendar_sequence(career_day)  # the class's arrival or departure moved in its calendar
    dropped = wishes.drop_ineligible_wishes(school_class)
    audit.record(actor, "class.update", school_class, now, name=school_class.name, headcount=headcount,
                 students_to_rank_again=dropped)
    return school_class


def _check_not_assigned(students: list[Student]) -> None:
    if students and db.session.scalar(select(Assignment.id).where(Assignment.student_id.in_([s.id for s in students]))):
        raise DomainError("Students are already assigned to offers; please ask the coordinator.")


def remove_class(actor: User, school_class: SchoolClass, now: datetime) -> None:
    """Remove a class with its roster and wishes, giving its places back."""
    school_class = lock_or_gone(school_class)
    career_day = school_class.career_day
    _check_school(actor, career_day, school_class.school)
    check_deadline(actor, career_day, Deadline.registration, now)
    _check_not_assigned(list(school_class.students))
    audit.record(actor, "class.remove", school_class, now, name=school_class.name, headcount=school_class.headcount)
    release_career_day_places(career_day.id, school_class.headcount)
    db.session.delete(school_class)
    db.session.flush()


def clean_display_name(display_name: str | None) -> str:
    return " ".join((display_name or "").split())


def _check_roster_change(actor, school_class: SchoolClass, now: datetime) -> SchoolClass:
    """Lock the class (its roster and headcount are read after this) and check who and when."""
    school_class = lock_or_gone(school_class)
    _check_school(actor, school_class.career_day, school_class.school)
    check_deadline(actor, school_class.career_day, Deadline.wishes, now)
    return school_class


def add_students(actor: User, school_class: SchoolClass, display_names: list[str], now: datetime) -> list[Student]:
    """Add students by display name (pseudonyms welcome), each with a new personal code.

    Blank entries are skipped. Names longer than 60 characters, names that appear twice (in the
    list or already in the class, ignoring case) and a roster larger than the headcount are
    refused with the offending names, and nothing is added.
    """
    school_class = _check_roster_change(actor, school_class, now)
    names = [name for name in (clean_display_name(n) for n in display_names) if name]
    if not names:
        raise DomainError("Please enter at least one name.", field="names")
    too_long = [name for name in names if len(name) > NAME_MAX_LENGTH]
    if too_long:
        raise DomainError("Names may have at most %(n)d characters: %(names)s", field="names", n=NAME_MAX_LENGTH,
                          names=", ".join(too_long))
    seen = {s.display_name.lower() for s in school_class.students}
    duplicates = []
    for name in names:
        if name.lower() in seen and name not in duplicates:
            duplicates.append(name)
        seen.add(name.lower())
    if duplicates:
        raise DomainError("These names appear more than once in the class: %(names)s. Please tell them apart, "
                          "e.g. with an initial.", field="names", names=", ".join(duplicates))
    if len(school_class.students) + len(names) > school_class.headcount:
        raise DomainError("The class is registered with %(n)d students; please raise the number of students first.",
                          field="names", n=school_class.headcount)
    codes = {s.personal_code for s in school_class.students}
    added = []
    for name in names:
        code = new_code(PERSONAL_CODE_LENGTH)
        while code in codes:
            code = new_code(PERSONAL_CODE_LENGTH)
        codes.add(code)
        student = Student(display_name=name, personal_code=code, created_at=now)
        school_class.students.append(student)
        added.append(student)
    db.session.flush()
    audit.record(actor, "class.add_students", school_class, now, count=len(added))
    return added


def _check_student_change(actor, student: Student, now: datetime) -> SchoolClass:
    """:func:`_check_roster_change` for one student's class; Gone when the student was removed meanwhile."""
    school_class = _check_roster_change(actor, student.school_class, now)
    if student not in school_class.students:
        raise Gone()
    return school_class


def rename_student(actor: User, student: Student, display_name: str, now: datetime) -> Student:
    school_class = _check_student_change(actor, student, now)
    name = clean_display_name(display_name)
    if not name:
        raise DomainError("Please enter a name.", field="display_name")
    if len(name) > NAME_MAX_LENGTH:
        raise DomainError("The name may have at most %(n)d characters.", field="display_name", n=NAME_MAX_LENGTH)
    if any(s.display_name.lower() == name.lower() for s in school_class.students if s is not student):
        raise DomainError("These names appear more than once in the class: %(names)s. Please tell them apart, "
                          "e.g. with an initial.", field="display_name", names=name)
    student.display_name = name
    db.session.flush()
    audit.record(actor, "student.rename", student, now)
    return student


def remove_student(actor: User, student: Student, now: datetime) -> None:
    """Remove a student and their wishes (the class keeps its headcount and places)."""
    school_class = _check_student_change(actor, student, now)
    _check_not_assigned([student])
    audit.record(actor, "student.remove", student, now, class_id=school_class.id)
    school_class.students.remove(student)
    db.session.flush()


def qr_svg(data: str, title: str) -> str:
    """An inline SVG QR code for ``data`` (no style attributes, so it passes the CSP); ``title``
    is its accessible name."""
    return segno.make(data, error="m").svg_inline(scale=4, border=2, title=title, svgclass="qr-code", lineclass=None)


@dataclass(frozen=True)
class ClassSheet:
    """What the printed class sheet shows: the codes, the wishes page, and every student's code."""

    school_class: SchoolClass
    career_day: CareerDay
    class_code: str
    wishes_url: str
    qr_svg: str
    students: list[tuple[str, str]]  # (display name, personal code), by name


def class_sheet(actor: User, school_class: SchoolClass, wishes_url: str, qr_title: str) -> ClassSheet:
    """The data for the printable sheet; ``wishes_url`` is the wishes page (the view builds it)."""
    _check_school(actor, school_class.career_day, school_class.school)
    return ClassSheet(
        school_class=school_class, career_day=school_class.career_day, class_code=school_class.class_code,
        wishes_url=wishes_url, qr_svg=qr_svg(wishes_url, qr_title),
        students=sorted(((s.display_name, s.personal_code) for s in school_class.students), key=lambda r: r[0].lower()),
    )
