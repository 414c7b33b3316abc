"""The allocation engine.

Pipeline (see the package docstring for the overview):

1. parse and validate; locks that the constraint definitions alone already rule out make the
   instance ``infeasible`` (naming the lock);
2. aggregate students with identical profiles into *units* (an exact reformulation: per-unit rows
   hold ``multiplicity`` times, and König's edge-colouring theorem splits a unit's counts into
   individual schedules);
3. *uniform* instances (everyone present in every round, every offer the same seats in every
   round, no minimum sizes, locks or change costs): min-cost flow without rounds, then bipartite
   edge colouring into rounds -- exact, proven optimal;
4. otherwise: LP relaxation (HiGHS for the pooled LP, GLOP otherwise) over the candidate columns, with column generation for
   unranked offers and a Lagrangian lower bound that is valid whatever the column set; units
   whose LP values are integral are fixed, CP-SAT solves the rest from a complete hint built by
   rounding and a greedy repair that uses the same constraint rows.
"""
from __future__ import annotations

import contextlib
import math
import os
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .colouring import balance, edge_colouring
from .constraints import (Row, Unit, Universe, all_rows, pair_problem, violations)
from .instance import (FORMAT_RESULT, Instance, InvalidInstance, Problem, parse_instance)
from .objective import evaluate, metrics

Progress = Callable[[str, float], None]

DEFAULT_TIME_LIMIT = 60
#: enumerate every unranked column when units x eligible slots stays below this
ENUMERATE_LIMIT = 60_000
#: solve the whole model with CP-SAT (not just the fractional rest) below this many columns
FULL_CPSAT_LIMIT = 15_000


@dataclass
class _Ctx:
    inst: Instance
    deadline: float
    t0: float
    seed: int
    progress: Progress | None

    def report(self, phase: str, frac: float) -> None:
        if self.progress is not None:
            self.progress(phase, max(0.0, min(1.0, frac)))

    def left(self) -> float:
        return self.deadline - time.perf_counter()


def _result(status: str, assignments=(), objective=None, bound=None, metrics_=None,
            problems=()) -> dict:
    return {
        "format": FORMAT_RESULT,
        "status": status,
        "assignments": [{"student": s, "slot": l} for s, l in assignments],
        "objective": objective,
        "bound": bound,
        "metrics": metrics_ if metrics_ is not None else {},
        "problems": [p.to_dict() for p in problems],
    }


# ---------------------------------------------------------------------------------------------
def lock_problems(inst: Instance) -> list[Problem]:
    """Locks that cannot hold, found with the constraint definitions alone."""
    probs: list[Problem] = []
    locked_pairs: list[tuple[str, str]] = []
    for st in inst.students:
        for sid in st.locked_slots:
            sl = inst.slot_by_id[sid]
            res = pair_problem(inst, st, sl)
            if res is not None:
                probs.append(Problem("impossible_lock", f"locked slot '{sid}' of student "
                                     f"'{st.id}' violates constraint {res[0]}: {res[2]}",
                                     (st.id, sid)))
            else:
                locked_pairs.append((st.id, sid))
        for oid in st.locked_offers:
            ok = [inst.slots[i] for i in inst.slots_of_offer[inst.offer_by_id[oid].index]
                  if pair_problem(inst, st, inst.slots[i]) is None]
            if not ok:
                reasons = sorted({pair_problem(inst, st, inst.slots[i])[2]
                                  for i in inst.slots_of_offer[inst.offer_by_id[oid].index]})
                probs.append(Problem("impossible_lock", f"locked offer '{oid}' of student "
                                     f"'{st.id}' has no slot the student may attend"
                                     + (": " + "; ".join(reasons) if reasons else
                                        " (the offer has no slots)"), (st.id, oid)))
    for v in violations(inst, locked_pairs):
        if v.code in ("locked_offer_not_attended", "slot_below_min_size"):
            continue
        # name the locks involved: (student, slot) pairs touching the violated row's ids
        locks = [f"{s}:{l}" for s, l in locked_pairs
                 if s in v.ids or l in v.ids or inst.slot_by_id[l].offer in v.ids]
        students = sorted({x.split(":", 1)[0] for x in locks})
        probs.append(Problem("impossible_lock", f"the locks alone violate constraint "
                             f"{v.constraint}: {v.message} (locks: {', '.join(locks)})",
                             tuple(dict.fromkeys(v.ids + tuple(students)))))
    return probs


