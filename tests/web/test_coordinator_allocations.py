"""The coordinator's allocation screens: a run is only queued by the request and computed by the job
sweep; the result page shows the histogram, fill and warnings; moves lock; publish opens the print
pages; downloads have the right types and parse."""
from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from scheduler_app import jobs
from scheduler_app.extensions import db
from scheduler_app.models import Allocation, AllocationSlot, AllocationState, Assignment, CareerDay, Preference, Role
from tests import factories
from tests.domain.allocation_data import make_preference, make_small_day, require_solver

COORDINATOR = "coordinator@example.org"


@pytest.fixture(autouse=True)
def _solver():
    require_solver()


def _coordinator_of(career_day: CareerDay):
    return factories.make_user(career_day.programme.agency, Role.coordinator, email=COORDINATOR)


def _small_day(app) -> int:
    with app.app_context():
        day = make_small_day()
        _coordinator_of(day.career_day)
        db.session.commit()
        return day.career_day.id


def _one_round_day(app, capacities: tuple[int, ...], students: int) -> int:
    """One round, an offer per capacity, one class whose students all rank every offer."""
    with app.app_context():
        career_day = factories.make_career_day(rounds=1, slots_per_student=1, wishes_count=len(capacities), name="Speed-Dating")
        offers = [factories.make_offer(career_day, capacity=c, title=f"Tisch {i + 1}") for i, c in enumerate(capacities)]
        school_class = factories.make_school_class(career_day, students=students, name="9c")
        for student in school_class.students:
            for rank, offer in enumerate(offers, start=1):
                make_preference(student, offer, rank)
        _coordinator_of(career_day)
        db.session.commit()
        return career_day.id


def _allocate(app, client, day_id: int) -> int:
    """Start through the page, then run the job sweep as the job process would."""
    response = client.post(f"/coordinator/career-days/{day_id}/allocations")
    assert response.status_code == 302
    assert jobs.run_due_allocations(app) == 1
    return int(response.headers["Location"].rsplit("/", 1)[-1])


def test_starting_an_allocation_only_queues_it_and_the_page_polls_until_the_job_has_run(app, client, auth):
    day_id = _small_day(app)
    auth.login(COORDINATOR)

    response = client.post(f"/coordinator/career-days/{day_id}/allocations")

    assert response.status_code == 302
    allocation_id = int(response.headers["Location"].rsplit("/", 1)[-1])
    with app.app_context():
        allocation = db.session.get(Allocation, allocation_id)
        assert allocation.state is AllocationState.queued
        assert db.session.scalar(select(func.count(Assignment.id))) == 0
    page = client.get(response.headers["Location"])
    assert 'id="allocation-bar"' in page.text and 'data-progress-url="' in page.text
    assert '<script src="/static/allocation.js" defer></script>' in page.text
    assert f'href="/coordinator/allocations/{allocation_id}">Aktualisieren</a>' in page.text
    career_page = client.get(f"/coordinator/career-days/{day_id}").text
    assert f'<a href="/coordinator/allocations/{allocation_id}">Fortschritt ansehen</a>' in career_page
    assert "Zuteilung starten" not in career_page
    progress = client.get(f"/coordinator/allocations/{allocation_id}/progress.json")
    assert progress.json["state"] == "queued" and progress.json["finished"] is False
    assert progress.json["state_label"] == "wartet auf den Start"

    assert jobs.run_due_allocations(app) == 1

    assert client.get(f"/coordinator/allocations/{allocation_id}/progress.json").json["finished"] is True
    page = client.get(f"/coordinator/allocations/{allocation_id}")
    assert page.status_code == 200
    assert "allocation.js" not in page.text
    assert 'aria-labelledby="chart-histogram-title chart-histogram-desc"' in page.text
    with app.app_context():
        ranks = {(p.student_id, p.offer_id): p.rank for p in db.session.scalars(select(Preference))}
        counted = Counter(ranks.get((a.student_id, a.offer_id)) for a in db.session.scalars(
            select(Assignment).where(Assignment.allocation_id == allocation_id)))
    assert counted, "the run assigned nobody"
    for rank, count in counted.items():
        label = f"{rank}. Wunsch" if rank else "Nicht gewählt"
        assert f'<th scope="row">{label}</th><td class="num">{count}</td>' in page.text
    assert "style=" not in page.text


def test_a_second_start_while_one_is_queued_is_refused_with_a_message(app, client, auth):
    day_id = _small_day(app)
    auth.login(COORDINATOR)
    client.post(f"/coordinator/career-days/{day_id}/allocations")

    response = client.post(f"/coordinator/career-days/{day_id}/allocations", follow_redirects=True)

    assert "Für diesen BO-Tag wartet bereits eine Zuteilung oder läuft gerade." in response.text
    with app.app_context():
        assert db.session.scalar(select(func.count(Allocation.id))) == 1


