"""Sign-in rate limits that hold in production: one count shared by every worker (Redis), one bucket
per client behind a reverse proxy (X-Forwarded-For, trusted only from ``PROXY_COUNT`` proxies).

Issue 12 measured 80 wrong sign-ins against 4 workers with the in-memory storage: 40 were
processed, each worker counting alone; behind a proxy every user shared one bucket."""
from __future__ import annotations

import uuid

import pytest

from scheduler_app.extensions import db
from scheduler_app.factory import create_app
from tests.conftest import TEST_DATABASE_URL, settings
from tests.live_server import Browser, LiveServer, race

WRONG = {"email": "nobody@example.org", "password": "falsch"}


def _app_behind_proxies(count: int):
    app = create_app(settings(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute", PROXY_COUNT=count))
    with app.app_context():
        if TEST_DATABASE_URL.startswith("sqlite"):
            db.create_all()
    return app


def _statuses(client, addresses: list[str]) -> list[int]:
    return [client.post("/auth/login", data=WRONG, headers={"X-Forwarded-For": address}).status_code
            for address in addresses]


@pytest.mark.parametrize("proxies, expected", [
    (0, [200, 200, 429, 429]),  # nobody's header is trusted: one bucket, whatever the header says
    (1, [200, 200, 200, 200]),  # the proxy's header names the client: a bucket each
])
def test_x_forwarded_for_counts_only_from_configured_proxies(app, proxies, expected):
    app = _app_behind_proxies(proxies)  # after the app fixture: its database, and the limiter bound to this app
    try:
        assert _statuses(app.test_client(), ["203.0.113.7", "203.0.113.7", "198.51.100.9", "198.51.100.9"]) == expected
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="module")
def limited_server(live_database, redis_url, tmp_path_factory):
    """4 workers behind one (pretended) proxy, counting sign-ins in Redis under a prefix of their own."""
    import redis

    prefix = f"test-{uuid.uuid4().hex[:12]}"
    server = LiveServer({
        "SQLALCHEMY_DATABASE_URI": live_database, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": redis_url,
        "RATELIMIT_KEY_PREFIX": prefix, "LOGIN_RATE_LIMIT": "10 per minute", "PROXY_COUNT": 1,
    }, tmp_path_factory.mktemp("limited"))
    yield server
    server.stop()
    client = redis.Redis.from_url(redis_url)
    try:
        for key in client.scan_iter(match=f"*{prefix}*"):
            client.delete(key)
    finally:
        client.close()


def _wrong_sign_ins(server: LiveServer, address: str, count: int) -> list[int]:
    """``count`` wrong sign-ins at once from the client at ``address`` (as its proxy reports it)."""
    headers = {"X-Forwarded-For": address}
    person = Browser(server.url)
    token = person.csrf_token("/auth/login", headers)
    answers = race(count, lambda _i: person.copy().post("/auth/login", {**WRONG, "csrf_token": token}, headers))
    return sorted(answer.status for answer in answers)


@pytest.mark.slow
def test_30_wrong_sign_ins_against_4_workers_are_processed_10_times(limited_server):
    assert _wrong_sign_ins(limited_server, "203.0.113.1", 30) == [200] * 10 + [429] * 20


@pytest.mark.slow
def test_two_clients_behind_the_proxy_have_a_bucket_each(limited_server):
    results = race(2, lambda i: _wrong_sign_ins(limited_server, f"203.0.113.{10 + i}", 15))
    assert results == [[200] * 10 + [429] * 5] * 2
