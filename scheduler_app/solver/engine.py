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

from .budget import FALLBACK_SLACK, Budget
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
    budget: Budget
    seed: int
    progress: Progress | None

    def report(self, phase: str, frac: float) -> None:
        if self.progress is not None:
            self.progress(phase, max(0.0, min(1.0, frac)))


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


def _solve_lp(model: _Model, wall: float):
    """The LP over the model's columns (GLOP); ``None`` if it ran out of ``wall`` seconds,
    ``"infeasible"`` if it has no solution."""
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
    solver.SetTimeLimit(max(1, int(wall * 1000)))
    status = solver.Solve()
    if status == pywraplp.Solver.INFEASIBLE:
        return "infeasible"
    if status != pywraplp.Solver.OPTIMAL:
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
@dataclass
class _Found:
    """What a search produced: an allocation (maybe not yet valid), a proven lower bound on the
    objective, and -- when the search proved the instance infeasible -- the problems naming why."""

    pairs: list | None = None
    bound: int | None = None
    infeasible: list[Problem] | None = None


def solve(data_or_instance, *, time_limit_s: float | None = None, seed: int | None = None,
          progress: Progress | None = None) -> dict:
    """Solve an allocation instance (dict or :class:`Instance`); returns an allocation-result/1
    dict. Prints nothing. Deterministic for the same instance and seed (unless
    ``metrics.stopped_early``: the clock cut a phase short).

    Never an invalid answer: the allocation is checked with :func:`check` before it is returned;
    one that fails is repaired, or replaced by an exact CP-SAT model's answer. If neither gives a
    valid allocation, the status is ``infeasible`` -- with the problem code ``infeasible`` or
    ``impossible_lock`` when that is proven, and ``no_allocation_found`` (naming the rows still
    violated) when the time ran out first."""
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
    ctx = _Ctx(inst, Budget(float(time_limit_s), t0), int(seed), progress)
    ctx.report("validate", 0.0)
    probs = lock_problems(inst)
    if probs:
        return _result("infeasible", problems=probs)
    units = build_units(inst)
    if _is_uniform(inst):
        from .flow import solve_uniform

        out = solve_uniform(inst, units, ctx)
        found = _Found(*out) if out is not None else _Found()
    else:
        found = _solve_general(inst, units, ctx)
    return _finish(inst, units, ctx, found)


def _finish(inst: Instance, units: list[Unit], ctx: _Ctx, found: _Found) -> dict:
    """Check the allocation; repair it or fall back to the exact model when it is not valid."""
    from .check import check
    from .fill import make_valid

    if found.infeasible is not None:
        return _result("infeasible", problems=found.infeasible)
    bound = found.bound
    pairs, left = make_valid(inst, found.pairs or [])
    if left:
        ctx.report("fill", 0.95)
        exact = _exact_fallback(inst, units, ctx, pairs)
        if exact.infeasible is not None:
            return _result("infeasible", problems=exact.infeasible)
        if exact.pairs is None:
            return _no_allocation(inst, ctx, left)
        pairs = exact.pairs
        if exact.bound is not None:
            bound = exact.bound if bound is None else max(bound, exact.bound)
    pairs = sorted(pairs, key=lambda p: (inst.student_by_id[p[0]].index,
                                         inst.round_index[inst.slot_by_id[p[1]].round]))
    obj = evaluate(inst, pairs).total
    bound = min(bound, obj) if bound is not None else None
    status = "optimal" if bound == obj else "feasible"
    m = metrics(inst, pairs, per_group=False)
    m.pop("students", None)
    if ctx.budget.stopped_early:
        m["stopped_early"] = True
    m["solve_seconds"] = round(ctx.budget.elapsed(), 3)
    res = _result(status, pairs, obj, bound, m)
    rep = check(inst, res)
    if not rep.ok:  # cannot happen after make_valid / the exact model; never report it valid
        return _no_allocation(inst, ctx, rep.violations)
    ctx.report("done", 1.0)
    return res