def build_units(inst: Instance) -> list[Unit]:
    """Aggregate students with identical profiles (no locks, no previous pairs)."""
    prev_students = {s for s, _ in inst.previous} if inst.costs.change_cost > 0 else set()
    groups: dict[tuple, list[int]] = {}
    order: list[tuple] = []
    for st in inst.students:
        if st.locked_slots or st.locked_offers or st.id in prev_students:
            key = ("single", st.index)
        else:
            key = ("agg", st.rounds, st.grade, tuple(sorted(st.preferences.items())),
                   st.excluded, inst.target(st))
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(st.index)
    return [Unit(i, inst.students[groups[k][0]], tuple(groups[k])) for i, k in enumerate(order)]


class _Columns:
    """Candidate columns: (unit, slot) with objective coefficient and upper bound."""

    def __init__(self, inst: Instance, units: list[Unit]):
        self.inst = inst
        self.units = units
        prev = inst.previous_count()
        self.prev: dict[tuple[int, int], int] = {}
        for (s, l), n in prev.items():
            st, sl = inst.student_by_id.get(s), inst.slot_by_id.get(l)
            if st is not None and sl is not None:
                self.prev[(st.index, sl.index)] = n
        self.pairs: list[tuple[int, int]] = []
        self.index: dict[tuple[int, int], int] = {}

    def coef(self, u: int, sl: int) -> int:
        inst = self.inst
        unit = self.units[u]
        slot = inst.slots[sl]
        c = inst.cost(unit.student, slot.offer)
        c = (c or 0) - inst.costs.missing_cost
        if unit.multiplicity == 1:
            c -= inst.costs.change_cost * self.prev.get((unit.student.index, sl), 0)
        return c

    def add(self, u: int, sl: int) -> None:
        if (u, sl) not in self.index:
            self.index[(u, sl)] = len(self.pairs)
            self.pairs.append((u, sl))

    def ub(self, col: int) -> int:
        u, sl = self.pairs[col]
        return min(self.units[u].multiplicity, self.inst.slots[sl].capacity)


def _eligible_matrix(inst: Instance, units: list[Unit]) -> np.ndarray:
    """Boolean units x slots: the pair rules (constraints 1 and 6) hold. Vectorised over slots
    but decided by the pair-rule functions on one representative per distinct profile."""
    n, k = len(units), len(inst.slots)
    mat = np.zeros((n, k), dtype=bool)
    cache: dict[tuple, np.ndarray] = {}
    for unit in units:
        st = unit.student
        # the pair rules read presence, grade, exclusions, and the ranked set only when
        # unranked offers are forbidden
        key = (st.rounds, st.grade, st.excluded,
               frozenset(st.preferences) if inst.costs.unranked_cost is None else None)
        row = cache.get(key)
        if row is None:
            row = np.fromiter((pair_problem(inst, st, sl) is None for sl in inst.slots),
                              dtype=bool, count=k)
            cache[key] = row
        mat[unit.index] = row
    return mat


def _ranked_mask(inst: Instance, units: list[Unit]) -> np.ndarray:
    mat = np.zeros((len(units), len(inst.slots)), dtype=bool)
    for unit in units:
        for oid in unit.student.preferences:
            for sl in inst.slots_of_offer[inst.offer_by_id[oid].index]:
                mat[unit.index, sl] = True
    return mat