def test_moving_a_student_into_a_full_slot_is_refused_at_the_field_and_changes_nothing(app, client, auth):
    day_id = _one_round_day(app, capacities=(2, 2), students=4)
    auth.login(COORDINATOR)
    allocation_id = _allocate(app, client, day_id)
    with app.app_context():
        assignment = db.session.scalars(select(Assignment).where(Assignment.allocation_id == allocation_id)).first()
        student_id, own_slot = assignment.student_id, assignment.slot_id
        other_slot = db.session.scalar(select(AllocationSlot.slot_id).where(
            AllocationSlot.allocation_id == allocation_id, AllocationSlot.slot_id != own_slot))

    response = client.post(f"/coordinator/allocations/{allocation_id}/move",
                           data={"student": student_id, "slot": other_slot})

    assert response.status_code == 422
    # the engine's capacity rule, in German (the company's name is generated)
    assert re.search(r'<p class="error" id="slot-error">Tisch \d \([^<]+\) ist in Runde 1 voll: 3 Teilnehmende auf 2 '
                     r'Plätze\.</p>', response.text)
    assert f'<option selected value="{other_slot}">' in response.text
    with app.app_context():
        assignment = db.session.scalar(select(Assignment).where(Assignment.student_id == student_id))
        assert (assignment.slot_id, assignment.locked) == (own_slot, False)


def test_moving_a_student_locks_the_assignment_and_release_unlocks_it(app, client, auth):
    day_id = _one_round_day(app, capacities=(3, 3), students=4)
    auth.login(COORDINATOR)
    allocation_id = _allocate(app, client, day_id)
    with app.app_context():
        loads = {load.slot_id: load.assigned for load in db.session.scalars(
            select(AllocationSlot).where(AllocationSlot.allocation_id == allocation_id))}
        fuller = max(loads, key=loads.get)
        emptier = min(loads, key=loads.get)
        student_id = db.session.scalar(select(Assignment.student_id).where(Assignment.slot_id == fuller))

    response = client.post(f"/coordinator/allocations/{allocation_id}/move", data={"student": student_id, "slot": emptier})

    assert response.status_code == 302
    with app.app_context():
        assignment = db.session.scalar(select(Assignment).where(Assignment.student_id == student_id))
        assert (assignment.slot_id, assignment.locked) == (emptier, True)
        assignment_id = assignment.id
    page = client.get(f"/coordinator/allocations/{allocation_id}")
    assert "besucht jetzt „Tisch" in page.text
    assert f"/assignments/{assignment_id}/unlock" in page.text

    client.post(f"/coordinator/allocations/{allocation_id}/assignments/{assignment_id}/unlock")

    with app.app_context():
        assert db.session.get(Assignment, assignment_id).locked is False


def test_resolve_queues_a_new_run_based_on_the_reviewed_one(app, client, auth):
    day_id = _one_round_day(app, capacities=(3, 3), students=4)
    auth.login(COORDINATOR)
    allocation_id = _allocate(app, client, day_id)

    response = client.post(f"/coordinator/allocations/{allocation_id}/resolve")

    assert response.status_code == 302
    with app.app_context():
        newest = db.session.scalar(select(Allocation).order_by(Allocation.id.desc()))
        assert (newest.state, newest.based_on_id) == (AllocationState.queued, allocation_id)
    assert response.headers["Location"].endswith(f"/coordinator/allocations/{newest.id}")


def test_print_pages_wait_for_publication_then_show_every_route_sheet_and_door_list(app, client, auth):
    day_id = _small_day(app)
    auth.login(COORDINATOR)
    allocation_id = _allocate(app, client, day_id)

    before = client.get(f"/coordinator/career-days/{day_id}/print/route-sheets", follow_redirects=True)
    assert "noch nicht veröffentlicht" in before.text

    refused = client.post(f"/coordinator/allocations/{allocation_id}/publish", follow_redirects=True)
    assert "bitte bestätigen Sie" in refused.text.replace("\n", " ")
    response = client.post(f"/coordinator/allocations/{allocation_id}/publish", data={"close_early": "1"})
    assert response.status_code == 302

    sheets = client.get(f"/coordinator/career-days/{day_id}/print/route-sheets")
    doors = client.get(f"/coordinator/career-days/{day_id}/print/door-lists")
    assert sheets.status_code == 200 and doors.status_code == 200
    with app.app_context():
        day = db.session.get(CareerDay, day_id)
        students = [s for c in day.classes for s in c.students]
        slots = [s for o in day.offers for s in o.slots]
        assert day.published_allocation_id == allocation_id
    assert sheets.text.count('class="print-sheet route-sheet"') == len(students)
    assert doors.text.count('class="print-sheet print-sheet-page door-list"') == len(slots)
    career_page = client.get(f"/coordinator/career-days/{day_id}")
    assert f'href="/coordinator/career-days/{day_id}/print/route-sheets"' in career_page.text


