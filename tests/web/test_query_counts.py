"""The pages that show a whole career day load it in a constant number of SQL queries: the count
is pinned on two days of different sizes (more classes, students, offers and assignments) and must
be the same on both. A page that loads per student or per slot fails here."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime

import pytest
from sqlalchemy import event

from scheduler_app.extensions import db
from scheduler_app.models import Allocation, AllocationState, Assignment, Exclusion, Preference, Role
from scheduler_app.models_base import utc_now
from tests import factories
from tests.web.career_day_helpers import make_day

COORDINATOR = "coordinator@example.org"
TEACHER = "teacher@example.org"
COMPANY = "company@example.org"


def _build(app, tag: str, classes: int, students: int, offers: int) -> dict:
    """A day of 3 rounds with ``offers`` offers (rooms, grade limits), ``classes`` classes of
    ``students`` students (two wishes and one exclusion each), a draft allocation that serves most
    students and the same allocation published (a snapshot): everything a page may load per item."""
    with app.app_context():
        day = make_day(rounds=3, wishes_count=2, slots_per_student=2)
        factories.make_user(day.programme.agency, Role.coordinator, email=tag + COORDINATOR)
        school = factories.make_organisation(factories.OrganisationKind.school, name=tag + "Schule")
        company = factories.make_organisation(factories.OrganisationKind.company, name=tag + "Betrieb")
        factories.make_school_contact(school, email=tag + TEACHER)
        factories.make_company_contact(company, email=tag + COMPANY)
        made = [factories.make_offer(day, company=company if i == 0 else None, title=f"Angebot {i}", capacity=students * classes,
                                     max_grade=12 if i % 2 else None) for i in range(offers)]
        klasses = [factories.make_school_class(day, school=school, students=students, name=f"9{chr(97 + c)}")
                   for c in range(classes)]
        rounds = list(day.rounds)
        drafts = []
        for _kind in ("draft", "published"):
            allocation = Allocation(career_day=day, state=AllocationState.done, solver_status="optimal", progress=1.0,
                                    created_at=datetime(2027, 3, 1), finished_at=datetime(2027, 3, 1), objective=0)
            db.session.add(allocation)
            drafts.append(allocation)
        for c, klass in enumerate(klasses):
            for s, student in enumerate(klass.students):
                first, second = made[(c + s) % offers], made[(c + s + 1) % offers]
                db.session.add_all([Preference(student=student, offer=first, rank=1),
                                    Preference(student=student, offer=second, rank=2),
                                    Exclusion(student=student, offer=made[(c + s + 2) % offers])])
                if s == 0:
                    continue  # under-served: one free round fewer than wanted
                for allocation in drafts:
                    for offer, round_ in ((first, rounds[0]), (second, rounds[1])):
                        slot = next(sl for sl in offer.slots if sl.round_id == round_.id)
                        allocation.assignments.append(Assignment(student=student, slot=slot, round_id=slot.round_id,
                                                                 offer_id=slot.offer_id, locked=s == 1))
        db.session.flush()
        from scheduler_app.domain.allocation import publish

        publish(None, drafts[1], utc_now(), close_early=True)
        db.session.commit()
        return {"tag": tag, "day": day.id, "draft": drafts[0].id, "published": drafts[1].id, "class": klasses[0].id}


@contextmanager
def _counting(app):
    counts = []
    with app.app_context():
        engine = db.engine

    def count(*_args):
        counts.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield counts
    finally:
        event.remove(engine, "before_cursor_execute", count)


PAGES = [
    (COORDINATOR, "/coordinator/allocations/{draft}"),
    (COORDINATOR, "/coordinator/allocations/{published}"),
    (COORDINATOR, "/coordinator/allocations/{draft}/assignments.csv"),
    (COORDINATOR, "/coordinator/allocations/{draft}/assignments.xlsx"),
    (COORDINATOR, "/coordinator/allocations/{published}/assignments.csv"),
    (COORDINATOR, "/coordinator/allocations/{draft}/instance.json"),
    (COORDINATOR, "/coordinator/allocations/{draft}/result.json"),
    (COORDINATOR, "/coordinator/career-days/{day}/print/route-sheets"),
    (COORDINATOR, "/coordinator/career-days/{day}/print/door-lists"),
    (TEACHER, "/school/classes/{class}/class-list"),
    (TEACHER, "/school/classes/{class}/route-sheets"),
    (COMPANY, "/company/career-days/{day}/door-lists"),
]


def _measure(app, client, auth, ids: dict) -> dict[str, int]:
    measured = {}
    for user, pattern in PAGES:
        auth.login(ids["tag"] + user)
        url = pattern.format(**ids)
        client.get(url)  # warm: caches filled, session cookie settled
        with _counting(app) as counts:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        measured[pattern] = len(counts)
        auth.logout()
    return measured


@pytest.mark.parametrize("sizes", [((1, 3, 3), (4, 12, 9))])
def test_whole_day_pages_run_the_same_number_of_queries_on_a_small_and_a_larger_day(app, client, auth, sizes):
    small, large = sizes
    small_ids = _build(app, "small-", *small)
    small_counts = _measure(app, client, auth, small_ids)
    large_ids = _build(app, "large-", *large)
    large_counts = _measure(app, client, auth, large_ids)
    assert large_counts == small_counts
    assert max(small_counts.values()) <= 40, small_counts  # and few: a page is a handful of statements
