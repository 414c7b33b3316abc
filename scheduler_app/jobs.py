"""The job process (``flask jobs run``): the one place where background work happens.

APScheduler 3.x runs here, in a process of its own, never inside the web app. Every job is
an idempotent sweep over the database ("everything due and not yet done"), so a restart, a missed
tick or a second run changes nothing that is already done. ``flask jobs run --once`` runs every
sweep once and exits (tests and cron-style setups use it).

One job process is enough; more may run (on one machine or several, or beside a coordinator's
``flask careerday allocate``): work a process holds carries a lease
(:mod:`scheduler_app.domain.leases`) that its heartbeat renews, and every process regularly fails
the runs whose lease ran out (:func:`fail_abandoned_allocations`), so work of a process that died is
never left "running", and live work of another process is never touched.

To add a job, write ``def sweep(app) -> int`` (returns how many things it did; opens its own app
context; commits per unit of work) and add it to :data:`JOBS` with its interval.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import select

from scheduler_app.domain import allocation as allocations
from scheduler_app.extensions import db
from scheduler_app.models import Allocation, AllocationState
from scheduler_app.models_base import utc_now

log = logging.getLogger(__name__)


def run_due_allocations(app: Flask) -> int:
    """Run queued allocations one at a time, oldest first; returns how many this process ran.

    Each is claimed by a conditional UPDATE (queued → running, under this process's lease) inside
    :func:`~scheduler_app.domain.allocation.run_allocation`, so two processes never run the same one;
    one that another process claimed first is skipped.
    """
    ran = 0
    with app.app_context():
        while True:
            allocation_id = db.session.scalar(
                select(Allocation.id).where(Allocation.state == AllocationState.queued).order_by(Allocation.id).limit(1)
            )
            db.session.rollback()  # end the read before the run claims and commits
            if allocation_id is None:
                return ran
            allocation = allocations.run_allocation(allocation_id, utc_now)
            if allocation is not None:
                ran += 1
                log.info("allocation %s: %s %s", allocation.id, allocation.state.value, allocation.solver_status or "")


def decide_due_polls(app: Flask) -> int:
    """At a poll's deadline, fix the date by the rule for meetings whose coordinator asked for it
    (:func:`scheduler_app.domain.meetings.decide_due_polls`: idempotent, one transaction per sweep)."""
    from scheduler_app.domain import meetings

    with app.app_context():
        fixed = meetings.decide_due_polls(utc_now(), app.config["PUBLIC_BASE_URL"])
        db.session.commit()
        return fixed


@dataclass(frozen=True)
class Job:
    name: str
    sweep: Callable[[Flask], int]
    every_seconds: int


def fail_abandoned_allocations(app: Flask) -> int:
    """Fail the running allocations whose lease ran out (their process stopped renewing it), so the
    coordinator can start again; returns how many."""
    with app.app_context():
        count = allocations.fail_abandoned_allocations(utc_now())
        db.session.commit()
    if count:
        log.warning("%d allocation(s) whose job process stopped marked as failed", count)
    return count


JOBS: list[Job] = [
    Job("run_due_allocations", run_due_allocations, every_seconds=3),
    Job("fail_abandoned_allocations", fail_abandoned_allocations, every_seconds=5),
    Job("decide_due_polls", decide_due_polls, every_seconds=60),
]


def run_once(app: Flask) -> dict[str, int]:
    """Run every sweep once; returns how much each did."""
    return {job.name: job.sweep(app) for job in JOBS}


def build_scheduler(app: Flask):
    """A BlockingScheduler with every job; one instance of a job at a time, missed ticks coalesced."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = BlockingScheduler(timezone="UTC")
    for job in JOBS:
        scheduler.add_job(job.sweep, "interval", args=[app], seconds=job.every_seconds, id=job.name,
                          max_instances=1, coalesce=True)
    return scheduler
