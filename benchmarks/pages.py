"""Page benchmark: the pages that show a whole career day, on a day of 5,000 students.

    python -m benchmarks.pages [--students 5000] [--offers 120] [--rounds 5] [--time-limit 60] [--repeat 3]

Builds the day in a SQLite file (classes of 25 students, each ranking 5 offers; offers of 120
companies with a slot in every round, seats for everyone), allocates it with the engine as the job
process would (explanations are computed then), publishes it, and requests each page through the
test client as the coordinator, the teacher of the first class and the first company's contact.
Prints each page's median time and its SQL query count (the same on every size: see
tests/web/test_query_counts.py). Target: every page under 2 s.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import event, insert

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

COORDINATOR, TEACHER, COMPANY = "coordinator@example.org", "teacher@example.org", "company@example.org"
PASSWORD = "correct horse battery"


def build(app, students: int, offers: int, rounds: int) -> dict:
    from scheduler_app.extensions import db
    from scheduler_app.models import OrganisationKind, Preference, Student
    from tests import factories

    rng = random.Random(0)
    with app.app_context():
        db.create_all()
        coordinator = factories.make_coordinator(email=COORDINATOR)
        programme = factories.make_programme(coordinator.memberships[0].organisation)
        day = factories.make_career_day(programme, rounds=rounds, day=date(2027, 3, 10), slots_per_student=3,
                                        wishes_count=5, name="BO-Tag Benchmark")
        seats = -(-students * 3 // (offers * rounds)) + 2
        made = [factories.make_offer(day, title=f"Angebot {i + 1}", capacity=seats) for i in range(offers)]
        factories.make_company_contact(made[0].company, email=COMPANY)
        school = factories.make_organisation(OrganisationKind.school, name="Gesamtschule Benchmark")
        factories.make_school_contact(school, email=TEACHER)
        first_class = None
        for index in range(-(-students // 25)):
            size = min(25, students - index * 25)
            klass = factories.make_school_class(day, school=school, grade=9 + index % 2, name=f"K{index + 1:03d}",
                                                headcount=size)
            first_class = first_class or klass
            db.session.execute(insert(Student), [{"class_id": klass.id, "display_name": f"Schüler {n + 1} K{index + 1}",
                                                  "personal_code": f"P{n:05d}"} for n in range(size)])
        db.session.flush()
        student_ids = db.session.scalars(db.select(Student.id)).all()
        popular = [o.id for o in made]
        weights = [1.0 / (1 + i % 40) for i in range(offers)]
        rows = []
        for student_id in student_ids:
            chosen = set()
            while len(chosen) < 5:
                chosen.add(rng.choices(popular, weights)[0])
            rows += [{"student_id": student_id, "offer_id": offer_id, "rank": rank}
                     for rank, offer_id in enumerate(chosen, start=1)]
        db.session.execute(insert(Preference), rows)
        db.session.commit()
        return {"day": day.id, "class": first_class.id}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=5000)
    parser.add_argument("--offers", type=int, default=120)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--time-limit", type=float, default=60)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from scheduler_app.allocation_runs import run_allocation
    from scheduler_app.domain.allocation import publish, start_allocation
    from scheduler_app.extensions import db
    from scheduler_app.factory import create_app
    from scheduler_app.models import Allocation, CareerDay
    from scheduler_app.models_base import utc_now
    from tests.conftest import settings

    with tempfile.TemporaryDirectory() as directory:
        app = create_app(settings(SQLALCHEMY_DATABASE_URI=f"sqlite:///{directory}/bench.sqlite"))
        started = time.perf_counter()
        ids = build(app, args.students, args.offers, args.rounds)
        print(f"built {args.students} students × {args.offers} offers × {args.rounds} rounds "
              f"in {time.perf_counter() - started:.0f} s")
        with app.app_context():
            started = time.perf_counter()
            allocation = start_allocation(None, db.session.get(CareerDay, ids["day"]), utc_now())
            db.session.commit()
            allocation = run_allocation(allocation.id, utc_now, time_limit_s=args.time_limit)
            print(f"allocated ({allocation.solver_status}, {len(allocation.explanations or {})} students explained) "
                  f"in {time.perf_counter() - started:.0f} s")
            ids["allocation"] = allocation.id
            engine = db.engine

        drafts = [
            (COORDINATOR, "review (draft, with the move form)", "/coordinator/allocations/{allocation}"),
            (COORDINATOR, "assignments.csv (draft)", "/coordinator/allocations/{allocation}/assignments.csv"),
            (COORDINATOR, "assignments.xlsx (draft)", "/coordinator/allocations/{allocation}/assignments.xlsx"),
            (COORDINATOR, "instance.json", "/coordinator/allocations/{allocation}/instance.json"),
            (COORDINATOR, "result.json", "/coordinator/allocations/{allocation}/result.json"),
        ]
        published = [
            (COORDINATOR, "review (published)", "/coordinator/allocations/{allocation}"),
            (COORDINATOR, "assignments.csv (published)", "/coordinator/allocations/{allocation}/assignments.csv"),
            (COORDINATOR, "assignments.xlsx (published)", "/coordinator/allocations/{allocation}/assignments.xlsx"),
            (COORDINATOR, "route sheets (all)", "/coordinator/career-days/{day}/print/route-sheets"),
            (COORDINATOR, "door lists (all)", "/coordinator/career-days/{day}/print/door-lists"),
            (TEACHER, "class list", "/school/classes/{class}/class-list"),
            (TEACHER, "route sheets (class)", "/school/classes/{class}/route-sheets"),
            (COMPANY, "door lists (company)", "/company/career-days/{day}/door-lists"),
        ]
        client = app.test_client()
        print("| page | median s | max s | queries |\n|---|---|---|---|")
        measure(client, engine, drafts, ids, args.repeat)
        with app.app_context():
            publish(None, db.session.get(Allocation, ids["allocation"]), utc_now(), close_early=True)
            db.session.commit()
        measure(client, engine, published, ids, args.repeat)
        with app.app_context():
            db.engine.dispose()


def measure(client, engine, pages, ids: dict, repeat: int) -> None:
    """Request each page ``repeat`` times as its user; print the median and worst time and the queries."""
    for user, name, pattern in pages:
        client.post("/auth/login", data={"email": user, "password": PASSWORD})
        url = pattern.format(**ids)
        times, counts = [], []
        for _ in range(repeat):
            seen = []

            def listener(*_args, _seen=seen):
                _seen.append(1)

            event.listen(engine, "before_cursor_execute", listener)
            began = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - began)
            event.remove(engine, "before_cursor_execute", listener)
            assert response.status_code == 200, (url, response.status_code)
            counts.append(len(seen))
        print(f"| {name} | {statistics.median(times):.2f} | {max(times):.2f} | {counts[-1]} |")
        client.post("/auth/logout")


if __name__ == "__main__":
    main()
