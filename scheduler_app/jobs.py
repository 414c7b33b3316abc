"""The job process (``flask jobs run``): the one place where background work happens.

APScheduler 3.x runs here, in a process of its own, never inside the web app. Every job is
an idempotent sweep over the database ("everything due and not yet done"), so a restart, a missed
tick or a second run changes nothing that is already done. ``flask jobs run --once`` runs every
sweep once and exits (tests and cron-style setups use it); ``--now`` makes the sweeps act as if it
were then (rehearsals: a year of obligations in seconds).

Each job is done once, however many job processes run:

- long work a process holds (an allocation, a mail being sent) carries a lease
  (:mod:`scheduler_app.domain.leases`) that its heartbeat renews; every process regularly fails the
  allocation runs whose lease ran out (:func:`fail_abandoned_allocations`;
  :mod:`scheduler_app.allocation_runs`), and a mail whose lease ran out is sent by another process
  (:mod:`scheduler_app.delivery`);
- everything else that falls due (a reminder, an automatic allocation, a deletion) is recorded as a
  :class:`~scheduler_app.models.DueItem` with a unique key (kind, target, due time), inserted in the
  SAME transaction as the work (:func:`do_once`): of two processes doing it at once, one commits and
  the other's insert conflicts, so it rolls its work back; a process killed halfway committed nothing.

Leases always use the real clock; ``--now`` only moves what counts as due.

To add a job, write ``def sweep(app, now) -> int`` (returns how many things it did; opens its own app
context; commits per unit of work) and add it to :data:`JOBS` with its interval.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import Flask
from sqlalchemy import select, update

from scheduler_app import allocation_runs
from scheduler_app.delivery import deliver_mail
from scheduler_app.domain.leases import process_identity
from scheduler_app.domain.locks import insert_unless_present
from scheduler_app.extensions import db
from scheduler_app.models import Allocation, AllocationState, DueItem, JobRun
from scheduler_app.models_base import utc_now

log = logging.getLogger(__name__)


class ItemFailed(Exception):
    """Raised inside :func:`do_once` when a due item cannot be done and must not be tried again: the
    item is recorded as failed with this message (shown by ``flask jobs status``)."""


def do_once(kind: str, target: str, due_at: datetime, now: datetime, work: Callable[[], str | None]) -> bool:
    """Do ``work`` for the due item (kind, target, due_at) unless it was done already, and commit the
    item's record with the work. Returns True when this call did it. ``work`` flushes only and returns
    what it did, in a few words; raising :class:`ItemFailed` records the item as failed (its work
    undone), any other exception undoes everything (the next sweep tries again) and propagates.

    The record is inserted first (``INSERT … ON CONFLICT DO NOTHING``): on PostgreSQL a second
    process inserting the same key waits for the first one's transaction and then inserts nothing;
    on SQLite writers take turns. Either way exactly one transaction with the work commits. The
    caller's session is rolled back first: objects it loaded are read again by ``work``."""
    key = (DueItem.kind == kind, DueItem.target == target, DueItem.due_at == due_at)
    db.session.rollback()  # the item's transaction starts with its insert (on SQLite: takes the write lock first)
    if not insert_unless_present(DueItem, {"kind": kind, "target": target, "due_at": due_at, "done_at": now,
                                           "failed": False}, ["kind", "target", "due_at"]):
        db.session.rollback()
        return False
    try:
        with db.session.begin_nested():
            outcome, failed = work() or "done", False
    except ItemFailed as error:
        outcome, failed = str(error), True
        log.warning("%s %s (due %s) failed: %s", kind, target, due_at, error)
    except BaseException:
        db.session.rollback()
        raise
    db.session.execute(update(DueItem).where(*key).values(outcome=outcome[:1000], failed=failed)
                       .execution_options(synchronize_session=False))
    db.session.commit()
    return True


def run_due_allocations(app: Flask, now: datetime | None = None) -> int:
    """Run queued allocations one at a time, oldest first; returns how many this process ran.

    Each is claimed by a conditional UPDATE (queued → running, under this process's lease) inside
    :func:`~scheduler_app.allocation_runs.run_allocation`, so two processes never run the same one;
    one that another process claimed first is skipped. Runs on the real clock (leases)."""
    ran = 0
    with app.app_context():
        while True:
            allocation_id = db.session.scalar(
                select(Allocation.id).where(Allocation.state == AllocationState.queued).order_by(Allocation.id).limit(1)
            )
            db.session.rollback()  # end the read before the run claims and commits
            if allocation_id is None:
                return ran
            allocation = allocation_runs.run_allocation(allocation_id, utc_now)
            if allocation is not None:
                ran += 1
                log.info("allocation %s: %s %s", allocation.id, allocation.state.value, allocation.solver_status or "")


