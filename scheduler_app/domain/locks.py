"""Row locks and unique violations: how a rule that depends on other rows holds under simultaneous requests.

A request that reads a value, decides in Python and writes back decides on what it read, not on
what is there when it writes: forty requests that each see one free place all take it. Two tools
keep such rules true at the database, on SQLite and PostgreSQL alike:

- :func:`lock_for_update` takes the row lock of the object that "owns" the rows a decision depends
  on (the class for its headcount, roster and students' wishes, the allocation for its
  assignments). Requests that lock the same row run one after the other; everything read after the
  lock is as the previous one committed it. Lock the one owning row first, before writing anything
  it owns, so two requests never wait for each other's rows the other way round (a deadlock).
- A unique index (e.g. on a normalised name) guards what must exist once; :func:`unique_violation_as`
  turns its violation into the :class:`DomainError` the form shows instead of a 500.

Counters are still changed by SQL relative to themselves (:mod:`scheduler_app.domain.seats`); the
lock makes the *delta* trustworthy (computed from rows read under the lock).

Like the rest of the domain these functions flush, never commit; the lock is held until the
boundary commits or rolls back.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import inspect, select, update
from sqlalchemy.exc import IntegrityError

from scheduler_app.domain.errors import DomainError, N_
from scheduler_app.extensions import db


class Gone(DomainError):
    """The object was deleted by a request that committed first."""

    def __init__(self, field: str | None = None):
        super().__init__(N_("This was removed in the meantime. Please reload the page."), field=field)


def lock_for_update(target, ident=None):
    """Lock one row for the rest of the transaction and return its object, freshly loaded (None if
    the row no longer exists).

    ``target`` is a mapped object, or a model class with ``ident`` (its primary key). Call it
    BEFORE reading what the decision depends on:

    - PostgreSQL: ``SELECT … FOR UPDATE OF <table>``; another transaction locking (or updating) the
      row waits until this one ends.
    - SQLite has one writer at a time, and pysqlite begins a transaction at the first data-changing
      statement: a no-op ``UPDATE <table> SET id = id WHERE id = :id`` makes this transaction the
      writer at once ("write-first"), so other writers wait (busy timeout) until it ends, and it can
      never be refused half-way for having read an old snapshot.

    Pending changes are flushed first, then EVERY object in the session is expired: whatever the
    caller reads next (the locked object, its collections, related objects it already held) comes
    from the database as it is now. Objects keep their identity, so the caller's references stay valid.
    """
    session = db.session
    if ident is None:
        model, ident = type(target), inspect(target).identity
    else:
        model = target
    mapper = inspect(model)
    keys = ident if isinstance(ident, tuple) else (ident,)
    conditions = [column == value for column, value in zip(mapper.primary_key, keys, strict=True)]
    session.flush()
    if session.get_bind(mapper).dialect.name == "sqlite":
        first_key = mapper.primary_key[0]
        session.execute(update(mapper.local_table).where(*conditions).values({first_key.name: first_key}))
        query = select(model)
    else:
        query = select(model).with_for_update(of=mapper.local_table)
    session.expire_all()
    return session.scalars(query.where(*conditions).execution_options(populate_existing=True)).one_or_none()


def lock_or_gone(target, field: str | None = None):
    """:func:`lock_for_update` for an object the request already holds; :class:`Gone` if it was deleted."""
    locked = lock_for_update(target)
    if locked is None:
        raise Gone(field)
    return locked


def violated_constraint(error: IntegrityError) -> str | None:
    """The name of the unique constraint or index an IntegrityError reports, on PostgreSQL and SQLite."""
    diag = getattr(error.orig, "diag", None)  # psycopg names the constraint
    if diag is not None and getattr(diag, "constraint_name", None):
        return diag.constraint_name
    message = str(error.orig)  # SQLite: "UNIQUE constraint failed: t.a, t.b" or "… failed: index 'name'"
    if not message.startswith("UNIQUE constraint failed: "):
        return None
    detail = message.removeprefix("UNIQUE constraint failed: ")
    if detail.startswith("index '"):
        return detail[len("index '"):].rstrip("'")
    columns = detail.split(", ")
    table_name = columns[0].split(".")[0]
    table = db.metadata.tables.get(table_name)
    for constraint in () if table is None else [*table.constraints, *table.indexes]:
        if getattr(constraint, "unique", True) and [f"{table_name}.{c.name}" for c in constraint.columns] == columns:
            return constraint.name
    return None


@contextmanager
def unique_violation_as(constraint_name: str, error: DomainError) -> Iterator[None]:
    """Inside the block, a flush that violates the unique constraint ``constraint_name`` raises
    ``error`` instead (other integrity errors pass unchanged). The transaction is then unusable,
    as after any DomainError the boundary rolls it back.

    Keep a friendly check in Python before the write for the usual case; this catches the request
    that lost the race between that check and its insert.
    """
    try:
        yield
    except IntegrityError as exc:
        if violated_constraint(exc) == constraint_name:
            raise error from exc
        raise


def insert_unless_present(model, values: dict, unique_columns: list[str]) -> bool:
    """``INSERT … ON CONFLICT (unique_columns) DO NOTHING``: for rows made on first use (a partnership,
    a calendar feed, a job's due item), where two requests may try at once and both must succeed with
    one row. True when this call inserted it."""
    from sqlalchemy.dialects.postgresql import insert as postgresql_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    insert = postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (insert(model).values(**values).on_conflict_do_nothing(index_elements=unique_columns)
                 .returning(*model.__table__.primary_key.columns))
    # RETURNING tells whether a row was inserted (on PostgreSQL the rowcount of a single-row insert is -1)
    return db.session.execute(statement).first() is not None
