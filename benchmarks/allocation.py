"""Allocation benchmark: the engine against random serial dictatorship and plain CP-SAT.

    python -m benchmarks.allocation --quick          # shared instances + 1,200 x 60 x 4
    python -m benchmarks.allocation                  # + 5,000 x 120 x 5, 10,000 x 200 x 6 (both)
    python -m benchmarks.allocation --only gen-1200x60x4 --methods engine

Every solve runs in its own child process; peak memory is that child's ru_maxrss (os.wait4),
so OR-Tools' C++ allocations count. Prints one table row per (instance, method).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "instances"

# name -> (spec, engine time limit)
GENERATED = {
    "gen-1200x60x4": ((1200, 60, 4, False), 5),
    "gen-5000x120x5": ((5000, 120, 5, False), 20),
    "gen-10000x200x6": ((10000, 200, 6, False), 60),
    "uniform-10000x200x6": ((10000, 200, 6, True), 5),
}
SHARED = {"csplib-day1-test": 152, "csplib-slots-100": 414, "wpi-2017-2018": 43}
PLAIN_CPSAT_MAX_PAIRS = 1_500_000


def load(name: str) -> dict:
    if name in GENERATED:
        from scheduler_app.solver import generate_career_day

        (n, o, r, u), _ = GENERATED[name]
        return generate_career_day(n, o, r, seed=0, uniform=u)
    return json.loads((DATA / f"{name}.json").read_text())


def worker(name: str, method: str, time_limit: float) -> dict:
    from scheduler_app.solver import check, metrics, parse_instance, solve
    from scheduler_app.solver.baselines import plain_cpsat, random_serial_dictatorship

    data = load(name)
    inst = parse_instance(data)
    t = time.perf_counter()
    bound = None
    status = ""
    if method == "engine":
        res = solve(data, time_limit_s=time_limit, seed=0)
        pairs = [(a["student"], a["slot"]) for a in res["assignments"]]
        bound, status = res["bound"], res["status"]
    elif method == "rsd":
        pairs = random_serial_dictatorship(inst, seed=0)
        status = "heuristic"
    else:
        n_pairs = len(inst.students) * len(inst.slots)
        if n_pairs > PLAIN_CPSAT_MAX_PAIRS:
            return {"skipped": f"{n_pairs:,} pairs: plain model not built (memory)"}
        pairs, bound, status = plain_cpsat(inst, time_limit)
        if pairs is None:
            return {"seconds": time.perf_counter() - t, "status": status, "objective": None,
                    "bound": bound, "students": len(inst.students), "offers": len(inst.offers),
                    "rounds": len(inst.rounds)}
    secs = time.perf_counter() - t
    from scheduler_app.solver import evaluate

    obj = evaluate(inst, pairs).total
    rep = check(inst, {"assignments": [{"student": s, "slot": l} for s, l in pairs],
                       "objective": obj, "status": "feasible"})
    m = metrics(inst, pairs, per_group=False)
    return {"seconds": secs, "status": status, "objective": obj, "bound": bound,
            "first": m["first_wish_share"], "missing": m["missing"], "valid": rep.ok,
            "students": len(inst.students), "offers": len(inst.offers),
            "rounds": len(inst.rounds)}


def run_child(name: str, method: str, time_limit: float) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.allocation", "--worker", name, method,
           str(time_limit)]
    p = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = b"", b""
    # read everything, then reap with wait4 to get this child's own rusage
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = status
    try:
        row = json.loads(out.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        row = {"error": err.decode()[-300:]}
    row["peak_mb"] = ru.ru_maxrss / 1024
    return row


def fmt(v, spec):
    width = int("".join(ch for ch in spec.split(".")[0] if ch.isdigit()) or 0)
    return f"{'-':>{width}}" if v is None else format(v, spec)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="shared instances and 1,200 students")
    ap.add_argument("--only", nargs="*", help="instance names")
    ap.add_argument("--methods", nargs="*", default=["engine", "rsd", "plain-cpsat"])
    ap.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        name, method, tl = args.worker
        print(json.dumps(worker(name, method, float(tl))))
        return 0
    names = list(SHARED) + list(GENERATED)
    if args.quick:
        names = list(SHARED) + ["gen-1200x60x4"]
    if args.only:
        names = args.only
    if not DATA.is_dir():
        names = [n for n in names if n in GENERATED]
        print(f"(shared data not found at {DATA}; generated instances only)")
    hdr = (f"{'instance':22} {'method':11} {'stud':>6} {'off':>4} {'rnd':>3} {'sec':>7} "
           f"{'objective':>10} {'bound':>10} {'gap %':>7} {'1st %':>6} {'miss':>5} "
           f"{'MB':>6}  status")
    print(hdr)
    print("-" * len(hdr))
    for name in names:
        tl = GENERATED[name][1] if name in GENERATED else 60
        for method in args.methods:
            r = run_child(name, method, tl)
            if "skipped" in r or "error" in r:
                print(f"{name:22} {method:11} {r.get('skipped') or r.get('error')}")
                continue
            obj, b = r.get("objective"), r.get("bound")
            gap = (obj - b) / obj * 100 if obj and b is not None else None
            first = r.get("first")
            print(f"{name:22} {method:11} {r.get('students', 0):6d} {r.get('offers', 0):4d} "
                  f"{r.get('rounds', 0):3d} {r['seconds']:7.2f} {fmt(obj, '10d')} "
                  f"{fmt(b, '10d')} {fmt(gap, '7.3f')} "
                  f"{fmt(None if first is None else first * 100, '6.1f')} "
                  f"{fmt(r.get('missing'), '5d')} {r['peak_mb']:6.0f}  {r['status']}"
                  + ("" if r.get("valid", True) else " INVALID"), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