def _no_allocation(inst: Instance, ctx: _Ctx, left) -> dict:
    """No valid allocation within the time limit, and none proven impossible either: the spec has
    no status for "unknown", so the answer is ``infeasible`` with a problem that says so."""
    rows = "; ".join(f"constraint {v.constraint} [{v.code}] {v.message}" for v in left[:5])
    more = f" (and {len(left) - 5} more)" if len(left) > 5 else ""
    ids = tuple(dict.fromkeys(i for v in left for i in v.ids))
    m = {"stopped_early": True, "solve_seconds": round(ctx.budget.elapsed(), 3)}
    ctx.report("done", 1.0)
    return _result("infeasible", metrics_=m, problems=[Problem(
        "no_allocation_found", "no valid allocation was found within the time limit; it was "
        f"not proven impossible. The best attempt still violates: {rows}{more}", ids)])


def _lock_culprits(inst: Instance, rows) -> list[Problem]:
    """Problems naming the locks of an infeasibility core (all locks if the core is unknown)."""
    if rows:
        return [Problem("infeasible", f"the locks cannot all hold together with the other hard "
                        f"constraints: {', '.join(r.ids[0] + ' -> ' + r.ids[1] for r in rows)}",
                        tuple(dict.fromkeys(i for r in rows for i in r.ids)))]
    return [Problem("infeasible", "the locks cannot all hold together with the other hard "
                    "constraints", tuple(sorted({st.id for st in inst.students
                                                 if st.locked_slots or st.locked_offers})))]


#: the exact fallback model enumerates every allowed (unit, slot) pair up to this many
EXACT_FALLBACK_MAX_PAIRS = 400_000


def _exact_fallback(inst: Instance, units: list[Unit], ctx: _Ctx, pairs) -> _Found:
    """CP-SAT over every allowed (unit, slot) column, from ``pairs`` as a hint, in the time that
    is left (plus the spec's 10 %). With every column present, infeasible is a proof; on very
    large days the columns are cut to ranked, locked and previous ones plus the hint's, so
    infeasibility is then only "no allocation found"."""
    from .exact import solve_columns

    elig = _eligible_matrix(inst, units)
    complete = int(elig.sum()) <= EXACT_FALLBACK_MAX_PAIRS
    cols = _candidate_columns(inst, units, elig, unranked=complete)
    for s, l in pairs:  # the hint's pairs (unranked ones included) are columns too
        u = _unit_of_student(units)[inst.student_by_id[s].index]
        sl = inst.slot_by_id[l].index
        if elig[u, sl]:
            cols.add(u, sl)
    model = _Model(inst, cols)
    values = _values_of(inst, units, model, pairs)
    wall = max(0.05, ctx.budget.left(hard=True) - 0.05)
    out = solve_columns(model, ctx, values=values, free=np.ones(len(model.cost), dtype=bool),
                        dtime=ctx.budget.dtime(0.1 + FALLBACK_SLACK), wall=wall)
    if out.status == "infeasible":
        return _Found(infeasible=_lock_culprits(inst, out.culprits)) if complete else _Found()
    if out.status == "unknown":
        return _Found()
    counts = {model.cols.pairs[c]: int(v) for c, v in enumerate(out.values) if v > 0}
    return _Found(disaggregate(inst, units, counts),
                  out.bound + _const(inst) if complete and out.bound is not None else None)


def _unit_of_student(units: list[Unit]) -> dict[int, int]:
    return {s: u.index for u in units for s in u.members}


def _values_of(inst: Instance, units: list[Unit], model: _Model, pairs) -> np.ndarray:
    """Column values (per unit and slot counts) of an allocation given by ids; pairs without a
    column are left out."""
    uos = _unit_of_student(units)
    val = np.zeros(len(model.cost), dtype=np.int64)
    for s, l in pairs:
        c = model.cols.index.get((uos[inst.student_by_id[s].index], inst.slot_by_id[l].index))
        if c is not None:
            val[c] += 1
    return val


#: share of the time limit kept for the LNS improvement phase
LNS_SHARE = 0.35
#: no improvement phase once the relative gap is at most this (a deterministic criterion)
LNS_STOP_GAP = 0.0005


