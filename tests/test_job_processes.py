"""Two real job processes: one runs an allocation under a lease (tests/job_process.py), this test's
process sweeps as another job process would. While the first lives, its heartbeat keeps the run;
after ``kill -9`` the run is failed within a lease's length, without the dead process restarting.
On the database the suite runs on (a SQLite file, or a throwaway PostgreSQL database)."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from scheduler_app.domain.allocation import start_allocation
from scheduler_app.extensions import db
from scheduler_app.jobs import fail_abandoned_allocations
from scheduler_app.models import Allocation, AllocationState
from scheduler_app.models_base import utc_now
from tests.domain.allocation_data import make_small_day
from tests.live_server import PROJECT_ROOT

pytestmark = pytest.mark.slow

LEASE_SECONDS = 2
HEARTBEAT_SECONDS = 1


def _allocation(live_app, allocation_id: int) -> Allocation:
    with live_app.app_context():
        allocation = db.session.get(Allocation, allocation_id)
        db.session.expunge(allocation)
        return allocation


def _wait_until_claimed(live_app, allocation_id: int, process: subprocess.Popen, log_path) -> Allocation:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the job process exited:\n{log_path.read_text()}"
        allocation = _allocation(live_app, allocation_id)
        if allocation.state is AllocationState.running:
            return allocation
        time.sleep(0.2)
    raise AssertionError(f"the job process did not claim the allocation:\n{log_path.read_text()}")


def test_a_live_processs_run_is_kept_and_a_killed_processs_run_is_failed_by_another(live_app, live_database, tmp_path):
    with live_app.app_context():
        allocation_id = start_allocation(None, make_small_day().career_day, utc_now()).id
        db.session.commit()
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"SQLALCHEMY_DATABASE_URI": live_database, "JOB_LEASE_SECONDS": LEASE_SECONDS,
                                    "JOB_HEARTBEAT_SECONDS": HEARTBEAT_SECONDS}))
    log_path = tmp_path / "job-process.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "tests.job_process", str(settings), str(allocation_id)],
                                   cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        claimed = _wait_until_claimed(live_app, allocation_id, process, log_path)
        time.sleep(LEASE_SECONDS + HEARTBEAT_SECONDS)  # the first lease has run out: only heartbeats kept it

        kept = fail_abandoned_allocations(live_app)
        alive = _allocation(live_app, allocation_id)

        process.kill()  # kill -9: no clean-up of any kind
        process.wait(timeout=30)
        time.sleep(LEASE_SECONDS + 0.5)
        recovered = fail_abandoned_allocations(live_app)
        failed = _allocation(live_app, allocation_id)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)

    assert kept == 0
    assert alive.state is AllocationState.running and alive.claimed_by == claimed.claimed_by
    assert alive.heartbeat_at > claimed.heartbeat_at and alive.lease_until > claimed.lease_until
    assert recovered == 1
    assert failed.state is AllocationState.failed and failed.claimed_by is None
    assert f"the job process running it ({claimed.claimed_by}) stopped" in failed.error
    assert f":{process.pid}:" in claimed.claimed_by
