"""The spec's objective and the result metrics, computed from an allocation given by ids."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Sequence

from .instance import Instance


@dataclass(frozen=True)
class ObjectiveBreakdown:
    assignment_cost: int
    missing: int
    changes: int
    total: int


def evaluate(inst: Instance, pairs: Sequence[tuple[str, str]]) -> ObjectiveBreakdown:
    """Objective of an allocation (pairs naming unknown ids, or forbidden unranked pairs, cost 0
    here; ``check`` reports them as violations)."""
    cost = 0
    n_of: Counter[str] = Counter()
    kept: set[tuple[str, str]] = set()
    for sid, lid in pairs:
        st = inst.student_by_id.get(sid)
        sl = inst.slot_by_id.get(lid)
        if st is None or sl is None:
            continue
        n_of[sid] += 1
        kept.add((sid, lid))
        c = inst.cost(st, sl.offer)
        cost += c or 0
    missing = sum(max(0, inst.target(st) - n_of[st.id]) for st in inst.students)
    changes = sum(1 for p in inst.previous if p not in kept)
    total = cost + inst.costs.missing_cost * missing + inst.costs.change_cost * changes
    return ObjectiveBreakdown(cost, missing, changes, total)


def student_cost(inst: Instance, st, offers: Sequence[str]) -> int:
    """A student's share of the objective when attending ``offers`` (ids): their costs plus the
    missing cost of each wanted slot left empty (change costs are not shared out)."""
    return sum(inst.cost(st, o) or 0 for o in offers) + \
        inst.costs.missing_cost * max(0, inst.target(st) - len(offers))


def _summary(inst: Instance, students, got: dict[str, list[str]]) -> dict:
    hist: Counter[str] = Counter()
    missing = served = first = 0
    n = 0
    for st in students:
        offers = got.get(st.id, [])
        t = inst.target(st)
        missing += max(0, t - len(offers))
        served += len(offers) >= t
        ranks = [st.preferences.get(o) for o in offers]
        for r in ranks:
            hist["unranked" if r is None else str(r)] += 1
        if t > 0:
            n += 1
            first += any(r == 1 for r in ranks)
    keys = sorted((k for k in hist if k != "unranked"), key=int)
    if "unranked" in hist:
        keys.append("unranked")
    return {
        "students": len(students),
        "rank_histogram": {k: hist[k] for k in keys},
        "missing": missing,
        "students_fully_served": served,
        "first_wish_share": round(first / n, 4) if n else 1.0,
    }


def metrics(inst: Instance, pairs: Sequence[tuple[str, str]], *, per_group: bool = True,
            solve_seconds: float | None = None) -> dict:
    """Result metrics: rank histogram, missing slots, students fully served (got target(s)),
    share of students (with target > 0) who got an offer they ranked 1 -- and the same per group
    (class) under ``per_group``. Also ``changes`` (pairs of ``previous`` not kept)."""
    got: dict[str, list[str]] = defaultdict(list)
    for sid, lid in pairs:
        if sid in inst.student_by_id and lid in inst.slot_by_id:
            got[sid].append(inst.slot_by_id[lid].offer)
    out = _summary(inst, inst.students, got)
    out["changes"] = evaluate(inst, pairs).changes
    if solve_seconds is not None:
        out["solve_seconds"] = round(solve_seconds, 3)
    if per_group:
        groups: dict[str, list] = defaultdict(list)
        for st in inst.students:
            groups[st.group if st.group is not None else ""].append(st)
        out["per_group"] = {g: _summary(inst, sts, got) for g, sts in sorted(groups.items())}
    return out
