"""The job process: sweeps that run queued allocations once, however often they run, and that fail
the runs of a job process that stopped (its lease ran out) without touching live ones."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from scheduler_app.allocation_runs import claim
from scheduler_app.domain.allocation import start_allocation
from scheduler_app.domain.leases import LeaseTerms
from scheduler_app.extensions import db
from scheduler_app.jobs import JOBS, build_scheduler, fail_abandoned_allocations, run_due_allocations
from scheduler_app.models import Allocation, AllocationState, Assignment
from scheduler_app.models_base import utc_now
from tests.domain.allocation_data import make_small_day, require_solver

NOW = datetime(2027, 2, 1, 12, 0)
OTHER_PROCESS = LeaseTerms(owner="other-host:4242:abcdef", duration=timedelta(seconds=60), heartbeat=timedelta(seconds=10))


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


def _claimed_by_other_process(app, claimed_at: datetime) -> int:
    allocation_id = _queue(app)
    with app.app_context():
        assert claim(allocation_id, OTHER_PROCESS, claimed_at)
        db.session.commit()
    return allocation_id


def test_the_sweep_skips_an_allocation_another_process_already_claimed(app):
    allocation_id = _claimed_by_other_process(app, utc_now())

    assert run_due_allocations(app) == 0
    assert _state(app, allocation_id)[0] is AllocationState.running


def test_a_run_another_live_process_holds_is_untouched_by_this_processs_recovery(app):
    allocation_id = _claimed_by_other_process(app, utc_now())  # its heartbeat keeps the lease in the future

    assert fail_abandoned_allocations(app) == 0
    with app.app_context():
        allocation = db.session.get(Allocation, allocation_id)
        assert allocation.state is AllocationState.running and allocation.claimed_by == OTHER_PROCESS.owner


def test_the_run_of_a_process_that_stopped_is_failed_by_another_without_a_restart(app):
    allocation_id = _claimed_by_other_process(app, utc_now() - timedelta(minutes=2))  # no heartbeat since

    assert fail_abandoned_allocations(app) == 1
    with app.app_context():
        allocation = db.session.get(Allocation, allocation_id)
        assert allocation.state is AllocationState.failed and allocation.claimed_by is None
        assert f"the job process running it ({OTHER_PROCESS.owner}) stopped" in allocation.error
        start_allocation(None, allocation.career_day, NOW)  # the coordinator can start again


def test_the_scheduler_has_every_job_at_its_interval(app):
    scheduler = build_scheduler(app)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {job.name for job in JOBS}
    assert jobs["run_due_allocations"].trigger.interval.total_seconds() == 3
    assert jobs["fail_abandoned_allocations"].trigger.interval.total_seconds() == 5
