"""A small career day for the allocation tests: 3 rounds, 4 offers, 2 classes × 6 students.

- class "9a" (grade 9) is present in all three rounds; class "10b" (grade 10) only from round 2;
- offer "Elektroniker/in" is open to grade 10 only; every slot has 4 seats;
- every student ranks three offers.
"""
from __future__ import annotations

from dataclasses import dataclass

from scheduler_app.extensions import db
from scheduler_app.models import CareerDay, Offer, OrganisationKind, Preference, SchoolClass, Student
from tests.factories import make_career_day, make_offer, make_organisation, make_school_class


def make_preference(student: Student, offer: Offer, rank: int) -> Preference:
    preference = Preference(student=student, offer=offer, rank=rank)
    db.session.add(preference)
    db.session.flush()
    return preference


@dataclass
class SmallDay:
    career_day: CareerDay
    offers: list[Offer]
    classes: list[SchoolClass]

    @property
    def students(self) -> list[Student]:
        return [s for c in self.classes for s in sorted(c.students, key=lambda s: s.id)]


def make_small_day(capacity: int = 4) -> SmallDay:
    career_day = make_career_day(rounds=3, name="BO-Tag Bramsche", slots_per_student=3)
    titles = ["Kfz-Mechatroniker/in", "Pflegefachkraft", "Industriekaufleute", "Elektroniker/in"]
    offers = [make_offer(career_day, title=title, capacity=capacity) for title in titles]
    offers[3].min_grade = 10
    school = make_organisation(OrganisationKind.school, name="Realschule Bramsche")
    nine = make_school_class(career_day, school=school, grade=9, students=6, name="9a")
    ten = make_school_class(career_day, school=school, grade=10, students=6, name="10b", first_round=2)
    for index, student in enumerate(sorted(nine.students, key=lambda s: s.id)):
        for rank, offer in enumerate((offers[index % 3], offers[(index + 1) % 3], offers[(index + 2) % 3]), start=1):
            make_preference(student, offer, rank)
    for index, student in enumerate(sorted(ten.students, key=lambda s: s.id)):
        for rank, offer in enumerate((offers[3], offers[index % 3], offers[(index + 1) % 3]), start=1):
            make_preference(student, offer, rank)
    db.session.flush()
    return SmallDay(career_day, offers, [nine, ten])


def require_solver():
    """The allocation engine's module (it once landed in parallel with these tests; now it must be there)."""
    import scheduler_app.solver as solver

    return solver


def allocate(career_day: CareerDay, actor=None, based_on=None, now_fn=None, **run_options):
    """Queue and run an allocation of the day (commits, as the job process does); the clock stands
    at 2027-02-01 12:00 unless ``now_fn`` is given."""
    from datetime import datetime

    from scheduler_app.allocation_runs import run_allocation
    from scheduler_app.domain.allocation import start_allocation

    now_fn = now_fn or (lambda: datetime(2027, 2, 1, 12, 0))
    allocation = start_allocation(actor, career_day, now_fn(), based_on=based_on)
    db.session.commit()
    return run_allocation(allocation.id, now_fn, **run_options)
