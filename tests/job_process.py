"""A job process for tests: ``python -m tests.job_process SETTINGS_JSON ALLOCATION_ID`` runs that
allocation the way ``flask jobs run`` would (claim, heartbeat, engine), except that the engine never
finishes, so the process holds the lease until it is killed. Settings as for a live server
(:func:`tests.live_server.app_from_settings_file`)."""
from __future__ import annotations

import sys
import time


def main(settings_path: str, allocation_id: int) -> None:
    import scheduler_app.solver
    from scheduler_app.allocation_runs import run_allocation
    from scheduler_app.models_base import utc_now
    from tests.live_server import app_from_settings_file

    def engine_that_never_finishes(instance, **options):
        while True:
            time.sleep(60)

    # run_allocation calls the engine through solve_isolated (a child process): replace that
    scheduler_app.solver.solve_isolated = engine_that_never_finishes
    app = app_from_settings_file(settings_path)
    with app.app_context():
        run_allocation(allocation_id, utc_now)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
