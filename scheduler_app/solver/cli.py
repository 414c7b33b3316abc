"""``python -m scheduler_app.solver solve|check|explain`` (see the format spec)."""
from __future__ import annotations

import argparse
import json
import sys

EXIT = {"optimal": 0, "feasible": 0, "infeasible": 1, "invalid": 2}


def _load(path: str):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m scheduler_app.solver")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("solve", help="solve an allocation instance")
    s.add_argument("instance")
    s.add_argument("-o", "--output")
    s.add_argument("--time-limit", type=float, default=None)
    s.add_argument("--seed", type=int, default=None)
    c = sub.add_parser("check", help="check a result against its instance")
    c.add_argument("instance")
    c.add_argument("result")
    e = sub.add_parser("explain", help="why a student did not get a better wish")
    e.add_argument("instance")
    e.add_argument("result")
    e.add_argument("student")
    e.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    from . import check, explain, solve
    from .instance import FORMAT_RESULT, Problem

    if args.cmd == "solve":
        try:
            data = _load(args.instance)
        except (OSError, ValueError) as ex:
            res = {"format": FORMAT_RESULT, "status": "invalid", "assignments": [],
                   "objective": None, "bound": None, "metrics": {},
                   "problems": [Problem("unreadable", f"cannot read the instance: {ex}",
                                        (args.instance,)).to_dict()]}
        else:
            res = solve(data, time_limit_s=args.time_limit, seed=args.seed)
        text = json.dumps(res, ensure_ascii=False, indent=1)
        if args.output:
            with open(args.output, "w", encoding="utf-8") as f:
                f.write(text + "\n")
        else:
            sys.stdout.write(text + "\n")
        for p in res["problems"]:
            print(f"{res['status']}: [{p['code']}] {p['message']}", file=sys.stderr)
        return EXIT[res["status"]]
    try:
        inst, result = _load(args.instance), _load(args.result)
    except (OSError, ValueError) as ex:
        print(f"cannot read input: {ex}", file=sys.stderr)
        return 2
    if args.cmd == "check":
        rep = check(inst, result)
        for line in rep.lines():
            print(line)
        if rep.ok:
            print(f"ok: valid allocation, objective {rep.objective}")
            return 0
        if rep.problems and rep.objective is None and any(
                p.code != "no_allocation" for p in rep.problems):
            return 2
        return 1
    reasons = explain(inst, result, args.student)
    if args.json:
        print(json.dumps([r.to_dict() for r in reasons], ensure_ascii=False, indent=1))
    else:
        for r in reasons:
            print(f"[{r.code}] {r.message}")
    return 0
