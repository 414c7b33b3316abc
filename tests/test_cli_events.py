"""``flask events list|show [--json]``: one line (or object) per event with its public URL, and an event's
registrations (confirmed with places, the waitlist in order)."""
from __future__ import annotations

import json
from datetime import datetime

from scheduler_app.domain import employer_events as ev
from scheduler_app.extensions import db
from scheduler_app.models_base import utc_now
from tests.factories import make_employer_event

SITE = ev.Site("http://localhost", "testing-secret")


def _event_with_registrations(app) -> int:
    with app.app_context():
        event = make_employer_event(capacity=4, title="Tag der offenen Tür", published_at=utc_now(),
                                    starts_at=datetime(2030, 5, 7, 14), max_places_per_registration=10)
        for email, places in (("a@example.org", 3), ("b@example.org", 2), ("c@example.org", 1), ("d@example.org", 1)):
            ev.register(event, name=email[0].upper(), email=email, places=places, now=utc_now(), site=SITE)
        make_employer_event(title="Entwurf")
        db.session.commit()
        return event.id


def test_events_list_json_has_the_documented_keys_and_absolute_urls(app, runner):
    event_id = _event_with_registrations(app)
    result = runner.invoke(args=["events", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    first = next(row for row in rows if row["id"] == event_id)
    assert set(first) == {"id", "title", "company", "starts_at", "capacity", "confirmed", "waiting", "state", "url"}
    assert first == {**first, "title": "Tag der offenen Tür", "starts_at": "2030-05-07T14:00:00", "capacity": 4,
                     "confirmed": 4, "waiting": 3, "state": "published",
                     "url": f"http://localhost/events/{event_id}/tag-der-offenen-tuer"}
    assert {row["state"] for row in rows} == {"published", "draft"}


def test_events_list_prints_one_line_per_event(app, runner):
    event_id = _event_with_registrations(app)
    lines = runner.invoke(args=["events", "list"]).output.splitlines()
    assert len(lines) == 2
    line = next(line for line in lines if line.strip().startswith(str(event_id)))
    assert "capacity 4" in line and "confirmed 4" in line and "waiting 3" in line and "published" in line
    assert line.endswith(f"http://localhost/events/{event_id}/tag-der-offenen-tuer")


def test_events_show_lists_confirmed_places_and_the_waitlist_in_order(app, runner):
    event_id = _event_with_registrations(app)
    data = json.loads(runner.invoke(args=["events", "show", str(event_id), "--json"]).output)
    assert [(r["name"], r["places"]) for r in data["confirmed"]] == [("A", 3), ("C", 1)]
    assert [(r["position"], r["name"], r["places"]) for r in data["waitlist"]] == [(1, "B", 2), (2, "D", 1)]
    text = runner.invoke(args=["events", "show", str(event_id)]).output
    assert "Confirmed: 4 of 4 places" in text and "Waitlist: 3 places" in text
    assert runner.invoke(args=["events", "show", "999"]).exit_code != 0
