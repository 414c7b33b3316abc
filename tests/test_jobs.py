"""The job process: sweeps that run queued allocations once, however often they run."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from scheduler_app.domain.allocation import claim, start_allocation
from scheduler_app.extensions import db
from scheduler_app.jobs import JOBS, build_scheduler, recover_after_restart, run_due_allocations
from scheduler_app.models import Allocation, AllocationState, Assignment
from tests.domain.allocation_data import make_small_day, require_solver

NOW = datetime(2027, 2, 1, 12, 0)


def _queue(app) -> int:
    with app.app_context():
        day = make_small_day()
        allocation = start_allocation(None, day.career_day, NOW)
        db.session.commit()
        return allocation.id


def _state(app, allocation_id):
    with app.app_context():
        allocation = db.session.get(Allocation, allocation_id)
        pairs = set(db.session.execute(select(Assignment.student_id, Assignment.slot_id)
                                       .where(Assignment.allocation_id == allocation_id)).all())
        return allocation.state, allocation.finished_at, pairs


def test_jobs_run_once_twice_runs_a_queued_allocation_and_then_changes_nothing(app, runner):
    require_solver()
    allocation_id = _queue(app)

    first = runner.invoke(args=["jobs", "run", "--once"])
    after_first = _state(app, allocation_id)
    second = runner.invoke(args=["jobs", "run", "--once"])

    assert first.exit_code == 0 and "run_due_allocations: 1" in first.output
    assert after_first[0] is AllocationState.done and len(after_first[2]) == 30
    assert second.exit_code == 0 and "run_due_allocations: 0" in second.output
    assert _state(app, allocation_id) == after_first


def test_the_sweep_skips_an_allocation_another_process_already_claimed(app):
    allocation_id = _queue(app)
    with app.app_context():
        assert claim(allocation_id)
        db.session.commit()

    assert run_due_allocations(app) == 0
    assert _state(app, allocation_id)[0] is AllocationState.running


def test_a_restarted_job_process_fails_allocations_its_predecessor_left_running(app):
    allocation_id = _queue(app)
    with app.app_context():
        claim(allocation_id)
        db.session.commit()

    assert recover_after_restart(app) == 1
    assert _state(app, allocation_id)[0] is AllocationState.failed


def test_the_scheduler_has_every_job_at_its_interval(app):
    scheduler = build_scheduler(app)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {job.name for job in JOBS}
    assert jobs["run_due_allocations"].trigger.interval.total_seconds() == 3
