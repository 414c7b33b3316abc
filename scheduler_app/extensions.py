"""Unbound extension instances; :mod:`scheduler_app.factory` binds them to an app."""
import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Engine
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from scheduler_app.models_base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@event.listens_for(Engine, "handle_error")
def _keep_values_out_of_database_errors(context):
    """PostgreSQL's error messages carry a DETAIL line with the values of a violated key ("Key
    (class_id, display_name)=(3, Mia K.) already exists"), and they end up in the error log with
    the traceback. Keep only the first line (which names the constraint), in the driver's error and
    in SQLAlchemy's wrapper (which copied the text); ``diag`` still holds the details for code that
    needs them. ``hide_parameters`` does the same for the statement's parameters."""
    original = context.original_exception
    if original is None or not original.args or not isinstance(original.args[0], str) or "\n" not in original.args[0]:
        return
    full = original.args[0]
    first_line = full.split("\n", 1)[0]
    original.args = (first_line, *original.args[1:])
    wrapper = context.sqlalchemy_exception
    if wrapper is not None and wrapper.args and isinstance(wrapper.args[0], str):
        wrapper.args = (wrapper.args[0].replace(full, first_line), *wrapper.args[1:])
SQLITE_BUSY_TIMEOUT_MS = 30_000  # a writer waits this long for another's transaction before "database is locked"


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record):
    """Every SQLite connection, in one place:

    - foreign keys on: SQLite ignores them (and so ``ON DELETE CASCADE``) unless asked on every
      connection; without it, deleting a class would leave its students' personal data behind;
    - a busy timeout: with several gunicorn workers, requests that lock rows
      (:mod:`scheduler_app.domain.locks`) queue for the single writer instead of failing;
    - WAL for a database file: readers never wait for the writer and the writer never waits for
      readers, so pages keep loading while a request holds the write lock.
    """
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if any(row[2] for row in cursor.execute("PRAGMA database_list").fetchall()):  # a file, not ":memory:"
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
