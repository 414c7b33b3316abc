"""Shared instances, infeasible locks, determinism, CLI exit codes, Flask-free import."""
import json
import subprocess
import sys

import pytest

from scheduler_app.solver import check, generate_career_day, solve

from .conftest import INSTANCES, REPO_ROOT, need_data

OPTIMA = {"csplib-day1-test": 152, "wpi-2017-2018": 43}


@pytest.mark.parametrize("name", sorted(OPTIMA))
def test_shared_instance_reaches_its_proven_optimum(name):
    need_data()
    data = json.loads((INSTANCES / f"{name}.json").read_text())
    res = solve(data, time_limit_s=60)
    assert (res["status"], res["objective"], res["bound"]) == ("optimal", OPTIMA[name],
                                                               OPTIMA[name])
    assert check(data, res).ok


@pytest.mark.slow
def test_csplib_slots_100_reaches_its_proven_optimum():
    need_data()
    data = json.loads((INSTANCES / "csplib-slots-100.json").read_text())
    res = solve(data, time_limit_s=60)
    assert (res["status"], res["objective"]) == ("optimal", 414)
    assert check(data, res).ok


def test_impossible_locks_are_infeasible_naming_the_lock(inst):
    inst["students"][2]["locked_slots"] = ["S1"]          # P3 is absent in R1
    res = solve(inst)
    assert res["status"] == "infeasible" and res["assignments"] == []
    assert any("P3" in p["ids"] and "S1" in p["ids"] for p in res["problems"])


def test_locks_over_capacity_are_infeasible_naming_the_slot(inst):
    for st in inst["students"][:2]:
        st["locked_slots"] = ["S4"]
    inst["slots"][3]["capacity"] = 1
    res = solve(inst)
    assert res["status"] == "infeasible"
    assert any("S4" in p["ids"] and "P1" in p["ids"] and "P2" in p["ids"]
               for p in res["problems"])


def test_locked_excluded_offer_is_infeasible_naming_the_lock(inst):
    inst["students"][1]["locked_offers"] = ["O2"]
    res = solve(inst)
    assert res["status"] == "infeasible"
    assert any(p["ids"] == ["P2", "O2"] for p in res["problems"])


def test_feasible_locks_are_honoured(inst):
    inst["students"][0]["locked_slots"] = ["S4"]
    inst["students"][1]["locked_offers"] = ["O3"]
    res = solve(inst)
    got = {(a["student"], a["slot"]) for a in res["assignments"]}
    assert ("P1", "S4") in got and ("P2", "S4") in got
    assert check(inst, res).ok


def test_solve_is_deterministic_for_the_same_seed():
    data = generate_career_day(300, 20, 4, seed=3)
    a = solve(data, time_limit_s=10, seed=1)
    b = solve(data, time_limit_s=10, seed=1)
    assert json.dumps(a["assignments"]) == json.dumps(b["assignments"])
    assert a["objective"] == b["objective"]


def test_interleaved_portfolio_is_deterministic():
    """CP-SAT's portfolio on the whole model (minimum sizes, no allocation as a hint) gives the
    same values twice for the same deterministic budget -- the clock plays no part here."""
    import time

    import numpy as np

    from scheduler_app.solver import generate_varied_day, parse_instance
    from scheduler_app.solver.budget import Budget
    from scheduler_app.solver.columns import (Model, build_units, candidate_columns,
                                              eligible_matrix)
    from scheduler_app.solver.engine import _Ctx
    from scheduler_app.solver.exact import solve_columns

    inst = parse_instance(generate_varied_day(100, 12, 4, seed=0, seat_ratio=1.05,
                                              lock_share=0.0, min_size_share=0.15))
    units = build_units(inst)
    model = Model(inst, candidate_columns(inst, units, eligible_matrix(inst, units),
                                          unranked=True))
    runs = []
    for _ in range(2):
        ctx = _Ctx(inst, Budget(600), 2, None)
        out = solve_columns(model, ctx, values=np.zeros(len(model.cost), dtype=np.int64),
                            free=np.ones(len(model.cost), dtype=bool), dtime=0.5,
                            until=time.perf_counter() + 600, portfolio=4)
        runs.append((out.status, out.values.tolist()))
    assert runs[0][0] in ("feasible", "optimal")
    assert runs[0] == runs[1]


def test_generator_is_deterministic():
    assert generate_career_day(200, 15, 4, seed=5) == generate_career_day(200, 15, 4, seed=5)
    assert generate_career_day(200, 15, 4, seed=5) != generate_career_day(200, 15, 4, seed=6)


def test_progress_callback_gets_phases_and_fractions(inst):
    seen = []
    solve(inst, progress=lambda phase, frac: seen.append((phase, frac)))
    assert seen and all(isinstance(p, str) and 0.0 <= f <= 1.0 for p, f in seen)
    assert seen[-1] == ("done", 1.0)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "scheduler_app.solver", *args],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)