def fail_abandoned_allocations(app: Flask, now: datetime | None = None) -> int:
    """Fail the running allocations whose lease ran out (their process stopped renewing it), so the
    coordinator can start again; returns how many. Real clock (leases)."""
    with app.app_context():
        count = allocation_runs.fail_abandoned_allocations(utc_now())
        db.session.commit()
    if count:
        log.warning("%d allocation(s) whose job process stopped marked as failed", count)
    return count


def decide_due_polls(app: Flask, now: datetime | None = None) -> int:
    """At a poll's deadline, fix the date by the rule for meetings whose coordinator asked for it,
    and write the invitations (:func:`scheduler_app.domain.meetings.decide_due_polls`: idempotent,
    one transaction per sweep; fixing is claimed in the database)."""
    from scheduler_app.domain import meetings

    with app.app_context():
        fixed = meetings.decide_due_polls(now or utc_now(), app.config["PUBLIC_BASE_URL"])
        db.session.commit()
        return fixed


@dataclass(frozen=True)
class Job:
    name: str
    sweep: Callable[[Flask, datetime | None], int]
    every_seconds: int
    description: str


def _obligations(app: Flask, now: datetime | None = None) -> int:
    from scheduler_app.obligations import run_obligations

    return run_obligations(app, now)


def _retention(app: Flask, now: datetime | None = None) -> int:
    from scheduler_app.obligations import run_retention

    return run_retention(app, now)


JOBS: list[Job] = [
    Job("run_due_allocations", run_due_allocations, 3, "runs queued allocations"),
    Job("fail_abandoned_allocations", fail_abandoned_allocations, 5, "fails allocations whose job process stopped"),
    Job("decide_due_polls", decide_due_polls, 60, "fixes meeting dates by the rule at the poll deadline"),
    Job("obligations", _obligations, 60, "reminders and automatic allocations when they fall due"),
    Job("retention", _retention, 3600, "deletes students' data and anonymises registrations after the retention period"),
    Job("deliver_mail", deliver_mail, 10, "sends the outbox"),
]


def run_job(app: Flask, job: Job, now: datetime | None = None) -> int:
    """Run one sweep and record it (:class:`JobRun`); an error is logged and recorded, never raised,
    so one broken job never stops the others."""
    started = utc_now()
    with app.app_context():  # two processes may record the first run of a job at once: insert, then update
        insert_unless_present(JobRun, {"name": job.name, "started_at": started, "did": 0}, ["name"])
        db.session.execute(update(JobRun).where(JobRun.name == job.name).values(
            started_at=started, finished_at=None, simulated_now=now, process=process_identity()))
        db.session.commit()
    did, error = 0, None
    try:
        did = job.sweep(app, now)
    except Exception as exception:  # recorded for `flask jobs status`; the next tick tries again
        log.exception("job %s failed", job.name)
        error = f"{type(exception).__name__}: {exception}"[:500]
    with app.app_context():
        db.session.rollback()
        finished = utc_now()
        db.session.execute(update(JobRun).where(JobRun.name == job.name).values(
            finished_at=finished, did=did, error=error, **({"last_error_at": finished} if error else {})))
        db.session.commit()
    return did


def run_once(app: Flask, now: datetime | None = None) -> dict[str, int]:
    """Run every sweep once, in :data:`JOBS` order (mail last: it sends what the others wrote);
    returns how much each did."""
    return {job.name: run_job(app, job, now) for job in JOBS}


def build_scheduler(app: Flask):
    """A BlockingScheduler with every job; one instance of a job at a time, missed ticks coalesced.
    Its job store is in memory (the jobs' state lives in the database), so it holds no personal data."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = BlockingScheduler(timezone="UTC")
    for job in JOBS:
        scheduler.add_job(run_job, "interval", args=[app, job], seconds=job.every_seconds, id=job.name,
                          max_instances=1, coalesce=True)
    return scheduler
