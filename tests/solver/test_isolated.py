"""solve_isolated: the answer of solve() from a child process, progress streamed back, and a clear
exception (never a dead caller) when the child crashes."""
import json

import pytest

from scheduler_app.solver import solve
from scheduler_app.solver.isolated import SolverCrashed, solve_isolated


def test_isolated_solve_returns_the_same_answer_and_streams_progress(inst):
    seen = []
    res = solve_isolated(inst, time_limit_s=10, seed=1,
                         progress=lambda phase, frac: seen.append((phase, frac)))
    assert res == {**solve(inst, time_limit_s=10, seed=1),
                   "metrics": res["metrics"]}  # solve_seconds differs
    assert res["status"] == "optimal"
    assert seen and seen[-1] == ("done", 1.0)


def test_isolated_solve_accepts_json_text(inst):
    assert solve_isolated(json.dumps(inst), time_limit_s=10)["status"] == "optimal"


@pytest.mark.parametrize("how, expected", [
    ("segv", "died with signal 11 (SIGSEGV)"),
    ("abort", "died with signal 6 (SIGABRT)"),
    ("exit", "exited with code 3 without an answer"),
    ("raise", "failed: RuntimeError: test crash"),
])
def test_a_crashing_child_raises_solver_crashed_and_the_caller_survives(inst, how, expected):
    seen = []
    with pytest.raises(SolverCrashed) as e:
        solve_isolated(inst, time_limit_s=10, progress=lambda *a: seen.append(a), _crash=how)
    assert expected in str(e.value)
    assert seen  # the progress event sent before the crash arrived
    if how in ("segv", "abort"):
        assert e.value.signal == {"segv": 11, "abort": 6}[how]


def test_a_child_that_hangs_is_killed_after_the_timeout(inst):
    with pytest.raises(SolverCrashed, match="no answer within 2 s and was killed"):
        solve_isolated(inst, time_limit_s=10, timeout_s=2, _crash="hang")