# ---------------------------------------------------------------------------------------------
class _Model:
    """Rows over a column set, from the constraint definitions."""

    def __init__(self, inst: Instance, cols: _Columns, skip_trivial: bool = True):
        self.inst = inst
        self.cols = cols
        self.uni = Universe.build(cols.units, cols.pairs)
        self.rows: list[Row] = []
        ub = [cols.ub(c) for c in range(len(cols.pairs))]
        self.ubs = ub
        for row in all_rows(inst, self.uni):
            if skip_trivial and row.hi is not None and row.open_slot is None and row.lo is None:
                if sum(ub[c] for c in row.cols) <= row.hi:
                    continue  # never binding
            self.rows.append(row)
        self.open_slots = sorted({r.open_slot for r in self.rows if r.open_slot is not None})
        self.cost = [cols.coef(u, sl) for (u, sl) in cols.pairs]


def _solve_lp(model: _Model):
    from ortools.linear_solver import pywraplp

    solver = pywraplp.Solver.CreateSolver("GLOP")
    # integer costs with many ties make the LP very degenerate: dual simplex with perturbed
    # costs is 10-30x faster than the defaults here
    solver.SetSolverSpecificParametersAsString(
        "use_dual_simplex: true perturb_costs_in_dual_simplex: true")
    inf = solver.infinity()
    x = [solver.NumVar(0.0, float(model.ubs[c]), "") for c in range(len(model.cost))]
    y = {sl: solver.NumVar(0.0, 1.0, "") for sl in model.open_slots}
    cons = []
    for row in model.rows:
        ct = solver.Constraint(-inf if row.lo is None else float(row.lo),
                               inf if row.hi is None else float(row.hi))
        if row.coefs is None:
            for c in row.cols:
                ct.SetCoefficient(x[c], 1.0)
        else:
            for c, k in zip(row.cols, row.coefs):
                ct.SetCoefficient(x[c], float(k))
        if row.open_slot is not None:
            ct.SetCoefficient(y[row.open_slot], float(row.open_coef))
        cons.append(ct)
    obj = solver.Objective()
    for c, k in enumerate(model.cost):
        if k:
            obj.SetCoefficient(x[c], float(k))
    obj.SetMinimization()
    status = solver.Solve()
    if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        return None
    xv = np.array([v.solution_value() for v in x])
    yv = {sl: v.solution_value() for sl, v in y.items()}
    duals = np.array([ct.dual_value() for ct in cons])
    return xv, yv, duals, obj.Value()


def _lagrangian(model: _Model, duals: np.ndarray, priced: dict[int, np.ndarray]):
    """Valid lower bound on sum(cost * x) for any allocation, from (sign-corrected) duals.

    Keeps each unit's target row and the variable bounds, dualises every other row:
    L = sum_i pi_i b_i + sum_units knapsack(min reduced costs) + sum_open min(0, rc_open).
    ``priced`` maps unit -> reduced costs (without the target dual) of its columns that are not
    in the model (unranked offers), each with upper bound ``multiplicity`` (capped by 1 per slot
    of each offer via the offer row being dualised -- we only use that they are >= 0 each)."""
    inst = model.inst
    rows = model.rows
    n = len(model.cost)
    rc = np.array(model.cost, dtype=float)
    rc_open = defaultdict(float)
    const = 0.0
    target_rows = []
    for i, row in enumerate(rows):
        if row.code == "too_many_slots":
            target_rows.append(i)
            continue
        d = duals[i]
        # sign: <= rows have dual <= 0, >= rows dual >= 0 (minimisation)
        if row.lo is None:
            d = min(d, 0.0)
            b = row.hi
        else:
            d = max(d, 0.0)
            b = row.lo
        if d == 0.0:
            continue
        const += d * b
        if row.coefs is None:
            np.subtract.at(rc, row.cols, d)
        else:
            np.subtract.at(rc, row.cols, d * np.array(row.coefs, dtype=float))
        if row.open_slot is not None:
            rc_open[row.open_slot] -= d * row.open_coef
    total = const + sum(min(0.0, v) for v in rc_open.values())
    ubs = np.array(model.ubs, dtype=float)
    uni = model.uni
    for unit in model.cols.units:
        cap = inst.target(unit.student) * unit.multiplicity
        cols = uni.unit_cols[unit.index]
        vals = list(zip(rc[cols], ubs[cols])) if cols else []
        extra = priced.get(unit.index)
        if extra is not None:
            neg = extra[extra < 0]
            vals.extend((v, float(min(unit.multiplicity, 1e18))) for v in neg)
        vals = [v for v in vals if v[0] < 0]
        vals.sort()
        left = float(cap)
        for v, u in vals:
            if left <= 0:
                break
            take = min(u, left)
            total += v * take
            left -= take
    del n
    return total, rc


