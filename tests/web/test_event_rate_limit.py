"""Spam protection of the public registration form without a third party: a rate limit per client
address and per e-mail address (``EVENT_REGISTRATION_RATE_LIMIT``), answered with the friendly 429 page."""
from __future__ import annotations

from datetime import timedelta

import pytest

from scheduler_app.extensions import db
from scheduler_app.factory import create_app
from scheduler_app.models_base import utc_now
from tests.conftest import TEST_DATABASE_URL, settings
from tests.factories import make_employer_event


@pytest.fixture
def limited(app):
    limited = create_app(settings(RATELIMIT_ENABLED=True, EVENT_REGISTRATION_RATE_LIMIT="3 per minute"))
    with limited.app_context():
        if TEST_DATABASE_URL.startswith("sqlite"):
            db.create_all()
        event = make_employer_event(capacity=50, published_at=utc_now(), starts_at=utc_now() + timedelta(days=10),
                                    max_places_per_registration=5)
        db.session.commit()
        limited.config["event_id"] = event.id
    yield limited
    with limited.app_context():
        db.session.remove()
        db.engine.dispose()


def _post(client, app, email: str, address: str):
    return client.post(f"/events/{app.config['event_id']}/register", environ_base={"REMOTE_ADDR": address},
                       data={"name": "N", "email": email, "places": "1", "consent": "y"})


def test_the_fourth_registration_from_one_address_in_a_minute_is_refused(limited):
    client = limited.test_client()
    statuses = [_post(client, limited, f"p{i}@example.org", "10.0.0.1").status_code for i in range(3)]
    fourth = _post(client, limited, "p9@example.org", "10.0.0.1")
    assert statuses == [302] * 3 and fourth.status_code == 429
    assert _post(client, limited, "p10@example.org", "10.0.0.2").status_code == 302  # another address is not held up


def test_the_same_email_from_many_addresses_is_limited_too(limited):
    client = limited.test_client()
    statuses = [_post(client, limited, "same@example.org", f"10.0.1.{i}").status_code for i in range(3)]
    assert statuses == [302] * 3  # the first registers, the next two get the link mailed again
    assert _post(client, limited, "same@example.org", "10.0.1.99").status_code == 429
