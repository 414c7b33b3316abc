"""Running an allocation: the boundary between the job process (or the CLI) and the engine.

A run is not a domain operation: it holds a lease, writes progress from the engine's thread, and
commits several times (claim; the engine's progress; the answer), so it lives here, beside the
other job-process boundaries (:mod:`scheduler_app.jobs`, :mod:`scheduler_app.delivery`), and not in
:mod:`scheduler_app.domain`, whose functions flush and never commit. What the run builds and saves
(the allocation-instance/1, the answer's assignments and slot loads) is the ORM↔engine bridge
:mod:`scheduler_app.domain.allocation`.

Queued runs come from :func:`scheduler_app.domain.allocation.start_allocation`;
:func:`run_allocation` executes one, :func:`fail_abandoned_allocations` fails those whose process
stopped.
"""
from __future__ import annotations

import logging
import threading
import time as monotonic_clock
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import String, cast, func, literal, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from scheduler_app.domain import allocation as allocations
from scheduler_app.domain import leases
from scheduler_app.domain.leases import LeaseTerms
from scheduler_app.extensions import db
from scheduler_app.models import Allocation, AllocationState

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.5  # at most two progress writes per second
RUNNING = Allocation.state == AllocationState.running


class LeaseLost(RuntimeError):
    """This process no longer holds the run's lease: another process found it expired and failed it."""


def claim(allocation_id: int, lease: LeaseTerms, now: datetime) -> bool:
    """Move a queued allocation to running under this process's lease, by a conditional UPDATE, so
    that two processes never run the same one; True for the process that won. Flushes only."""
    return leases.claim(Allocation, allocation_id, lease, now, where=[Allocation.state == AllocationState.queued],
                        values=dict(state=AllocationState.running, progress=0.0, phase="preparing"))


def _progress_writer(allocation_id: int, owner: str, lost: threading.Event) -> Callable[[str, float], None]:
    """A ``progress(phase, fraction)`` callback for the engine that writes to the allocation in its
    own short transactions on a separate session, so a page polling the allocation sees it move
    while the run's own session holds nothing open. Writes at most every PROGRESS_INTERVAL_S
    (and whenever the phase changes); a failed write is logged, never fatal to the run. Once the
    lease is ``lost`` it stops the engine (raises :class:`LeaseLost`): the result could not be saved."""
    last = {"at": float("-inf"), "phase": None}

    def report(phase: str, fraction: float) -> None:
        if lost.is_set():
            raise LeaseLost(f"allocation {allocation_id}: the lease was lost while the engine worked")
        clock = monotonic_clock.monotonic()
        if phase == last["phase"] and clock - last["at"] < PROGRESS_INTERVAL_S:
            return
        last.update(at=clock, phase=phase)
        try:
            with Session(db.engine) as session:
                session.execute(
                    update(Allocation)
                    .where(Allocation.id == allocation_id, RUNNING, Allocation.claimed_by == owner)
                    .values(progress=min(max(float(fraction), 0.0), 1.0), phase=str(phase)[:60])
                )
                session.commit()
        except SQLAlchemyError:
            log.warning("could not record progress of allocation %s", allocation_id, exc_info=True)

    return report


def _mark_failed(allocation_id: int, owner: str, error: BaseException, now: datetime) -> None:
    """Fail the run and give up its lease, if this process still holds it (commits)."""
    leases.release(Allocation, allocation_id, owner, where=[RUNNING],
                   values=dict(state=AllocationState.failed, error=f"{type(error).__name__}: {error}"[:2000],
                               phase="failed", finished_at=now))
    db.session.commit()