# ---------------------------------------------------------------------------------------------
def solve(data_or_instance, *, time_limit_s: float | None = None, seed: int | None = None,
          progress: Progress | None = None) -> dict:
    """Solve an allocation instance (dict or :class:`Instance`); returns an allocation-result/1
    dict. Prints nothing. Deterministic for the same instance and seed."""
    t0 = time.perf_counter()
    if isinstance(data_or_instance, Instance):
        inst = data_or_instance
    else:
        try:
            inst = parse_instance(data_or_instance)
        except InvalidInstance as e:
            return _result("invalid", problems=e.problems)
    if time_limit_s is None:
        time_limit_s = inst.time_limit_s if inst.time_limit_s is not None else DEFAULT_TIME_LIMIT
    if seed is None:
        seed = inst.seed if inst.seed is not None else 0
    ctx = _Ctx(inst, t0 + float(time_limit_s), t0, int(seed), progress)
    ctx.report("validate", 0.0)
    probs = lock_problems(inst)
    if probs:
        return _result("infeasible", problems=probs)
    units = build_units(inst)
    if _is_uniform(inst):
        from .flow import solve_uniform

        out = solve_uniform(inst, units, ctx)
    else:
        out = _solve_general(inst, units, ctx)
    if out is None:
        return _result("infeasible", problems=[Problem(
            "infeasible", "the locks cannot all hold together with the other hard constraints",
            tuple(sorted({st.id for st in inst.students if st.locked_slots or st.locked_offers}))
        )])
    pairs, bound = out
    if not _is_uniform(inst) and (bound is None or
                                  evaluate(inst, pairs).total - bound > LNS_STOP_GAP * abs(bound)):
        pairs = _improve(inst, pairs, bound, ctx, float(time_limit_s))
    pairs = sorted(pairs, key=lambda p: (inst.student_by_id[p[0]].index,
                                         inst.round_index[inst.slot_by_id[p[1]].round]))
    obj = evaluate(inst, pairs).total
    bound = min(bound, obj) if bound is not None else None
    status = "optimal" if bound == obj else "feasible"
    m = metrics(inst, pairs, per_group=False)
    m.pop("students", None)
    m["solve_seconds"] = round(time.perf_counter() - t0, 3)
    ctx.report("done", 1.0)
    return _result(status, pairs, obj, bound, m)


#: share of the time limit kept for the LNS improvement phase
LNS_SHARE = 0.35
#: no improvement phase once the relative gap is at most this (a deterministic criterion)
LNS_STOP_GAP = 0.0005


def _improve(inst: Instance, pairs, bound, ctx: _Ctx, time_limit: float):
    from .lns import improve

    # the number of steps follows from the time limit alone (determinism); the wall clock is only
    # a safety net
    # (a step with a few thousand columns needs ~0.3 deterministic s to beat its hint; about
    # 2x that in wall time including the model build)
    step_dtime = 0.3
    steps = int(LNS_SHARE * time_limit / (step_dtime * 2.0))
    ctx.report("improve", 0.92)
    return improve(inst, pairs, seed=ctx.seed, steps=steps, step_dtime=step_dtime, size=60,
                   wall_deadline=ctx.deadline - 0.1, bound=bound,
                   objective=evaluate(inst, pairs).total, stop_gap=LNS_STOP_GAP)


