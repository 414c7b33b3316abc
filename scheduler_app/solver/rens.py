"""RENS: the LP's fractional rest solved by SCIP at its root node.

Relaxation-enforced neighbourhood search: the units whose LP values are integral keep them, and
a MIP over the rest -- every column of the units the LP left fractional, and of those in
minimum-size slots it opened fractionally (:func:`.integer.fractional_part`) -- is handed to
SCIP (bundled with OR-Tools, reached through ``pywraplp``), which solves its LP and runs its
diving and rounding heuristics at the root node only: no presolve, no cutting planes, no
branching.

Why SCIP and not CP-SAT here: on the benchmark's mid-size days with locks and minimum sizes the
optimum equals the LP bound, and the LP's optimal face holds an integral allocation close to the
LP's vertex. CP-SAT on the same fractional rest (the engine's integer phase) needed 4-6
deterministic seconds to find it on some days and did not find it in 5 s on others (mid-300-s1
stayed 0.65 % above the optimum); SCIP's root found the proven optimum of every one of the 18
days in at most 1.4 s after the LP (0.1-0.5 s on most).

Every row of the model is kept, so SCIP's answer is a valid allocation whenever it has one.
:func:`root_node` (any columns fixed, any free, optionally from a hint) also serves the
neighbourhoods of :mod:`.mip_lns` on larger days.
"""
from __future__ import annotations

import numpy as np

from .budget import Budget
from .columns import Model
from .integer import fractional_part
from .lp import _quiet_stdout

#: SCIP at the root node only: its LP and primal heuristics, no presolve and no cutting planes
#: (with them, mid-200-s2's whole model took 10.7 s instead of 2 s to reach the same optimum)
SCIP_ROOT_ONLY = "\n".join((
    "presolving/maxrounds = 0",
    "separating/maxrounds = 0",
    "separating/maxroundsroot = 0",
    "limits/nodes = 1",
))


def rens(model: Model, xv: np.ndarray, yv: dict, until: float, *, seed: int = 0):
    """Returns ``(values, cut)``: integer column values of the best allocation SCIP found
    (``None`` if it found none), and whether the clock (``until``) stopped SCIP."""
    free = fractional_part(model, xv, yv)
    return root_node(model, np.where(free, 0, np.rint(xv)).astype(np.int64), free, until,
                     seed=seed)


def root_node(model: Model, values: np.ndarray, free: np.ndarray, until: float, *,
              seed: int = 0, hint: bool = False):
    """SCIP's root node on the ``free`` columns of ``model``, the others fixed to ``values``:
    ``(values, cut)`` as :func:`rens` returns them. With ``hint``, ``values`` of the free columns
    are a complete valid allocation SCIP starts from (its answer is then never worse)."""
    from ortools.linear_solver import pywraplp

    if Budget.seconds_to(until) <= 0.05:
        return None, True
    solver = pywraplp.Solver.CreateSolver("SCIP")
    if solver is None:  # an OR-Tools build without SCIP
        return None, False
    solver.SuppressOutput()
    solver.SetNumThreads(1)
    solver.SetSolverSpecificParametersAsString(
        SCIP_ROOT_ONLY + f"\nrandomization/randomseedshift = {int(seed) % 2**31}")
    base = np.where(free, 0, values).astype(np.int64)
    x = {int(c): solver.IntVar(0.0, float(model.ubs[c]), "") for c in np.nonzero(free)[0]}
    y = {sl: solver.BoolVar("") for sl in model.open_slots}
    inf = solver.infinity()
    for row in model.rows:
        terms, const = [], 0
        for i, c in enumerate(row.cols):
            k = 1 if row.coefs is None else int(row.coefs[i])
            if c in x:
                terms.append((x[c], float(k)))
            else:
                const += k * int(base[c])
        if row.open_slot is not None:
            terms.append((y[row.open_slot], float(row.open_coef)))
        if not terms:
            if (row.lo is not None and const < row.lo) or (row.hi is not None and const > row.hi):
                return None, False  # the fixed part alone breaks a row (e.g. a lock)
            continue
        ct = solver.Constraint(-inf if row.lo is None else float(row.lo - const),
                               inf if row.hi is None else float(row.hi - const))
        for v, k in terms:
            ct.SetCoefficient(v, k)
    objective = solver.Objective()
    for c, v in x.items():
        if model.cost[c]:
            objective.SetCoefficient(v, float(model.cost[c]))
    objective.SetMinimization()
    if hint:
        load = np.zeros(len(model.inst.slots), dtype=np.int64)
        np.add.at(load, np.asarray(model.uni.col_slot, dtype=np.int64), values)
        solver.SetHint(list(x.values()) + list(y.values()),
                       [float(values[c]) for c in x] + [float(load[sl] > 0) for sl in y])
    left = Budget.seconds_to(until)
    if left <= 0.05:
        return None, True
    solver.SetTimeLimit(max(1, int(left * 1000)))
    # no relative gap: the objective counts each seat's saving against the missing cost, so
    # pywraplp's default 1e-4 of it is dozens of units, and SCIP stopped at a hint that far off
    params = pywraplp.MPSolverParameters()
    params.SetDoubleParam(params.RELATIVE_MIP_GAP, 0.0)
    with _quiet_stdout():
        status = solver.Solve(params)
    cut = status not in (solver.OPTIMAL, solver.INFEASIBLE) and Budget.seconds_to(until) <= 0.05
    if status not in (solver.OPTIMAL, solver.FEASIBLE):
        return None, cut
    values = base.copy()
    for c, v in x.items():
        values[c] = int(round(v.solution_value()))
    return values, cut