def run_allocation(allocation_id: int, now_fn: Callable[[], datetime], *, time_limit_s: float | None = None,
                   lease: LeaseTerms | None = None) -> Allocation | None:
    """Execute a queued allocation. NOT for a web request: the job process and the CLI call it.

    This is a transaction boundary like a job and commits, in this order:

    1. claim: queued → running under ``lease`` (default: this process, with the app's
       ``JOB_LEASE_SECONDS`` / ``JOB_HEARTBEAT_SECONDS``); returns None when another process won;
    2. the engine runs in a child process (:func:`scheduler_app.solver.solve_isolated`), so a crash
       of its native libraries (a segmentation fault was seen once in nine 5,000-student runs) fails
       this run with a message and never takes the job process down; meanwhile a
       :class:`~scheduler_app.domain.leases.Heartbeat` renews the lease and the engine's progress is
       written, each in short separate transactions;
    3. the whole answer (assignments, slot loads, status, objective, bound, metrics) in ONE
       transaction, together with releasing the lease, and only if the lease is still ours.

    Any exception (or an interruption) rolls step 3 back entirely and marks the allocation failed
    with the error: none of its assignments is written, and every other allocation (the
    published one above all) stays as it was. If another process expired the lease meanwhile (this
    one seemed dead), the run stops and writes nothing: the allocation stays failed as that
    process left it. Returns the allocation, refreshed.
    """
    from scheduler_app.solver import solve_isolated

    lease = lease or lease_terms(current_app.config)
    if not claim(allocation_id, lease, now_fn()):
        db.session.rollback()
        return None
    db.session.commit()
    try:
        allocation = db.session.get(Allocation, allocation_id)
        based_on = db.session.get(Allocation, allocation.based_on_id) if allocation.based_on_id else None
        instance = allocations.build_instance(allocation.career_day, previous=based_on)
        db.session.commit()  # hold no transaction open while the engine works (the reads are done)
        with leases.Heartbeat(db.engine, Allocation, allocation_id, lease, now_fn, where=[RUNNING]) as heartbeat:
            result = solve_isolated(instance, time_limit_s=time_limit_s, seed=instance["rules"]["seed"],
                                    progress=_progress_writer(allocation_id, lease.owner, heartbeat.lost))
        if not leases.release(Allocation, allocation_id, lease.owner, where=[RUNNING]):
            raise LeaseLost(f"allocation {allocation_id}: another process expired the lease; the result is not saved")
        allocations.save_result(allocation, instance, result, now_fn())
        db.session.commit()
    except LeaseLost:
        db.session.rollback()
        log.warning("allocation %s: lease lost, result discarded", allocation_id)
    except BaseException as error:  # noqa: BLE001 -- an interrupted run must not stay "running"
        db.session.rollback()
        log.exception("allocation %s failed", allocation_id)
        _mark_failed(allocation_id, lease.owner, error, now_fn())
        if not isinstance(error, Exception):
            raise
    allocation = db.session.get(Allocation, allocation_id)
    db.session.refresh(allocation)
    return allocation


def lease_terms(config) -> LeaseTerms:
    """This process's lease terms for allocation runs, from the app's settings."""
    return LeaseTerms(owner=leases.process_identity(), duration=timedelta(seconds=config["JOB_LEASE_SECONDS"]),
                      heartbeat=timedelta(seconds=config["JOB_HEARTBEAT_SECONDS"]))


def fail_abandoned_allocations(now: datetime) -> int:
    """Mark running allocations whose lease ran out as failed (flush only); returns how many.

    Their job process stopped renewing (killed, hung, its machine gone), so the coordinator may
    start again. Any job process runs this regularly; a run whose holder is alive (its lease is
    renewed by the heartbeat) is never touched, and nobody waits for the dead process to restart."""
    owner = func.coalesce(Allocation.claimed_by, "unknown")
    until = func.coalesce(cast(Allocation.lease_until, String), "never")
    message = (literal("Interrupted: the job process running it (") + owner + literal(") stopped; its lease ran out at ")
               + until + literal(" UTC. Start the allocation again."))
    return leases.expire(Allocation, now, where=[RUNNING],
                         values=dict(state=AllocationState.failed, phase="failed", finished_at=now, error=message))
