"""Malformed input against every route, longer than the suite runs it: answers per route and status.

    python -m benchmarks.fuzz                                  # 20,000 requests on in-memory SQLite
    python -m benchmarks.fuzz --cases 5000 --seed 7
    python -m benchmarks.fuzz --database postgresql+psycopg://127.0.0.1:5432/fuzz   # tables are created and dropped

The generator, the world and the checks are the suite's (``tests/web/fuzzing.py``): any 5xx and
any row written is listed at the end, and the exit status is 1 if there is one.
"""
from __future__ import annotations

import argparse
import sys
import time

from scheduler_app.extensions import db
from scheduler_app.factory import create_app
from tests.conftest import settings
from tests.web.fuzzing import build_world, run, summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--database", default="sqlite://", help="a database whose tables may be created and dropped")
    args = parser.parse_args(argv)
    app = create_app(settings(SQLALCHEMY_DATABASE_URI=args.database))
    with app.app_context():
        db.drop_all()
        db.create_all()
    try:
        world = build_world(app)
        started = time.perf_counter()
        report = run(app, world, cases=args.cases, seed=args.seed)
        seconds = time.perf_counter() - started
    finally:
        with app.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()
    print(summary(report))
    print(f"\n{report.cases} requests in {seconds:.1f} s (seed {args.seed}, {args.database.split(':')[0]}): "
          f"{len(report.failures)} answered 5xx, {len(report.writes)} batches wrote to the database")
    for line in report.failures[:50] + [f"wrote: {what}" for what in report.writes]:
        print(line)
    return 1 if report.failures or report.writes else 0


if __name__ == "__main__":
    sys.exit(main())
