"""Leases: work that a job process holds, so that any other process can take over when the holder dies.

A row that a process works on carries three columns (:class:`~scheduler_app.models_base.Leased`):
``claimed_by`` (the holder's :func:`process_identity`), ``lease_until`` (the holder promises to renew
before then) and ``heartbeat_at`` (its last sign of life, for people reading the table).

- :func:`claim` / :func:`claim_next` take a row by a conditional UPDATE that succeeds only while no
  live lease is on it: of several processes claiming at once exactly one wins. ``claim_next`` picks
  the next free row, on PostgreSQL with ``FOR UPDATE SKIP LOCKED`` so that processes never queue for
  the same candidate.
- :func:`renew` extends the holder's own lease only; False means it was lost (another process
  expired or took it): stop, and write no result.
- :func:`release` gives it up when the work is done.
- :func:`expire` ends every lease that ran out in the rows the caller selects (e.g. "running"):
  the holder stopped renewing (killed, hung, machine gone). A live lease is never touched, and no
  process waits for the holder to restart.
- :class:`Heartbeat` renews a lease from a thread with its own short transactions while long work
  runs in the main thread (the work's own progress reports may pause for minutes).

Times are the caller's naive UTC ``now``, as everywhere in the domain; job processes on several
machines need synchronised clocks (NTP), and a lease should last several heartbeats. Except for
:class:`Heartbeat` (which commits its own session), these functions flush nothing themselves and
never commit: the boundary does.
"""
from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Engine, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from scheduler_app.extensions import db

log = logging.getLogger(__name__)

_identity: tuple[int, str] | None = None


def process_identity() -> str:
    """``host:pid:random``, the same for the life of this process and new in a forked child."""
    global _identity
    if _identity is None or _identity[0] != os.getpid():
        _identity = (os.getpid(), f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}")
    return _identity[1]


@dataclass(frozen=True)
class LeaseTerms:
    """Who holds a lease, how long it lasts without renewal, and how often the holder renews it."""

    owner: str
    duration: timedelta
    heartbeat: timedelta

    def __post_init__(self):
        if self.heartbeat * 2 > self.duration:
            raise ValueError("a lease must last at least two heartbeats")


def not_live(model, now: datetime) -> ColumnElement[bool]:
    """Rows nobody holds a live lease on: never claimed, released, or expired at ``now``."""
    return or_(model.lease_until.is_(None), model.lease_until <= now)


def _session(session: Session | None) -> Session:
    return db.session if session is None else session


def _lease_values(terms: LeaseTerms, now: datetime) -> dict:
    return {"claimed_by": terms.owner, "lease_until": now + terms.duration, "heartbeat_at": now}


def claim(model, ident, terms: LeaseTerms, now: datetime, *, where: Iterable = (), values: dict | None = None,
          session: Session | None = None) -> bool:
    """Take the lease on row ``ident`` if nobody holds a live one and ``where`` holds; set ``values``
    in the same UPDATE (e.g. ``state=running``). True for the one process that won."""
    result = _session(session).execute(
        update(model)
        .where(model.id == ident, not_live(model, now), *where)
        .values(**_lease_values(terms, now), **(values or {}))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def claim_next(model, terms: LeaseTerms, now: datetime, *, where: Iterable = (), order_by: Iterable = (),
               values: dict | None = None, session: Session | None = None, attempts: int = 5):
    """Claim the first free row matching ``where`` in ``order_by`` order; its id, or None when none is free.

    PostgreSQL locks the candidate with ``FOR UPDATE SKIP LOCKED`` (a row another process is claiming
    is skipped, not waited for); elsewhere a lost race moves on to the next candidate."""
    session = _session(session)
    where, order_by = list(where), list(order_by) or [model.id]
    query = select(model.id).where(not_live(model, now), *where).order_by(*order_by).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    for _ in range(attempts):
        ident = session.scalar(query)
        if ident is None:
            return None
        if claim(model, ident, terms, now, where=where, values=values, session=session):
            return ident
    return None


def renew(model, ident, terms: LeaseTerms, now: datetime, *, where: Iterable = (), values: dict | None = None,
          session: Session | None = None) -> bool:
    """Extend the lease ``terms.owner`` holds on row ``ident`` (and set ``values``); False when it
    is no longer theirs."""
    result = _session(session).execute(
        update(model)
        .where(model.id == ident, model.claimed_by == terms.owner, *where)
        .values(lease_until=now + terms.duration, heartbeat_at=now, **(values or {}))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def release(model, ident, owner: str, *, where: Iterable = (), values: dict | None = None,
            session: Session | None = None) -> bool:
    """Give up ``owner``'s lease on row ``ident`` (and set ``values``, e.g. the result's state);
    False when it was no longer theirs, in which case nothing is written."""
    result = _session(session).execute(
        update(model)
        .where(model.id == ident, model.claimed_by == owner, *where)
        .values(claimed_by=None, lease_until=None, **(values or {}))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def expire(model, now: datetime, *, where: Iterable = (), values: dict | None = None,
           session: Session | None = None) -> int:
    """End the leases that ran out at ``now`` among the rows ``where`` selects (the rows being
    worked on: a row there without a live lease is abandoned, however it got so); set ``values``
    (they may refer to the old ``claimed_by``). Returns how many rows it changed."""
    result = _session(session).execute(
        update(model)
        .where(not_live(model, now), *where)
        .values(claimed_by=None, lease_until=None, **(values or {}))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


class Heartbeat:
    """Renews a lease every ``terms.heartbeat`` from a daemon thread while the ``with`` block runs.

    Each renewal is its own short transaction on its own session of ``engine``; a failed write is
    logged and retried at the next beat. :attr:`lost` is set when the lease was no longer ours
    (another process expired it): the work should stop and must not write its result. On an
    in-memory SQLite database (one connection, this process only) no other process can take the
    lease over, so no thread runs there.
    """

    def __init__(self, engine: Engine, model, ident, terms: LeaseTerms, now_fn: Callable[[], datetime], *,
                 where: Iterable = ()):
        self._engine, self._model, self._ident, self._terms = engine, model, ident, terms
        self._now_fn, self._where = now_fn, list(where)
        self._stop = threading.Event()
        self.lost = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> None:
        """One renewal, now."""
        try:
            with Session(self._engine) as session:
                renewed = renew(self._model, self._ident, self._terms, self._now_fn(), where=self._where, session=session)
                session.commit()
        except SQLAlchemyError:
            log.warning("could not renew the lease on %s %s", self._model.__name__, self._ident, exc_info=True)
            return
        if not renewed:
            log.warning("lost the lease on %s %s", self._model.__name__, self._ident)
            self.lost.set()

    def _run(self) -> None:
        while not self._stop.wait(self._terms.heartbeat.total_seconds()) and not self.lost.is_set():
            self.beat()

    def __enter__(self) -> Heartbeat:
        if not isinstance(self._engine.pool, StaticPool):
            self._thread = threading.Thread(target=self._run, name=f"heartbeat-{self._model.__name__}-{self._ident}",
                                            daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