def _improve(inst: Instance, pairs, bound, ctx: _Ctx):
    from .lns import improve

    # the number of steps follows from the time limit alone (determinism); the wall clock is only
    # a safety net (a step with a few thousand columns needs ~0.3 deterministic s to beat its
    # hint; about 2x that in wall time including the model build)
    step_dtime = 0.3
    steps = int(LNS_SHARE * ctx.budget.limit / (step_dtime * 2.0))
    ctx.report("improve", 0.92)
    out, cut = improve(inst, pairs, seed=ctx.seed, steps=steps, step_dtime=step_dtime, size=60,
                       wall_deadline=ctx.budget.deadline - _reserve(inst, ctx), bound=bound,
                       objective=evaluate(inst, pairs).total, stop_gap=LNS_STOP_GAP)
    if cut:
        ctx.budget.stopped_early = True
    return out


def _reserve(inst: Instance, ctx: _Ctx) -> float:
    """Seconds kept back at the end for checking (and, if needed, repairing) the answer."""
    return min(0.1 * ctx.budget.limit, 0.02 + 2e-5 * (len(inst.students) + len(inst.slots)))


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
def _candidate_columns(inst: Instance, units: list[Unit], elig: np.ndarray, *,
                       unranked: bool) -> "_Columns":
    """Ranked pairs, previous pairs, locked slots and every slot of a locked offer (a lock row
    needs its columns even when the offer is unranked); every other allowed pair if
    ``unranked``."""
    ranked = _ranked_mask(inst, units) & elig
    cols = _Columns(inst, units)
    for u, sl in zip(*np.nonzero(ranked)):
        cols.add(int(u), int(sl))
    uos = _unit_of_student(units)
    for (si, sl) in cols.prev:
        if elig[uos[si], sl]:
            cols.add(uos[si], sl)
    for unit in units:
        st = unit.student
        lock_slots = [inst.slot_by_id[sid].index for sid in st.locked_slots]
        for oid in st.locked_offers:
            lock_slots.extend(inst.slots_of_offer[inst.offer_by_id[oid].index])
        for sl in lock_slots:
            if elig[unit.index, sl]:
                cols.add(unit.index, sl)
    if unranked:
        for u, sl in zip(*np.nonzero(elig & ~ranked)):
            cols.add(int(u), int(sl))
    return cols


def _solve_general(inst: Instance, units: list[Unit], ctx: _Ctx) -> _Found:
    from .fill import fill_missing, make_valid, top_up_min_size
    from .integer import integer_phase

    budget = ctx.budget
    reserve = _reserve(inst, ctx)
    elig = _eligible_matrix(inst, units)
    n_pairs = int(elig.sum())
    enumerate_all = n_pairs <= ENUMERATE_LIMIT or inst.costs.unranked_cost is None
    cols = _candidate_columns(inst, units, elig, unranked=enumerate_all)
    ctx.report("lp", 0.05)
    const = _const(inst)
    lp_wall = budget.share(0.5, reserve)
    if enumerate_all:
        model = _Model(inst, cols)
        lp = _solve_lp(model, lp_wall)
        whole = n_pairs <= WHOLE_MODEL_MAX_PAIRS
        if lp == "infeasible":  # a relaxation over every allowed column: a proof
            return _exact_infeasibility(inst, units, ctx, model) if whole else \
                _Found(infeasible=_lock_culprits(inst, []))
        free_units = None
    else:
        whole = False
        n_ranked = len(cols.pairs)
        model = _Model(inst, cols, skip_trivial=False)
        lp = _solve_pooled_lp(inst, model, elig & ~_ranked_mask(inst, units), lp_wall)
        if lp == "infeasible":
            return _Found(infeasible=_lock_culprits(inst, []))
    bound = None
    if lp is None:  # the LP ran out of time: start from the fill flow
        budget.stopped_early = True
        pairs = fill_missing(inst, [])
    else:
        if enumerate_all:
            xv, yv, duals, lpval = lp
            lag, _ = _lagrangian(model, duals, {})
            bound = math.ceil(lag + const - 1e-7 * abs(lag) - 1e-6)
        else:
            xv, yv, zv, lpval, pool_used = lp
            bound = math.ceil(lpval + const - 1e-7 * abs(lpval) - 1e-6)
            # units that use unranked seats in the LP get unranked columns where the LP put them
            rounded = np.rint(xv)
            frac = np.abs(xv - rounded) > EPS_LP
            col_unit = np.asarray(model.uni.col_unit, dtype=np.int64)
            free_units = set(col_unit[frac].tolist())
            fixed_load = np.zeros(len(inst.slots))
            fixed = ~np.isin(col_unit, list(free_units))
            np.add.at(fixed_load, np.asarray(model.uni.col_slot, dtype=np.int64)[fixed],
                      rounded[fixed])
            spare = np.array([s.capacity for s in inst.slots]) - fixed_load
            unranked = elig & ~_ranked_mask(inst, units)
            for u in sorted(free_units):
                for sl in np.nonzero(unranked[u] & (spare > 0) & (pool_used[u] > EPS_LP))[0]:
                    cols.add(u, int(sl))
            model = _Model(inst, cols)
            xv = np.concatenate([xv, np.zeros(len(cols.pairs) - n_ranked)])
        ctx.report("integer", 0.4)
        share = 0.15 if whole else 0.3
        counts, _, _ = integer_phase(
            inst, model, xv, yv, bound - const, ctx, full=False, free_units=free_units,
            dtime=budget.dtime(share), wall=budget.share(0.5 if whole else 0.6, reserve))
        pairs = disaggregate(inst, units, counts)
        pairs = fill_missing(inst, top_up_min_size(inst, pairs))
    ctx.report("fill", 0.6)
    pairs, left = make_valid(inst, pairs)
    if whole:
        return _whole_model(inst, units, ctx, model, pairs if not left else None, bound)
    if not left and (bound is None or evaluate(inst, pairs).total - bound >
                     LNS_STOP_GAP * abs(bound)):
        pairs = _improve(inst, pairs, bound, ctx)
    return _Found(pairs, bound)