def _is_uniform(inst: Instance) -> bool:
    if any(st.locked_slots or st.locked_offers for st in inst.students):
        return False
    if inst.previous and inst.costs.change_cost > 0:
        return False
    all_rounds = frozenset(inst.rounds)
    if any(st.rounds != all_rounds for st in inst.students):
        return False
    for o in inst.offers:
        sl = [inst.slots[i] for i in inst.slots_of_offer[o.index]]
        if not sl:
            continue
        if any(s.min_size > 0 for s in sl):
            return False
        if sorted(s.round_index for s in sl) != list(range(len(inst.rounds))):
            return False
        if len({s.capacity for s in sl}) != 1:
            return False
    return True


# ---------------------------------------------------------------------------------------------
def _solve_general(inst: Instance, units: list[Unit], ctx: _Ctx):
    elig = _eligible_matrix(inst, units)
    ranked = _ranked_mask(inst, units) & elig
    unranked = elig & ~ranked
    cols = _Columns(inst, units)
    for u, sl in zip(*np.nonzero(ranked)):
        cols.add(int(u), int(sl))
    # previous pairs are always candidates
    for (si, sl) in cols.prev:
        st = inst.students[si]
        for unit in units:
            if unit.members == (si,):
                if elig[unit.index, sl]:
                    cols.add(unit.index, sl)
    enumerate_all = int(unranked.sum()) + len(cols.pairs) <= ENUMERATE_LIMIT
    if enumerate_all:
        for u, sl in zip(*np.nonzero(unranked)):
            cols.add(int(u), int(sl))
    ctx.report("lp", 0.05)
    const = _const(inst)
    if enumerate_all or inst.costs.unranked_cost is None:
        model = _Model(inst, cols)
        lp = _solve_lp(model)
        if lp is None:
            return None
        xv, yv, duals, lpval = lp
        lag, _ = _lagrangian(model, duals, {})
        bound = math.ceil(lag + const - 1e-7 * abs(lag) - 1e-6)
        free_units = None
        full = len(cols.pairs) <= FULL_CPSAT_LIMIT
    else:
        full = False
        n_ranked = len(cols.pairs)
        model = _Model(inst, cols, skip_trivial=False)
        lp = _solve_pooled_lp(inst, model, unranked)
        if lp is None:
            return None
        xv, yv, zv, lpval, pool_used = lp
        bound = math.ceil(lpval + const - 1e-7 * abs(lpval) - 1e-6)
        # units that use unranked seats in the LP get unranked columns in slots with spare seats
        free_units = set()
        rounded = np.rint(xv)
        frac = np.abs(xv - rounded) > EPS_LP
        free_units |= set(np.asarray(model.uni.col_unit)[frac].tolist())
        fixed_load = np.zeros(len(inst.slots))
        fixed = ~np.isin(np.asarray(model.uni.col_unit), list(free_units))
        np.add.at(fixed_load, np.asarray(model.uni.col_slot)[fixed], rounded[fixed])
        spare = np.array([s.capacity for s in inst.slots]) - fixed_load
        slot_round = np.array([s.round_index for s in inst.slots])
        order = np.lexsort((np.arange(len(inst.slots)), -spare))
        for u in sorted(free_units):
            row = unranked[u] & (spare > 0)
            per_round = defaultdict(int)
            for sl in np.nonzero(row & (pool_used[u] > EPS_LP))[0]:
                cols.add(u, int(sl))
        model = _Model(inst, cols)
        xv = np.concatenate([xv, np.zeros(len(cols.pairs) - n_ranked)])
    ctx.report("integer", 0.4)
    from .integer import integer_phase

    lp_part = bound - const if free_units is None else None
    pairs_units, cp_bound = integer_phase(inst, model, xv, yv, lp_part, ctx,
                                          full=full,
                                          free_units=free_units)
    if pairs_units is None:
        return None
    if cp_bound is not None:
        bound = max(bound, cp_bound + const)
    pairs = disaggregate(inst, units, pairs_units)
    from .fill import fill_missing, repair, top_up_min_size

    ctx.report("fill", 0.9)
    return repair(inst, fill_missing(inst, top_up_min_size(inst, pairs))), bound


