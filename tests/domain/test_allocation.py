"""Building instances, starting and running allocations, publishing."""
from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from scheduler_app import allocation_runs
from scheduler_app.allocation_runs import run_allocation
from scheduler_app.domain.allocation import build_instance, publish, result_dict, start_allocation
from scheduler_app.domain.errors import DomainError, NotAllowed
from scheduler_app.domain.leases import LeaseTerms, process_identity
from scheduler_app.extensions import db
from scheduler_app.models import Allocation, AllocationSlot, AllocationState, Assignment, AuditEntry, Exclusion
from scheduler_app.models_base import utc_now
from tests.domain.allocation_data import allocate, make_small_day, require_solver
from tests.factories import make_coordinator, make_school_contact

NOW = datetime(2027, 2, 1, 12, 0)


def test_build_instance_uses_database_ids_presence_windows_grades_and_wishes(db_session):
    day = make_small_day()
    db_session.add(Exclusion(student=day.classes[0].students[0], offer=day.offers[1]))
    db_session.flush()

    instance = build_instance(day.career_day)

    rounds = [r.id for r in day.career_day.rounds]
    assert instance["format"] == "allocation-instance/1"
    assert instance["rounds"] == [f"R{r}" for r in rounds]
    assert [o["id"] for o in instance["offers"]] == [f"O{o.id}" for o in day.offers]
    assert instance["offers"][0]["company"] == f"C{day.offers[0].company_id}"
    assert "grades" not in instance["offers"][0]
    assert instance["offers"][3]["grades"] == [10, 11, 12, 13]
    assert len(instance["slots"]) == 12 and {s["capacity"] for s in instance["slots"]} == {4}
    students = {s["id"]: s for s in instance["students"]}
    nine_first = students[f"P{day.classes[0].students[0].id}"]
    ten_any = students[f"P{day.classes[1].students[0].id}"]
    assert nine_first["rounds"] == [f"R{r}" for r in rounds]
    assert ten_any["rounds"] == [f"R{r}" for r in rounds[1:]]
    assert nine_first["group"] == "9a (Realschule Bramsche)" and nine_first["grade"] == 9
    assert nine_first["wanted"] == 3
    assert nine_first["excluded"] == [f"O{day.offers[1].id}"]
    assert sorted(nine_first["preferences"].values()) == [1, 2, 3]
    assert ten_any["preferences"][f"O{day.offers[3].id}"] == 1
    assert "locked_slots" not in nine_first and "previous" not in instance["rules"]
    assert instance["rules"]["missing_cost"] > instance["rules"]["unranked_cost"] > max(instance["rules"]["rank_costs"])


def test_build_instance_with_previous_locks_its_locked_assignments_and_lists_every_pair(db_session):
    day = make_small_day()
    previous = Allocation(career_day=day.career_day, state=AllocationState.done, solver_status="feasible")
    db_session.add(previous)
    student_a, student_b = day.classes[0].students[:2]
    slot_a, slot_b = day.offers[0].slots[0], day.offers[1].slots[1]
    for student, slot, locked in ((student_a, slot_a, True), (student_b, slot_b, False)):
        db_session.add(Assignment(allocation=previous, student=student, slot=slot, round_id=slot.round_id,
                                  offer_id=slot.offer_id, locked=locked))
    db_session.flush()

    instance = build_instance(day.career_day, previous=previous, change_cost=7)

    students = {s["id"]: s for s in instance["students"]}
    assert students[f"P{student_a.id}"]["locked_slots"] == [f"S{slot_a.id}"]
    assert "locked_slots" not in students[f"P{student_b.id}"]
    assert sorted(instance["rules"]["previous"], key=str) == sorted(
        [{"student": f"P{student_a.id}", "slot": f"S{slot_a.id}"}, {"student": f"P{student_b.id}", "slot": f"S{slot_b.id}"}], key=str)
    assert instance["rules"]["change_cost"] == 7


def test_start_allocation_queues_once_and_refuses_a_second_while_queued(db_session):
    day = make_small_day()
    coordinator = make_coordinator(agency=day.career_day.programme.agency)
    first = start_allocation(coordinator, day.career_day, NOW)
    assert first.state is AllocationState.queued and first.created_by == coordinator
    with pytest.raises(DomainError, match="already queued or running"):
        start_allocation(coordinator, day.career_day, NOW)


def test_start_allocation_is_for_coordinators_only(db_session):
    day = make_small_day()
    with pytest.raises(NotAllowed):
        start_allocation(make_school_contact(), day.career_day, NOW)


