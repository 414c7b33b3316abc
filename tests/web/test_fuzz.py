"""No input answers 5xx or writes anything: malformed submissions to every POST route and every
URL with an id, as every role (see ``tests/web/fuzzing.py``; ``python -m benchmarks.fuzz`` runs
20,000 and prints the answers per route)."""
import time

from tests.web.fuzzing import POISON, build_world, run, summary

CASES = 2700  # with the employer-event routes, 2,000 left one request per form route and role; 2,500 with the undo routes of late changes
SEED = 12
SESSION_ONLY = {"public.set_language", "student.sign_out"}  # no form: they redirect whatever is sent


def test_malformed_input_never_answers_5xx_and_never_writes_a_row(app):
    world = build_world(app)
    started = time.perf_counter()
    report = run(app, world, cases=CASES, seed=SEED)
    print(f"\n{report.cases} requests in {time.perf_counter() - started:.1f} s\n{summary(report)}")
    assert not report.failures, f"{len(report.failures)} answered 5xx:\n" + "\n".join(report.failures[:40])
    assert not report.writes, "the database changed after: " + "; ".join(report.writes)
    assert report.cases >= CASES * 0.95
    reached = {endpoint for endpoint, status in report.statuses if status in (200, 422)}
    assert set(POISON) - SESSION_ONLY <= reached, "no form was processed (200/422) for some routes"
