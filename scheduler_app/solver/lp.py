"""LP relaxations over a :class:`~.columns.Model`, solved with HiGHS (GLOP if OR-Tools lacks it).

Both return ``None`` when the clock (``until``) stops them and ``"infeasible"`` when the
relaxation has no solution (then the instance has none either). Their optimum plus the
objective's constant part is a valid lower bound on the objective of every allocation.

Only primal values and the optimum are read: through ``pywraplp``, HiGHS reports row activities
where duals are asked for (OR-Tools 9.15).
"""
from __future__ import annotations

import contextlib
import os
import sys
from collections import defaultdict

import numpy as np

from .budget import Budget
from .columns import Model
from .instance import Instance

#: LP solver (falls back to GLOP when OR-Tools lacks it)
LP_SOLVER = "HIGHS_LP"


@contextlib.contextmanager
def _quiet_stdout():
    """Silence file descriptor 1 (native code writes there directly, around sys.stdout)."""
    try:
        sys.stdout.flush()
        fd = os.dup(1)
    except (OSError, ValueError, AttributeError):
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            try:
                yield
            finally:
                os.dup2(fd, 1)
    finally:
        os.close(fd)


class _LP:
    """The model's columns and rows in a pywraplp solver; pooled relaxations add to them."""

    def __init__(self, model: Model):
        from ortools.linear_solver import pywraplp

        self.pywraplp = pywraplp
        solver = pywraplp.Solver.CreateSolver(LP_SOLVER) if LP_SOLVER else None
        if solver is None:
            solver = pywraplp.Solver.CreateSolver("GLOP")
            # integer costs with many ties make the LP very degenerate: dual simplex with
            # perturbed costs is 10-30x faster than GLOP's defaults here
            solver.SetSolverSpecificParametersAsString(
                "use_dual_simplex: true perturb_costs_in_dual_simplex: true")
        solver.SuppressOutput()
        self.solver = solver
        self.inf = solver.infinity()
        self.x = [solver.NumVar(0.0, float(model.ubs[c]), "") for c in range(len(model.cost))]
        self.y = {sl: solver.NumVar(0.0, 1.0, "") for sl in model.open_slots}
        self.cons = []
        for row in model.rows:
            ct = self.row(row.lo, row.hi)
            if row.coefs is None:
                for c in row.cols:
                    ct.SetCoefficient(self.x[c], 1.0)
            else:
                for c, k in zip(row.cols, row.coefs):
                    ct.SetCoefficient(self.x[c], float(k))
            if row.open_slot is not None:
                ct.SetCoefficient(self.y[row.open_slot], float(row.open_coef))
            self.cons.append(ct)
        self.obj = solver.Objective()
        for c, k in enumerate(model.cost):
            if k:
                self.obj.SetCoefficient(self.x[c], float(k))
        self.obj.SetMinimization()

    def row(self, lo, hi):
        return self.solver.Constraint(-self.inf if lo is None else float(lo),
                                      self.inf if hi is None else float(hi))

    def solve(self, until: float):
        """"optimal", "infeasible" or None (out of time)."""
        left = Budget.seconds_to(until)
        if left <= 0:
            return None
        self.solver.SetTimeLimit(max(1, int(left * 1000)))
        with _quiet_stdout():  # HiGHS prints a banner on file descriptor 1 (the CLI's JSON)
            status = self.solver.Solve()
        if status == self.pywraplp.Solver.INFEASIBLE:
            return "infeasible"
        return "optimal" if status == self.pywraplp.Solver.OPTIMAL else None

    def values(self):
        return (np.array([v.solution_value() for v in self.x]),
                {sl: v.solution_value() for sl, v in self.y.items()})


def solve_lp(model: Model, until: float):
    """The LP over the model's columns: ``(x, open, optimum)``, ``None`` or ``"infeasible"``."""
    lp = _LP(model)
    status = lp.solve(until)
    if status != "optimal":
        return status
    xv, yv = lp.values()
    return xv, yv, lp.obj.Value()