def test_downloads_have_their_content_types_and_parse(app, client, auth):
    day_id = _small_day(app)
    auth.login(COORDINATOR)
    allocation_id = _allocate(app, client, day_id)
    with app.app_context():
        assignments = db.session.scalar(select(func.count(Assignment.id)).where(Assignment.allocation_id == allocation_id))
    base = f"/coordinator/allocations/{allocation_id}"

    instance = client.get(f"{base}/instance.json")
    result = client.get(f"{base}/result.json")
    table = client.get(f"{base}/assignments.csv")
    workbook = client.get(f"{base}/assignments.xlsx")

    assert instance.mimetype == result.mimetype == "application/json"
    assert json.loads(instance.data)["format"] == "allocation-instance/1"
    assert len(json.loads(result.data)["assignments"]) == assignments
    assert table.mimetype == "text/csv" and "attachment" in table.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(table.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Schule", "Klasse", "Schüler/in"] and len(rows) == assignments + 1
    assert workbook.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert load_workbook(io.BytesIO(workbook.data)).active.max_row == assignments + 1


def test_another_agencys_allocation_is_not_found(app, client, auth):
    day_id = _small_day(app)
    with app.app_context():
        allocation = Allocation(career_day_id=day_id, state=AllocationState.queued)
        db.session.add(allocation)
        factories.make_coordinator(email="other@example.org")
        db.session.commit()
        allocation_id = allocation.id
    auth.login("other@example.org")

    assert client.get(f"/coordinator/allocations/{allocation_id}").status_code == 404
    assert client.get(f"/coordinator/allocations/{allocation_id}/progress.json").status_code == 404
    assert client.post(f"/coordinator/career-days/{day_id}/allocations").status_code == 404
    assert client.get(f"/coordinator/allocations/{allocation_id}/instance.json").status_code == 404


def test_every_phase_the_engine_reports_has_a_label():
    from scheduler_app.solver import PHASES
    from scheduler_app.web.coordinator.allocations import PHASES as LABELS

    assert set(PHASES) <= set(LABELS), set(PHASES) - set(LABELS)


def test_a_coordinator_finds_a_student_sees_the_programme_with_free_seats_and_moves_in_one_step(app, client, auth):
    day_id = _one_round_day(app, (3, 3, 3), students=4)
    auth.login(COORDINATOR)
    allocation_id = _allocate(app, client, day_id)
    with app.app_context():
        day = db.session.get(CareerDay, day_id)
        student = day.classes[0].students[0]
        student_id, name = student.id, student.display_name
        current = db.session.scalar(select(Assignment).where(Assignment.allocation_id == allocation_id,
                                                             Assignment.student_id == student_id))
        loads = Counter(db.session.scalars(select(Assignment.slot_id).where(Assignment.allocation_id == allocation_id)))
        target = next(s for o in day.offers for s in o.slots if s.id != current.slot_id and loads[s.id] < s.capacity)
        target_id, target_title, current_slot = target.id, target.offer.title, current.slot_id

    found = client.get(f"/coordinator/allocations/{allocation_id}/students", query_string={"q": "9C"})
    assert found.status_code == 200 and f"/coordinator/allocations/{allocation_id}/students/{student_id}" in found.text
    page = client.get(f"/coordinator/allocations/{allocation_id}/students/{student_id}")
    assert page.status_code == 200 and name in page.text and "Freie Plätze" in page.text

    moved = client.post(f"/coordinator/allocations/{allocation_id}/move",
                        data={"student": student_id, "slot": target_id, "back": "student"})
    assert moved.status_code == 302 and moved.headers["Location"].endswith(f"/students/{student_id}")
    with app.app_context():
        now = db.session.scalar(select(Assignment).where(Assignment.allocation_id == allocation_id,
                                                         Assignment.student_id == student_id))
        assert (now.slot_id, now.locked) == (target_id, True) and now.slot_id != current_slot
    assert f"Jetzt: {target_title}" in client.get(f"/coordinator/allocations/{allocation_id}/students/{student_id}").text