#: below this many allowed (unit, slot) pairs, CP-SAT searches the whole model after the
#: decomposition (chosen by `python -m benchmarks.allocation --suite switch`)
WHOLE_MODEL_MAX_PAIRS = 60_000


def _whole_model(inst: Instance, units: list[Unit], ctx: _Ctx, model: _Model, pairs,
                 bound: int | None) -> _Found:
    """CP-SAT on every allowed column, from the decomposition's valid allocation as a complete
    hint and with the LP bound as a cut, in the time that is left. Its bound is proven (the
    model is the whole problem), and infeasible is a proof."""
    from .exact import solve_columns

    ctx.report("integer", 0.7)
    const = _const(inst)
    values = _values_of(inst, units, model, pairs or [])
    reserve = _reserve(inst, ctx)
    out = solve_columns(model, ctx, values=values, free=np.ones(len(model.cost), dtype=bool),
                        dtime=ctx.budget.dtime(0.7), wall=ctx.budget.share(1.0, reserve),
                        lower_bound=None if bound is None else bound - const)
    if out.status == "infeasible":
        return _Found(infeasible=_lock_culprits(inst, out.culprits))
    if out.status == "unknown":
        return _Found(pairs, bound)
    counts = {model.cols.pairs[c]: int(v) for c, v in enumerate(out.values) if v > 0}
    cp_bound = out.bound + const
    return _Found(disaggregate(inst, units, counts),
                  cp_bound if bound is None else max(bound, cp_bound))


def _exact_infeasibility(inst, units, ctx, model) -> _Found:
    """The LP over every column is infeasible: name the locks of a CP-SAT infeasibility core."""
    from .exact import solve_columns

    out = solve_columns(model, ctx, values=np.zeros(len(model.cost), dtype=np.int64),
                        free=np.ones(len(model.cost), dtype=bool),
                        dtime=ctx.budget.dtime(0.2), wall=ctx.budget.share(0.5))
    return _Found(infeasible=_lock_culprits(inst, out.culprits))


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


def _solve_pooled_lp(inst: Instance, model: _Model, unranked: np.ndarray, wall: float):
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
    solver.SetTimeLimit(max(1, int(wall * 1000)))
    with _quiet_stdout():  # HiGHS prints a banner on file descriptor 1 (the CLI's JSON)
        status = solver.Solve()
    if status == pywraplp.Solver.INFEASIBLE:
        return "infeasible"
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