def test_a_coordinator_of_another_agency_may_not_allocate_or_publish_this_day(db_session):
    day = make_small_day()
    stranger = make_coordinator()  # coordinates a different agency than the day's programme
    with pytest.raises(NotAllowed):
        start_allocation(stranger, day.career_day, NOW)
    allocation = Allocation(career_day=day.career_day, state=AllocationState.done, solver_status="optimal")
    db_session.add(allocation)
    db_session.flush()
    with pytest.raises(NotAllowed):
        publish(stranger, allocation, NOW, close_early=True)


def test_start_allocation_refuses_a_day_without_students(db_session):
    from tests.factories import make_career_day, make_offer

    career_day = make_career_day()
    make_offer(career_day)
    with pytest.raises(DomainError, match="No students"):
        start_allocation(None, career_day, NOW)


def test_run_allocation_stores_a_valid_allocation_with_slot_loads(db_session):
    solver = require_solver()
    day = make_small_day()

    allocation = allocate(day.career_day)

    assert allocation.state is AllocationState.done and allocation.solver_status in ("optimal", "feasible")
    assert allocation.progress == 1.0 and allocation.finished_at == NOW
    report = solver.check(build_instance(day.career_day), result_dict(allocation))
    assert report.ok, report.lines()
    assert len(allocation.assignments) == 6 * 3 + 6 * 2  # everyone fully served: enough seats
    loads = {load.slot_id: load.assigned for load in allocation.slot_loads}
    assert len(loads) == 12
    for slot_id, assigned in loads.items():
        assert assigned == sum(1 for a in allocation.assignments if a.slot_id == slot_id)


def test_run_allocation_writes_progress_that_another_connection_sees_while_the_engine_works(app, tmp_path, monkeypatch):
    """On a file database a second connection sees only committed data: progress must be committed."""
    require_solver()
    from scheduler_app.factory import create_app
    from tests.conftest import settings

    url = f"sqlite:///{tmp_path / 'progress.sqlite'}"
    file_app = create_app(settings(SQLALCHEMY_DATABASE_URI=url))
    seen = []
    real_solve = __import__("scheduler_app.solver", fromlist=["solve"]).solve

    def observed_solve(instance, *, progress, **options):
        progress("search", 0.25)
        watcher = sa.create_engine(url)
        with watcher.connect() as connection:
            seen.append(connection.execute(sa.text("SELECT state, progress, phase FROM allocation")).one())
        watcher.dispose()
        return real_solve(instance, **options)

    monkeypatch.setattr("scheduler_app.solver.solve_isolated", observed_solve)
    with file_app.app_context():
        db.create_all()
        day = make_small_day()
        allocation = allocate(day.career_day)
        assert allocation.state is AllocationState.done
        db.session.remove()
        db.engine.dispose()
    assert seen == [("running", 0.25, "search")]


def test_a_failing_run_is_marked_failed_and_leaves_the_published_allocation_intact(db_session, monkeypatch):
    require_solver()
    day = make_small_day()
    published = allocate(day.career_day)
    publish(None, published, NOW, close_early=True)
    db_session.commit()
    published_pairs = {(a.student_id, a.slot_id) for a in published.assignments}

    def broken_solve(instance, **options):
        raise RuntimeError("engine crashed")

    monkeypatch.setattr("scheduler_app.solver.solve_isolated", broken_solve)
    failed = allocate(day.career_day)

    assert failed.state is AllocationState.failed and "engine crashed" in failed.error
    assert db_session.scalar(select(func.count(Assignment.id)).where(Assignment.allocation_id == failed.id)) == 0
    assert day.career_day.published_allocation_id == published.id
    assert {(a.student_id, a.slot_id) for a in published.assignments} == published_pairs


def test_a_result_that_breaks_halfway_through_saving_writes_none_of_its_assignments(db_session, monkeypatch):
    require_solver()
    import scheduler_app.solver as solver

    day = make_small_day()
    real_solve = solver.solve

    def result_with_an_unknown_slot(instance, **options):
        result = real_solve(instance, **options)
        result["assignments"].append({"student": instance["students"][0]["id"], "slot": "S999999"})
        return result

    monkeypatch.setattr("scheduler_app.solver.solve_isolated", result_with_an_unknown_slot)
    allocation = allocate(day.career_day)

    assert allocation.state is AllocationState.failed
    assert db_session.scalar(select(func.count(Assignment.id))) == 0
    assert db_session.scalar(select(func.count(AllocationSlot.id))) == 0


def test_an_interrupted_run_does_not_stay_running(db_session, monkeypatch):
    require_solver()
    day = make_small_day()

    def interrupted(instance, **options):
        raise KeyboardInterrupt

    monkeypatch.setattr("scheduler_app.solver.solve_isolated", interrupted)
    with pytest.raises(KeyboardInterrupt):
        allocate(day.career_day)
    allocation = db_session.scalar(select(Allocation))
    assert allocation.state is AllocationState.failed
    start_allocation(None, day.career_day, NOW)  # the day is not blocked by a dead run