def test_cli_exit_codes(inst, tmp_path):
    ok = tmp_path / "ok.json"
    ok.write_text(json.dumps(inst))
    out = tmp_path / "res.json"
    p = _cli("solve", str(ok), "-o", str(out), "--time-limit", "10", "--seed", "1")
    assert p.returncode == 0, p.stderr
    assert json.loads(out.read_text())["status"] == "optimal"
    assert _cli("check", str(ok), str(out)).returncode == 0
    p = _cli("solve", str(ok))
    assert p.returncode == 0 and json.loads(p.stdout)["status"] == "optimal"
    bad_res = json.loads(out.read_text())
    bad_res["objective"] += 1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(bad_res))
    p = _cli("check", str(ok), str(bad))
    assert p.returncode == 1 and "objective_mismatch" in p.stdout
    inst["students"][2]["locked_slots"] = ["S1"]
    inf = tmp_path / "inf.json"
    inf.write_text(json.dumps(inst))
    assert _cli("solve", str(inf)).returncode == 1
    inst["slots"][0]["capacity"] = -3
    inv = tmp_path / "inv.json"
    inv.write_text(json.dumps(inst))
    p = _cli("solve", str(inv))
    assert p.returncode == 2 and json.loads(p.stdout)["status"] == "invalid"
    p = _cli("explain", str(ok), str(out), "P2")
    assert p.returncode == 0 and "[" in p.stdout


def test_solver_imports_without_flask_or_sqlalchemy():
    code = ("import sys, scheduler_app.solver; "
            "bad = [m for m in ('flask', 'sqlalchemy', 'flask_sqlalchemy') if m in sys.modules]; "
            "mods = [m for m in sys.modules if m.startswith('scheduler_app.models')]; "
            "print(bad + mods)")
    p = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[]"


@pytest.mark.parametrize("distinct", [False, True])
def test_uniform_day_is_proven_optimal_by_flow_and_edge_colouring(distinct):
    data = generate_career_day(400, 20, 4, seed=2, uniform=True)
    data["rules"]["distinct_companies"] = distinct
    res = solve(data, time_limit_s=10)
    assert res["status"] == "optimal" and res["bound"] == res["objective"]
    assert check(data, res).ok


def test_generated_day_result_is_valid_with_a_proven_bound():
    data = generate_career_day(300, 20, 4, seed=4)
    res = solve(data, time_limit_s=20)  # generous: the machine running the tests may be busy
    rep = check(data, res)
    assert rep.ok, rep.lines()
    assert res["bound"] <= res["objective"]
    assert (res["objective"] - res["bound"]) / res["objective"] < 0.02


def test_a_lock_whose_min_size_cannot_be_reached_is_infeasible_naming_the_locks():
    """S1 must take place (P1 is locked to it) but needs 3 attendees; P2 is locked elsewhere in
    the same round, so only P1 and P3 are left: the infeasibility core names both locks."""
    data = {"rounds": ["R1"], "offers": [{"id": "O1"}, {"id": "O2"}],
            "slots": [{"id": "S1", "offer": "O1", "round": "R1", "capacity": 5, "min_size": 3},
                      {"id": "S2", "offer": "O2", "round": "R1", "capacity": 5}],
            "students": [{"id": "P1", "preferences": {"O1": 1}, "locked_slots": ["S1"]},
                         {"id": "P2", "preferences": {"O2": 1}, "locked_slots": ["S2"]},
                         {"id": "P3", "preferences": {"O2": 1}}],
            "rules": {"slots_per_student": 1, "rank_costs": [0], "unranked_cost": 3,
                      "missing_cost": 5}}
    res = solve(data)
    assert res["status"] == "infeasible" and res["assignments"] == []
    assert {"P1", "S1", "P2", "S2"} <= set(res["problems"][0]["ids"])
    assert "P3" not in res["problems"][0]["ids"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_spec_model_on_scip_agrees_with_cp_sat(seed):
    """The benchmark's second reference solver: the same spec-written model as a MIP on SCIP
    proves the same optimum as CP-SAT on small days with locks and minimum sizes."""
    from scheduler_app.solver import evaluate, generate_varied_day, parse_instance
    from scheduler_app.solver.baselines import spec_cpsat

    data = generate_varied_day(24, 6, 3, seed=seed, seat_ratio=1.05, lock_share=0.1,
                               min_size_share=0.3)
    cp = spec_cpsat(data, 30, workers=2)
    mip = spec_cpsat(data, 30, backend="scip")
    assert cp[0] == mip[0] == "OPTIMAL"
    assert cp[1] == mip[1] == mip[2] == evaluate(parse_instance(data), mip[3]).total
    res = {"assignments": [{"student": s, "slot": l} for s, l in mip[3]], "objective": mip[1],
           "status": "optimal"}
    assert check(data, res).ok
