"""Calendar-feed benchmark: a 1,000-event feed's full build and the 304 path, over HTTP.

    python -m benchmarks.feeds [--events 1000] [--repeat 20]

Builds a company with EVENTS slots (offers × 4 rounds on career days within the feed window) in a
SQLite file, then requests its feed through the test client: a full GET (entries, ETag, body) and a
conditional GET with the ETag (entries and ETag only, answered 304). A full GET is measured cold
(the process's body cache emptied first: the calendar is serialised) and warm (the body for this
ETag is already built). Prints min / median / max.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    from scheduler_app.domain import feeds
    from scheduler_app.extensions import db
    from scheduler_app.factory import create_app
    from scheduler_app.models import FeedKind, OrganisationKind
    from scheduler_app.models_base import utc_now
    from tests import factories
    from tests.conftest import settings

    with tempfile.TemporaryDirectory() as directory:
        app = create_app(settings(SQLALCHEMY_DATABASE_URI=f"sqlite:///{directory}/bench.sqlite"))
        with app.app_context():
            db.create_all()
            company = factories.make_organisation(OrganisationKind.company, name="Benchmark GmbH")
            programme = factories.make_programme()
            rounds, offers_per_day = 4, 25
            days = -(-args.events // (rounds * offers_per_day))
            for index in range(days):
                day = factories.make_career_day(programme, rounds=rounds, day=date.today() + timedelta(days=30 + index))
                for _ in range(offers_per_day):
                    factories.make_offer(day, company=company)
            feed = feeds.feed_for(FeedKind.company, company.id, app.config["SECRET_KEY"], utc_now())
            db.session.commit()
            path = feeds.feed_path(feed, app.config["SECRET_KEY"], "Benchmark")
        client = app.test_client()
        first = client.get(path)
        events = first.text.count("BEGIN:VEVENT")
        from scheduler_app.web import feeds as web_feeds

        cold, warm, not_modified = [], [], []
        for _ in range(args.repeat):
            web_feeds._BODIES.clear()
            started = time.perf_counter()
            assert client.get(path).status_code == 200
            cold.append(time.perf_counter() - started)
            started = time.perf_counter()
            assert client.get(path).status_code == 200
            warm.append(time.perf_counter() - started)
            started = time.perf_counter()
            assert client.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
            not_modified.append(time.perf_counter() - started)
        with app.app_context():
            db.engine.dispose()

    def row(name, times):
        ms = [t * 1000 for t in times]
        return f"| {name} | {min(ms):.0f} | {statistics.median(ms):.0f} | {max(ms):.0f} |"

    print(f"feed with {events} events, {len(first.data) / 1024:.0f} KiB, {args.repeat} requests each")
    print("| request | min ms | median ms | max ms |\n|---|---|---|---|")
    print(row("full GET (200), body built", cold))
    print(row("full GET (200), body cached", warm))
    print(row("conditional GET (304)", not_modified))


if __name__ == "__main__":
    main()
