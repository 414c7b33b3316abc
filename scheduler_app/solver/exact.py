"""CP-SAT over the constraint rows of a column set (see :mod:`.constraints`).

One builder serves the integer phase (some columns fixed, the rest free), the whole-model search
on small and mid-size days (every column free, the engine's allocation as a complete hint, the LP
bound as a cut) and the exact fallback that makes an answer valid when repairing it failed. Locks
are enforced through assumption literals, so an infeasible model names the locks that clash.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from .columns import Model
    from .engine import _Ctx

_LOCK_CODES = ("locked_slot_not_attended", "locked_offer_not_attended")


@dataclass
class SatOutcome:
    status: str            # "optimal", "feasible", "infeasible" or "unknown" (no solution in time)
    values: np.ndarray     # column values (the hint when no solution was found)
    bound: int | None      # proven lower bound on sum(cost * x) over the free columns + fixed cost
    culprits: list         # lock rows in an infeasibility core (when infeasible)


def solve_columns(model: "Model", ctx: "_Ctx", *, values: np.ndarray, free: np.ndarray,
                  dtime: float, until: float, lower_bound: float | None = None,
                  portfolio: int = 1) -> SatOutcome:
    """CP-SAT over the ``free`` columns of ``model`` with the others fixed to ``values``.

    ``values`` (integers, one per column) is the complete hint. ``lower_bound``, if given, is a
    proven lower bound on ``sum(cost * x)`` over *all* columns of any valid allocation (the LP); it
    becomes the cut ``obj >= lower_bound - fixed cost``, valid whatever the column set, so CP-SAT
    can stop as soon as it reaches it. ``portfolio``: see :meth:`.budget.Budget.sat`."""
    from ortools.sat.python import cp_model

    from .budget import BUILD_MARGIN, SAT_BUILD_S, Budget

    inst = model.inst
    ncol = len(model.cost)
    val = np.asarray(values, dtype=np.int64).copy()
    if Budget.seconds_to(until) < BUILD_MARGIN * SAT_BUILD_S * int(np.count_nonzero(free)) + 0.02:
        ctx.budget.stopped_early = True  # no time to build the model, let alone search it
        return SatOutcome("unknown", val, None, [])
    m = cp_model.CpModel()
    var: dict[int, object] = {}
    for c in np.nonzero(free)[0].tolist():
        ub = int(model.ubs[c])
        v = m.NewBoolVar("") if ub == 1 else m.NewIntVar(0, ub, "")
        var[c] = v
        m.AddHint(v, int(min(max(val[c], 0), ub)))
    slot_of = model.uni.col_slot
    load = np.zeros(len(inst.slots), dtype=np.int64)
    if ncol:
        np.add.at(load, np.asarray(slot_of, dtype=np.int64), val)
    free_slots = {slot_of[c] for c in var}
    yvar = {}
    for sl in model.open_slots:
        if sl in free_slots:
            yvar[sl] = m.NewBoolVar("")
            m.AddHint(yvar[sl], 1 if load[sl] > 0 else 0)
    lock_lits: list[tuple[object, object]] = []
    infeasible_fixed: list = []
    Sum, WeightedSum = cp_model.LinearExpr.Sum, cp_model.LinearExpr.WeightedSum
    for r in model.rows:
        const = 0
        terms = []
        for c in r.cols:
            v = var.get(c)
            if v is not None:
                terms.append(v)
            else:
                const += int(val[c])
        open_const = 0
        if r.open_slot is not None:
            if r.open_slot in yvar:
                expr = WeightedSum(terms + [yvar[r.open_slot]], [1] * len(terms) + [r.open_coef])
                terms.append(None)  # not empty
            else:
                open_const = r.open_coef * (1 if load[r.open_slot] > 0 else 0)
                expr = Sum(terms) if terms else None
        else:
            expr = Sum(terms) if terms else None
        if not terms:
            total = const + open_const
            if (r.hi is not None and total > r.hi) or (r.lo is not None and total < r.lo):
                infeasible_fixed.append(r)
            continue
        if r.hi is not None:
            m.Add(expr <= r.hi - const - open_const)
        if r.lo is not None:
            ct = m.Add(expr >= r.lo - const - open_const)
            if r.code in _LOCK_CODES:
                lit = m.NewBoolVar("")
                ct.OnlyEnforceIf(lit)
                lock_lits.append((lit, r))
    fixed_cost = int(sum(model.cost[c] * int(val[c]) for c in range(ncol) if c not in var))
    if infeasible_fixed:
        return SatOutcome("infeasible", val, None, [r for r in infeasible_fixed
                                                    if r.code in _LOCK_CODES])
    if not var:
        return SatOutcome("optimal", val, fixed_cost, [])
    obj_cols = [c for c in var if model.cost[c]]
    obj = WeightedSum([var[c] for c in obj_cols], [int(model.cost[c]) for c in obj_cols])
    m.Minimize(obj)
    if lower_bound is not None:
        m.Add(obj >= math.ceil(lower_bound - fixed_cost - 1e-6))
    if lock_lits:
        m.AddAssumptions([lit for lit, _ in lock_lits])
    solver = cp_model.CpSolver()
    ctx.budget.sat(solver, ctx.seed, dtime, until, portfolio)
    status = solver.Solve(m)
    ctx.budget.note_cut(solver, status, dtime)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        for c, v in var.items():
            val[c] = solver.Value(v)
        if status == cp_model.OPTIMAL:
            bound = int(round(solver.ObjectiveValue())) + fixed_cost
        else:
            bound = math.ceil(solver.BestObjectiveBound() - 1e-6) + fixed_cost
        return SatOutcome("optimal" if status == cp_model.OPTIMAL else "feasible", val, bound, [])
    if status == cp_model.INFEASIBLE:
        core = set(solver.SufficientAssumptionsForInfeasibility()) if lock_lits else set()
        culprits = [r for lit, r in lock_lits if lit.Index() in core]
        return SatOutcome("infeasible", val, None, culprits)
    return SatOutcome("unknown", val, None, [])