def solve_pooled_lp(inst: Instance, model: Model, unranked: np.ndarray, until: float):
    """The LP in which unranked seats are pooled: ``z[u, r]`` = unranked seats unit u takes in
    round r, ``p[g, l]`` = unranked seats of grade group g in slot l, with sum_l p[g, l] (l in
    round r) = sum_{u in g} z[u, r]. Every allocation maps to a feasible point (it only forgets
    which unranked offer), so the optimum is a valid lower bound.

    Returns ``(x, open, optimum, pool)`` -- ``pool[u, l]``: unranked seats of unit u's group used
    in slot l -- or ``None`` / ``"infeasible"``."""
    lp = _LP(model)
    solver = lp.solver
    units = model.cols.units
    group_of = {}
    groups: dict = {}
    for unit in units:
        group_of[unit.index] = groups.setdefault(unit.student.grade, len(groups))
    z = {}
    for unit in units:
        rs = sorted({inst.slots[sl].round_index for sl in np.nonzero(unranked[unit.index])[0]})
        for r in rs:
            z[(unit.index, r)] = solver.NumVar(0.0, float(unit.multiplicity), "")
    p = {}
    gmask = np.zeros((len(groups), len(inst.slots)), dtype=bool)
    for unit in units:
        gmask[group_of[unit.index]] |= unranked[unit.index]
    for g, sl in zip(*np.nonzero(gmask)):
        p[(int(g), int(sl))] = solver.NumVar(0.0, float(inst.slots[sl].capacity), "")
    p_of_slot = defaultdict(list)
    for (_g, sl), v in p.items():
        p_of_slot[sl].append(v)
    slot_rowed, offer_rowed = set(), set()
    for row, ct in zip(model.rows, lp.cons):
        u = model.uni.col_unit[row.cols[0]] if row.cols else None
        if row.code == "two_slots_in_round":
            v = z.get((u, inst.round_index[row.ids[1]]))
            if v is not None:
                ct.SetCoefficient(v, 1.0)
        elif row.code == "too_many_slots":
            uidx = u if u is not None else next(un.index for un in units
                                                if un.student.id == row.ids[0])
            for r in range(len(inst.rounds)):
                v = z.get((uidx, r))
                if v is not None:
                    ct.SetCoefficient(v, 1.0)
        elif row.code in ("slot_over_capacity", "slot_below_min_size"):
            sl = inst.slot_by_id[row.ids[0]].index
            slot_rowed.add(sl)
            for v in p_of_slot.get(sl, []):
                ct.SetCoefficient(v, 1.0)
        elif row.code == "offer_over_max_total":
            o = inst.offer_by_id[row.ids[0]].index
            offer_rowed.add(o)
            for sl in inst.slots_of_offer[o]:
                for v in p_of_slot.get(sl, []):
                    ct.SetCoefficient(v, 1.0)
    # rows the ranked columns did not produce (slots/offers that only unranked seats reach)
    for sl, vs in p_of_slot.items():
        if sl not in slot_rowed:
            ct = lp.row(0.0, inst.slots[sl].capacity)
            for v in vs:
                ct.SetCoefficient(v, 1.0)
    for o in inst.offers:
        if o.max_total is not None and o.index not in offer_rowed:
            vs = [v for sl in inst.slots_of_offer[o.index] for v in p_of_slot.get(sl, [])]
            if vs:
                ct = lp.row(0.0, o.max_total)
                for v in vs:
                    ct.SetCoefficient(v, 1.0)
    # target rows for units without ranked columns
    have_target = {model.uni.col_unit[r.cols[0]] for r in model.rows
                   if r.code == "too_many_slots" and r.cols}
    for unit in units:
        if unit.index not in have_target:
            vs = [v for (u, r), v in z.items() if u == unit.index]
            if vs:
                ct = lp.row(0.0, inst.target(unit.student) * unit.multiplicity)
                for v in vs:
                    ct.SetCoefficient(v, 1.0)
    # balance: per group and round
    bal = {}
    for (g, sl), v in p.items():
        key = (g, inst.slots[sl].round_index)
        if key not in bal:
            bal[key] = lp.row(0.0, 0.0)
        bal[key].SetCoefficient(v, 1.0)
    for (u, r), v in z.items():
        key = (group_of[u], r)
        if key not in bal:
            bal[key] = lp.row(0.0, 0.0)
        bal[key].SetCoefficient(v, -1.0)
    zc = float(inst.costs.unranked_cost - inst.costs.missing_cost)
    for v in z.values():
        lp.obj.SetCoefficient(v, zc)
    status = lp.solve(until)
    if status != "optimal":
        return status
    xv, yv = lp.values()
    used = np.zeros((len(groups), len(inst.slots)))
    for (g, sl), v in p.items():
        used[g, sl] = v.solution_value()
    return xv, yv, lp.obj.Value(), used[[group_of[u.index] for u in units]]