def test_run_allocation_runs_a_queued_allocation_only_once(db_session):
    require_solver()
    day = make_small_day()
    allocation = allocate(day.career_day)
    assert run_allocation(allocation.id, lambda: NOW) is None
    assert db_session.scalar(select(func.count(Assignment.id))) == len(allocation.assignments)


def _solve_observing(monkeypatch, observe):
    """Replace the engine by one that calls ``observe()`` while it "works", then really solves."""
    import scheduler_app.solver as solver

    real_solve = solver.solve

    def observed_solve(instance, **options):
        observe()
        return real_solve(instance, **options)

    monkeypatch.setattr("scheduler_app.solver.solve_isolated", observed_solve)


def test_a_run_holds_this_processs_lease_while_the_engine_works_and_gives_it_up_when_done(db_session, monkeypatch):
    day = make_small_day()
    seen = []
    _solve_observing(monkeypatch, lambda: seen.append(db_session.execute(
        select(Allocation.state, Allocation.claimed_by, Allocation.lease_until, Allocation.heartbeat_at)).one()))

    allocation = allocate(day.career_day)

    assert seen == [(AllocationState.running, process_identity(), NOW + timedelta(seconds=60), NOW)]
    assert allocation.state is AllocationState.done
    assert (allocation.claimed_by, allocation.lease_until) == (None, None)


def test_a_run_whose_lease_another_process_expired_meanwhile_writes_nothing(db_session, monkeypatch):
    """This process seemed dead to another (no heartbeat for a lease's length): that one failed the
    run, and this one's late result must not overwrite it as "done"."""
    day = make_small_day()

    def another_process_recovers():
        assert allocation_runs.fail_abandoned_allocations(NOW + timedelta(minutes=5)) == 1
        db_session.commit()

    _solve_observing(monkeypatch, another_process_recovers)
    allocation = allocate(day.career_day)

    assert allocation.state is AllocationState.failed and "stopped; its lease ran out" in allocation.error
    assert db_session.scalar(select(func.count(Assignment.id))) == 0
    assert db_session.scalar(select(func.count(AllocationSlot.id))) == 0


def test_fail_abandoned_allocations_fails_only_runs_whose_lease_ran_out(db_session):
    day = make_small_day()
    terms = LeaseTerms(owner="host:1:abc", duration=timedelta(seconds=60), heartbeat=timedelta(seconds=10))
    live = start_allocation(None, day.career_day, NOW)
    assert allocation_runs.claim(live.id, terms, NOW)

    assert allocation_runs.fail_abandoned_allocations(NOW + timedelta(seconds=59)) == 0
    assert allocation_runs.fail_abandoned_allocations(NOW + timedelta(seconds=60)) == 1
    db_session.refresh(live)
    assert live.state is AllocationState.failed and "(host:1:abc) stopped" in live.error
    assert live.finished_at == NOW + timedelta(seconds=60)
    start_allocation(None, day.career_day, NOW)  # the day is not blocked by a dead run


def test_the_heartbeat_renews_the_lease_while_the_engine_reports_nothing(tmp_path, monkeypatch):
    """Some engine phases report no progress for minutes: the lease must not depend on them."""
    from scheduler_app.factory import create_app
    from tests.conftest import settings

    url = f"sqlite:///{tmp_path / 'heartbeat.sqlite'}"
    file_app = create_app(settings(SQLALCHEMY_DATABASE_URI=url))
    terms = LeaseTerms(owner="host:2:def", duration=timedelta(seconds=0.6), heartbeat=timedelta(seconds=0.1))
    watcher = sa.create_engine(url)
    leases_seen = []

    def lease_row():
        with watcher.connect() as connection:
            return connection.execute(sa.text("SELECT lease_until, heartbeat_at FROM allocation")).one()

    def silent_phase():
        first = lease_row()
        leases_seen.append(first)
        # silent for longer than the lease (only the heartbeat keeps it): until the heartbeat has
        # moved on by 0.7 s, or 10 s at most on a busy machine (then the assertions below fail)
        give_up = time.monotonic() + 10
        while True:
            time.sleep(0.1)
            row = lease_row()
            moved = datetime.fromisoformat(row[1]) - datetime.fromisoformat(first[1])
            if moved >= timedelta(seconds=0.7) or time.monotonic() > give_up:
                break
        leases_seen.append(row)

    _solve_observing(monkeypatch, silent_phase)
    with file_app.app_context():
        db.create_all()
        day = make_small_day()
        started = utc_now()
        allocation = allocate(day.career_day, now_fn=utc_now, lease=terms)
        assert allocation.state is AllocationState.done
        db.session.remove()
        db.engine.dispose()
    watcher.dispose()

    (first_until, first_beat), (last_until, last_beat) = leases_seen
    assert datetime.fromisoformat(first_beat) >= started
    assert datetime.fromisoformat(last_beat) >= datetime.fromisoformat(first_beat) + timedelta(seconds=0.7)
    assert datetime.fromisoformat(last_until) > datetime.fromisoformat(first_until) + timedelta(seconds=0.7)


