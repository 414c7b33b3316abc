"""Shared fixtures: an app per test on SQLite (default) or on PostgreSQL (``TEST_DATABASE_URL``).

Solver tests never use these fixtures (they create no app).
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from scheduler_app.config import TestingConfig, normalise_database_url

DEFAULT_POSTGRES_URL = "postgresql+psycopg://127.0.0.1:5432/test"
TEST_DATABASE_URL = normalise_database_url(os.environ.get("TEST_DATABASE_URL", "sqlite://"))
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"
REDIS_URL = "redis://127.0.0.1:6379/0"
REQUIRE_REDIS = os.environ.get("REQUIRE_REDIS") == "1"


def settings(**overrides) -> dict:
    values = {key: getattr(TestingConfig, key) for key in dir(TestingConfig) if key.isupper()}
    values["SQLALCHEMY_DATABASE_URI"] = TEST_DATABASE_URL
    values.update(overrides)
    return values


def _reachable(url: str) -> str | None:
    """None when the database answers, else the reason it does not."""
    engine = sa.create_engine(url, connect_args={"connect_timeout": 3} if url.startswith("postgresql") else {})
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Exception as error:  # any driver error means: not reachable
        return f"{type(error).__name__}: {str(error).splitlines()[0]}"
    finally:
        engine.dispose()
    return None


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A reachable PostgreSQL URL, or a skip that says how to provide one (a failure in CI)."""
    url = TEST_DATABASE_URL if TEST_DATABASE_URL.startswith("postgresql") else DEFAULT_POSTGRES_URL
    problem = _reachable(url)
    if problem:
        message = f"PostgreSQL not reachable at {url} ({problem}); set TEST_DATABASE_URL to run these tests"
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)
    return url


@pytest.fixture(scope="session")
def redis_url() -> str:
    """Redis at 127.0.0.1:6379 (shared rate-limit storage), or a skip that says so (a failure
    with ``REQUIRE_REDIS=1``, as in CI). Tests keep their keys apart with a prefix of their own."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as error:
        message = f"Redis not reachable at {REDIS_URL} ({error}); start redis-server to run these tests"
        if REQUIRE_REDIS:
            pytest.fail(message)
        pytest.skip(message)
    finally:
        client.close()
    return REDIS_URL


@contextlib.contextmanager
def throwaway_postgres_database(postgres_url: str) -> Iterator[str]:
    """The URL of a fresh, empty PostgreSQL database, dropped when the block ends."""
    import uuid

    name = f"test_throwaway_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.engine.make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def throwaway_postgres_url(postgres_url):
    """A fresh, empty PostgreSQL database of its own (dropped afterwards), for tests that build their
    own schema (migrations, concurrency) without touching the shared ``test`` database."""
    with throwaway_postgres_database(postgres_url) as url:
        yield url


@pytest.fixture(scope="session")
def _schema_on_shared_database():
    """On PostgreSQL the schema is built once per session and emptied after each test."""
    if TEST_DATABASE_URL.startswith("sqlite"):
        yield
        return
    from scheduler_app.extensions import db
    from scheduler_app.factory import create_app

    app = create_app(settings())
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()
        db.engine.dispose()  # an idle pooled connection would outlive the session and warn
    yield
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def app(_schema_on_shared_database):
    """A fresh app and empty database. No context stays pushed, so every test-client request gets
    its own application context (as in production); set up data inside ``with app.app_context()``
    or use ``db_session``."""
    from scheduler_app.extensions import db
    from scheduler_app.factory import create_app

    app = create_app(settings())
    with app.app_context():
        if TEST_DATABASE_URL.startswith("sqlite"):
            db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        if TEST_DATABASE_URL.startswith("sqlite"):
            db.drop_all()
        else:
            tables = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
            with db.engine.begin() as connection:
                connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.fixture
def _push_request_context():
    """Overrides pytest-flask's autouse fixture: a request context kept open for the whole test
    would make every test-client request share one ``g`` (and one signed-in user)."""
    yield


@pytest.fixture
def db_session(app):
    """The session inside an application context held for the test (domain tests)."""
    from scheduler_app.extensions import db

    with app.app_context():
        yield db.session


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    """Sign in and out through the real form, as a person would."""

    def __init__(self, client):
        self._client = client

    def login(self, email: str, password: str = "correct horse battery"):
        return self._client.post("/auth/login", data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/auth/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def own_app(request, tmp_path):
    """An app on a database of its own that several connections share (a SQLite file, then a
    throwaway PostgreSQL database), schema built; no context left pushed. For concurrency tests."""
    from scheduler_app.extensions import db
    from scheduler_app.factory import create_app

    if request.param == "sqlite":
        url, engine_options = f"sqlite:///{tmp_path / 'own.sqlite'}", {}
    else:
        url, engine_options = request.getfixturevalue("throwaway_postgres_url"), {"pool_size": 20}
    app = create_app(settings(SQLALCHEMY_DATABASE_URI=url, SQLALCHEMY_ENGINE_OPTIONS=engine_options))
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# --- a real server on a database of its own (tests/live_server.py) -------------------------------------

@pytest.fixture(scope="session")
def live_database(request, tmp_path_factory) -> Iterator[str]:
    """A database with the schema built, of the kind the suite runs on: a SQLite FILE (a live
    server's workers are separate processes), or a throwaway PostgreSQL database when
    ``TEST_DATABASE_URL`` names PostgreSQL. One per session (dropping a PostgreSQL database forces
    a checkpoint, seconds on a busy machine); each test builds rows of its own in it."""
    from scheduler_app.extensions import db
    from scheduler_app.factory import create_app

    with contextlib.ExitStack() as stack:
        if TEST_DATABASE_URL.startswith("postgresql"):
            url = stack.enter_context(throwaway_postgres_database(request.getfixturevalue("postgres_url")))
        else:
            url = f"sqlite:///{tmp_path_factory.mktemp('live') / 'live.sqlite'}"
        app = create_app(settings(SQLALCHEMY_DATABASE_URI=url))
        with app.app_context():
            db.create_all()
            db.engine.dispose()
        yield url


@pytest.fixture(scope="session")
def live_app(live_database):
    """An app on the live database, for building a test's data (``with live_app.app_context(): … commit``)
    and checking what the server wrote."""
    from scheduler_app.extensions import db
    from scheduler_app.factory import create_app

    app = create_app(settings(SQLALCHEMY_DATABASE_URI=live_database))
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(live_database, tmp_path_factory):
    """gunicorn with 4 sync workers on the live database (CSRF on, rate limits off), for the session."""
    from tests.live_server import LiveServer

    server = LiveServer({"SQLALCHEMY_DATABASE_URI": live_database}, tmp_path_factory.mktemp("server"))
    yield server
    server.stop()