EPS_LP = 1e-6
#: add the disaggregated open rows x <= ub * y to the pooled LP
DISAGG_OPEN_ROWS = True
#: LP solver of the pooled relaxation (falls back to GLOP when OR-Tools lacks it)
POOLED_LP_SOLVER = "HIGHS_LP"
#: unranked candidate slots per round for units that need unranked seats
UNRANKED_PER_ROUND = 8


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


def _solve_pooled_lp(inst: Instance, model: _Model, unranked: np.ndarray):
    """LP relaxation in which unranked seats are pooled: z[u, r] = unranked seats unit u takes
    in round r, p[g, l] = unranked seats of grade group g in slot l, with sum_l p[g, l] (l in
    round r) = sum_{u in g} z[u, r]. Every allocation maps to a feasible point (it only forgets
    which unranked offer), so the optimum is a valid lower bound."""
    from ortools.linear_solver import pywraplp

    # HiGHS' dual simplex solves this LP 2x faster than GLOP (5,000 x 120 x 5: 8.7 s against
    # 15 s; 10,000 x 200 x 6: 31 s against 70 s), same optimum; GLOP stays as the fallback
    solver = pywraplp.Solver.CreateSolver(POOLED_LP_SOLVER) if POOLED_LP_SOLVER else None
    if solver is None:
        solver = pywraplp.Solver.CreateSolver("GLOP")
        solver.SetSolverSpecificParametersAsString(
            "use_dual_simplex: true perturb_costs_in_dual_simplex: true")
    solver.SuppressOutput()
    inf = solver.infinity()
    units = model.cols.units
    x = [solver.NumVar(0.0, float(model.ubs[c]), "") for c in range(len(model.cost))]
    y = {sl: solver.NumVar(0.0, 1.0, "") for sl in model.open_slots}
    group_of = {}
    groups: dict = {}
    for unit in units:
        g = groups.setdefault(unit.student.grade, len(groups))
        group_of[unit.index] = g
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
    for (g, sl), v in p.items():
        p_of_slot[sl].append(v)
    slot_rowed, offer_rowed = set(), set()
    for row in model.rows:
        ct = solver.Constraint(-inf if row.lo is None else float(row.lo),
                               inf if row.hi is None else float(row.hi))
        for c in row.cols:
            ct.SetCoefficient(x[c], 1.0)
        if row.open_slot is not None:
            ct.SetCoefficient(y[row.open_slot], float(row.open_coef))
        u = model.uni.col_unit[row.cols[0]] if row.cols else None
        if row.code == "two_slots_in_round":
            v = z.get((u, inst.round_index[row.ids[1]]))
            if v is not None:
                ct.SetCoefficient(v, 1.0)
        elif row.code == "too_many_slots":
            unit = inst.student_by_id[row.ids[0]]
            uidx = u if u is not None else next(un.index for un in units
                                                if un.student.id == unit.id)
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
    # rows the ranked universe did not produce (slots/offers that only unranked seats reach)
    for sl, vs in p_of_slot.items():
        if sl not in slot_rowed:
            ct = solver.Constraint(0.0, float(inst.slots[sl].capacity))
            for v in vs:
                ct.SetCoefficient(v, 1.0)
    for o in inst.offers:
        if o.max_total is not None and o.index not in offer_rowed:
            vs = [v for sl in inst.slots_of_offer[o.index] for v in p_of_slot.get(sl, [])]
            if vs:
                ct = solver.Constraint(0.0, float(o.max_total))
                for v in vs:
                    ct.SetCoefficient(v, 1.0)
    # target rows for units without ranked columns
    have_target = {model.uni.col_unit[r.cols[0]] for r in model.rows
                   if r.code == "too_many_slots" and r.cols}
    for unit in units:
        if unit.index not in have_target:
            vs = [v for (u, r), v in z.items() if u == unit.index]
            if vs:
                ct = solver.Constraint(0.0, float(inst.target(unit.student) * unit.multiplicity))
                for v in vs:
                    ct.SetCoefficient(v, 1.0)
    # balance: per group and round
    bal = {}
    for (g, sl), v in p.items():
        key = (g, inst.slots[sl].round_index)
        if key not in bal:
            bal[key] = solver.Constraint(0.0, 0.0)
        bal[key].SetCoefficient(v, 1.0)
    for (u, r), v in z.items():
        key = (group_of[u], r)
        if key not in bal:
            bal[key] = solver.Constraint(0.0, 0.0)
        bal[key].SetCoefficient(v, -1.0)
    # disaggregated open rows x[c] <= ub[c] * y[slot]: valid for every allocation (a closed slot
    # holds nobody) and much tighter than the aggregated big-M rows
    col_slot = model.uni.col_slot
    for c in (range(len(x)) if DISAGG_OPEN_ROWS else ()):
        ys = y.get(col_slot[c])
        if ys is not None:
            ct = solver.Constraint(-inf, 0.0)
            ct.SetCoefficient(x[c], 1.0)
            ct.SetCoefficient(ys, -float(model.ubs[c]))
    obj = solver.Objective()
    for c, k in enumerate(model.cost):
        if k:
            obj.SetCoefficient(x[c], float(k))
    zc = float(inst.costs.unranked_cost - inst.costs.missing_cost)
    for v in z.values():
        obj.SetCoefficient(v, zc)
    obj.SetMinimization()
    with _quiet_stdout():  # HiGHS prints a banner on file descriptor 1 (the CLI's JSON)
        status = solver.Solve()
    if status != pywraplp.Solver.OPTIMAL:
        return None
    xv = np.array([v.solution_value() for v in x])
    yv = {sl: v.solution_value() for sl, v in y.items()}
    zv = {k: v.solution_value() for k, v in z.items()}
    used = np.zeros((len(groups), len(inst.slots)))
    for (g, sl), v in p.items():
        used[g, sl] = v.solution_value()
    return xv, yv, zv, obj.Value(), used[[group_of[u.index] for u in units]]