def test_publish_sets_the_days_published_allocation_and_records_it(db_session):
    require_solver()
    day = make_small_day()
    coordinator = make_coordinator(agency=day.career_day.programme.agency)
    db_session.commit()
    allocation = allocate(day.career_day)

    publish(coordinator, allocation, NOW, close_early=True)

    assert day.career_day.published_allocation is allocation and day.career_day.published_at == NOW
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "allocation.publish"))
    assert entry.actor_id == coordinator.id and entry.object_id == allocation.id


def test_publish_refuses_an_allocation_that_has_not_finished_or_found_no_solution(db_session):
    day = make_small_day()
    queued = start_allocation(None, day.career_day, NOW)
    with pytest.raises(DomainError):
        publish(None, queued, NOW, close_early=True)
    queued.state, queued.solver_status = AllocationState.done, "infeasible"
    with pytest.raises(DomainError):
        publish(None, queued, NOW, close_early=True)
    assert day.career_day.published_allocation is None


def test_a_solver_that_dies_by_a_signal_fails_the_run_with_a_message_and_the_process_lives_on(db_session, monkeypatch):
    """The engine runs in a child process: a segmentation fault in a native library ends the child,
    not the job process; the run is failed with what happened and the day can be allocated again."""
    require_solver()
    import functools

    import scheduler_app.solver as solver

    day = make_small_day()
    monkeypatch.setattr("scheduler_app.solver.solve_isolated", functools.partial(solver.solve_isolated, _crash="segv"))

    crashed = allocate(day.career_day)

    assert crashed.state is AllocationState.failed
    assert "SolverCrashed" in crashed.error and "signal 11" in crashed.error
    assert db_session.scalar(select(func.count(Assignment.id)).where(Assignment.allocation_id == crashed.id)) == 0
    monkeypatch.undo()
    assert allocate(day.career_day).state is AllocationState.done  # this very process goes on


def test_publishing_before_the_wishes_deadline_needs_confirming_and_then_closes_everything(db_session):
    from scheduler_app.domain.classes import register_class
    from scheduler_app.domain.offers import book_offer
    from scheduler_app.domain.wishes import submit_wishes
    from tests.factories import make_company_contact

    require_solver()
    day = make_small_day()
    day.career_day.wishes_deadline = datetime(2027, 3, 1, 23, 59)
    teacher = make_school_contact(school=day.classes[0].school)
    company = day.offers[0].company
    contact = make_company_contact(company=company)
    db_session.commit()
    allocation = allocate(day.career_day)

    with pytest.raises(DomainError, match="until 01.03.2027, 23:59") as refused:
        publish(None, allocation, NOW)
    assert refused.value.params == {"deadline": "01.03.2027, 23:59"} and refused.value.field == "close_early"
    assert day.career_day.published_allocation is None
    publication = publish(None, allocation, NOW, close_early=True)
    assert publication.version == 1 and publication.allocation is allocation

    student = day.classes[0].students[0]
    with pytest.raises(DomainError, match="published"):
        submit_wishes(student, student, [o.id for o in day.offers[:3]], NOW)
    with pytest.raises(DomainError, match="published"):
        register_class(teacher, day.career_day, day.classes[0].school, name="9x", grade=9, headcount=3,
                       first_round=None, last_round=None, teacher_name=None, now=NOW)
    with pytest.raises(DomainError, match="published"):
        book_offer(contact, day.career_day, company, title="Neu", description=None, occupational_field=None,
                   round_positions=[1], seats=5, min_size=0, min_grade=None, max_grade=None, room_wish=None, now=NOW)


def test_publishing_while_a_run_is_queued_is_refused_and_the_published_version_stays(db_session):
    require_solver()
    day = make_small_day()
    db_session.commit()
    first = allocate(day.career_day)
    publish(None, first, NOW, close_early=True)
    start_allocation(None, day.career_day, NOW, based_on=first)

    with pytest.raises(DomainError, match="queued or running"):
        publish(None, first, NOW)
    assert day.career_day.published_allocation is first
    assert db_session.scalar(select(func.count()).select_from(sa.table("publication"))) == 1