def _const(inst: Instance) -> int:
    return inst.costs.missing_cost * sum(inst.target(s) for s in inst.students) + \
        inst.costs.change_cost * len(inst.previous)


def disaggregate(inst: Instance, units: list[Unit],
                 counts: dict[tuple[int, int], int]) -> list[tuple[str, str]]:
    """Split per-unit slot counts into individual (student id, slot id) pairs (König)."""
    by_unit: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for (u, sl), n in counts.items():
        if n > 0:
            by_unit[u].append((sl, n))
    out: list[tuple[str, str]] = []
    for u in sorted(by_unit):
        unit = units[u]
        m = unit.multiplicity
        if m == 1:
            out.extend((unit.student.id, inst.slots[sl].id) for sl, _ in by_unit[u])
            continue
        edges = []
        for sl, n in sorted(by_unit[u]):
            slot = inst.slots[sl]
            right = inst.offers[slot.offer_index].company_key if inst.distinct_companies \
                else slot.offer
            edges.extend([((slot.round_index, sl), right)] * n)
        # left vertex = round (the slot is carried along for the result)
        left_edges = [(e[0][0], e[1]) for e in edges]
        colour = edge_colouring(left_edges, m)
        colour = balance(left_edges, colour, m, inst.target(unit.student))
        for (key, _), c in zip(edges, colour):
            out.append((inst.students[unit.members[c]].id, inst.slots[key[1]].id))
    return out
