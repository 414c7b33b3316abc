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
4. otherwise (:func:`_solve_general`): the offer flow (:mod:`.network`: a lower bound and a
   complete allocation in about a second), then the LP (every allowed column on small and
   mid-size days; ranked columns with pooled unranked seats on large ones, when it is expected
   to fit in the limit), its integral part fixed and the fractional rest solved by SCIP's root node
   (:mod:`.rens`, where every column is enumerated; optimal when it reaches the LP bound) and
   by CP-SAT, then CP-SAT on the whole model from the best allocation (small models) or
   SCIP's neighbourhoods (:mod:`.mip_lns`) and CP-SAT's LNS (large ones); every allocation
   built on the way is improved round by round with exact min-cost flows (:mod:`.rounds`);
5. :func:`_finish`: the answer is repaired until it keeps every hard constraint, else replaced by
   an exact CP-SAT model's, and checked with :func:`.check.check` before it is returned.

Every phase takes a share of the time left (:mod:`.budget`).
"""
from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .budget import BUILD_MARGIN, FALLBACK_SLACK, LP_BUILD_S, SAT_BUILD_S, Budget
from .colouring import balance, edge_colouring
from .columns import (Columns, Model, build_units, candidate_columns, constant_part,
                      eligible_matrix, ranked_mask, unit_of_student)
from .constraints import Unit, pair_problem, violations
from .instance import FORMAT_RESULT, Instance, InvalidInstance, Problem, parse_instance
from .lp import solve_lp, solve_pooled_lp
from .objective import evaluate, metrics, student_cost

Progress = Callable[[str, float], None]

#: Every phase ``progress(phase, fraction)`` reports, in the order a run may pass them (the web app
#: shows a label for each): validating the input, the offer flow, colouring it into rounds, the LP,
#: its integer part, filling empty wanted slots, improving (CP-SAT / LNS), finished.
PHASES = ("validate", "flow", "colouring", "lp", "integer", "fill", "improve", "done")

DEFAULT_TIME_LIMIT = 60
#: enumerate every unranked column when units x eligible slots stays below this
ENUMERATE_LIMIT = 60_000


@dataclass
class _Ctx:
    inst: Instance
    budget: Budget
    seed: int
    progress: Progress | None
    #: wall seconds the longest pass of the rounds' flows took (time kept for the last one)
    rounds_s: float = 0.0

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
    res = _result(status, pairs, obj, bound, m)
    rep = check(inst, res)
    if not rep.ok:  # cannot happen after make_valid / the exact model; never report it valid
        return _no_allocation(inst, ctx, rep.violations)
    # after the check, which is part of the call: on a loaded machine checking 1,200 students
    # took 0.47 s, and solve_seconds measured before it was that much short of the call's time
    if ctx.budget.stopped_early or ctx.budget.left(hard=True) <= 0:
        m["stopped_early"] = True
    m["solve_seconds"] = round(ctx.budget.elapsed(), 3)
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
EXACT_FALLBACK_MAX_PAIRS = 100_000


def _exact_fallback(inst: Instance, units: list[Unit], ctx: _Ctx, pairs) -> _Found:
    """CP-SAT over every allowed (unit, slot) column, from ``pairs`` as a hint, in the time that
    is left (plus the spec's 10 %). With every column present, infeasible is a proof; on very
    large days the columns are cut to ranked, locked and previous ones plus the hint's, so
    infeasibility is then only "no allocation found"."""
    from .exact import solve_columns

    elig = eligible_matrix(inst, units)
    complete = int(elig.sum()) <= EXACT_FALLBACK_MAX_PAIRS
    cols = candidate_columns(inst, units, elig, unranked=complete)
    uos = unit_of_student(units)
    for s, l in pairs:  # the hint's pairs (unranked ones included) are columns too
        u, sl = uos[inst.student_by_id[s].index], inst.slot_by_id[l].index
        if elig[u, sl]:
            cols.add(u, sl)
    model = Model(inst, cols)
    values = _values_of(inst, units, model, pairs)
    # the time left (the spec's 10 % included), but at least enough to build the model and
    # search it for a second: a late valid answer (saying stopped_early) beats none
    until = max(ctx.budget.hard_deadline - 0.05,
                time.perf_counter() + 1.0 + BUILD_MARGIN * SAT_BUILD_S * len(model.cost))
    out = solve_columns(model, ctx, values=values, free=np.ones(len(model.cost), dtype=bool),
                        dtime=ctx.budget.dtime(0.1 + FALLBACK_SLACK, PORTFOLIO), until=until,
                        portfolio=PORTFOLIO)
    if out.status == "infeasible":
        return _Found(infeasible=_lock_culprits(inst, out.culprits)) if complete else _Found()
    if out.status == "unknown":
        return _Found()
    counts = {model.cols.pairs[c]: int(v) for c, v in enumerate(out.values) if v > 0}
    return _Found(disaggregate(inst, units, counts),
                  out.bound + constant_part(inst) if complete and out.bound is not None else None)


def _values_of(inst: Instance, units: list[Unit], model: Model, pairs) -> np.ndarray:
    """Column values (per unit and slot counts) of an allocation given by ids; pairs without a
    column are left out."""
    uos = unit_of_student(units)
    val = np.zeros(len(model.cost), dtype=np.int64)
    for s, l in pairs:
        c = model.cols.index.get((uos[inst.student_by_id[s].index], inst.slot_by_id[l].index))
        if c is not None:
            val[c] += 1
    return val


#: LNS steps = LNS_SHARE x limit / (2 x a step's deterministic budget): a count that depends on the
#: limit alone; the clock (the time left) stops them earlier on a busy machine
LNS_SHARE = 0.8
#: wall seconds per deterministic second assumed for an LNS step (model building included); 2.0
#: left time unused on mid-size days (mid-250-s2 with 15 s: optimal after 4.5 s, steps spent)
LNS_WALL_PER_STEP = 1.0
#: no improvement phase once the relative gap is at most this (a deterministic criterion)
LNS_STOP_GAP = 0.0005


def _relaxed_costs(inst: Instance, seats: dict[int, list[int]]) -> dict[int, int]:
    """Each student's share of the objective in the offer flow's solution."""
    out = {}
    for st in inst.students:
        mine = [inst.slots[x].offer for x in seats.get(st.index, ())]
        mine += [inst.slot_by_id[sid].offer for sid in st.locked_slots]
        out[st.index] = student_cost(inst, st, mine)
    return out


def _improve(inst: Instance, pairs, bound, ctx: _Ctx, targets=None):
    if ctx.budget.left() - _reserve(inst, ctx) < 0.2:  # no time for a single step
        ctx.budget.stopped_early = True
        return pairs
    from .lns import improve

    # the number of steps follows from the time limit alone (determinism); the wall clock is only
    # a safety net (a step with a few thousand columns needs ~0.3 deterministic s to beat its
    # hint; many end sooner, proven optimal on their neighbourhood)
    step_dtime = 0.3
    steps = int(LNS_SHARE * ctx.budget.limit / (step_dtime * LNS_WALL_PER_STEP))
    ctx.report("improve", 0.92)
    out, cut = improve(inst, pairs, seed=ctx.seed, steps=steps, step_dtime=step_dtime, size=60,
                       wall_deadline=ctx.budget.deadline - _reserve(inst, ctx) - ctx.rounds_s,
                       bound=bound,
                       objective=evaluate(inst, pairs).total, stop_gap=LNS_STOP_GAP,
                       targets=targets)
    if cut:
        ctx.budget.stopped_early = True
    return out


def _reserve(inst: Instance, ctx: _Ctx) -> float:
    """Seconds kept back at the end for checking (and, if needed, repairing) the answer: about
    0.3 s of CPU for 5,000 students, which took 1 s of wall clock on the busy 2-core machine."""
    return min(0.2 * ctx.budget.limit, 0.05 + 1.5e-4 * (len(inst.students) + len(inst.slots)))


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
def _solve_general(inst: Instance, units: list[Unit], ctx: _Ctx) -> _Found:
    """Small and mid-size days (every allowed column enumerated): the LP over all columns, its
    integral part fixed and CP-SAT on the fractional rest, fill and repair, then CP-SAT on the
    whole model from that allocation while time is left (when the model is small enough).

    Large days: the offer flow first (a lower bound as good as the LP's on the varied days, in a
    second) and an allocation from it (rounds placed offer by offer, fill, repair); then, if the
    LP is expected to fit in the time limit, the pooled LP and its integer phase; then LNS on the
    best allocation while the gap is above :data:`LNS_STOP_GAP`."""
    from .fill import fill_missing, make_valid, top_up_min_size
    from .integer import integer_phase
    from .network import offer_flow_starts, place_in_rounds

    budget = ctx.budget
    reserve = _reserve(inst, ctx)
    elig = eligible_matrix(inst, units)
    n_pairs = int(elig.sum())
    enumerate_all = n_pairs <= ENUMERATE_LIMIT or inst.costs.unranked_cost is None
    whole = enumerate_all and n_pairs <= WHOLE_MODEL_MAX_PAIRS
    ranked = ranked_mask(inst, units) & elig
    lp_next = enumerate_all or _lp_affordable(int(ranked.sum()), budget)
    const = constant_part(inst)
    best = _Best(inst, units, elig)
    ctx.report("flow", 0.05)
    starts = 1 if lp_next else FLOW_STARTS
    for i, (bound, seats) in enumerate(offer_flow_starts(inst, Columns(inst, units).prev)):
        t = time.perf_counter()
        best.bound(bound)
        if i == 0:
            best.targets = _relaxed_costs(inst, seats)
        pairs, left = make_valid(inst, fill_missing(inst, place_in_rounds(inst, seats)))
        if not left:
            best.offer(_by_rounds(inst, pairs, ctx, 0.25))
        took = time.perf_counter() - t
        if best.proven() or i + 1 >= starts or budget.share(FLOW_START_SHARE, reserve) < 1.2 * took:
            break
    if best.lower is None:  # even the relaxation cannot seat the locks
        return _exact_infeasibility(inst, ctx, Model(inst, candidate_columns(
            inst, units, elig, unranked=True))) if whole else \
            _Found(infeasible=_lock_culprits(inst, []))
    if best.proven() or not lp_next or not _time_for(ctx, int(ranked.sum()), LP_BUILD_S):
        return best.improved(ctx)
    cols = candidate_columns(inst, units, elig, unranked=enumerate_all)
    ctx.report("lp", 0.1)
    unranked = elig & ~ranked
    if enumerate_all:
        model = Model(inst, cols)
        lp = solve_lp(model, budget.until(0.4 if whole else 0.5, reserve))
    else:
        n_ranked = len(cols.pairs)
        model = Model(inst, cols, skip_trivial=False)
        lp = solve_pooled_lp(inst, model, unranked, budget.until(0.5, reserve))
    if lp == "infeasible":  # a relaxation: no allocation exists
        return _exact_infeasibility(inst, ctx, model) if whole else \
            _Found(infeasible=_lock_culprits(inst, []))
    if lp is None:  # the LP ran out of time
        budget.stopped_early = True
    else:
        xv, yv, lpval = lp[:3]
        best.bound(math.ceil(lpval + const - 1e-7 * abs(lpval) - 1e-6))
        if enumerate_all:
            _rens(inst, units, ctx, model, xv, yv, best)
            if best.proven():
                return best.found()
        if enumerate_all and not whole and best.within(INTEGER_SKIP_GAP):
            # the offer flow's allocation is already close: LNS gains more from it in the time
            # the integer phase would take on this many columns (mid-300-s1: 4,513 against 4,526)
            return best.improved(ctx)
        free_units = None
        if not enumerate_all:
            # units that use unranked seats in the LP get unranked columns where the LP put them
            pool_used = lp[3]
            rounded = np.rint(xv)
            frac = np.abs(xv - rounded) > EPS_LP
            col_unit = np.asarray(model.uni.col_unit, dtype=np.int64)
            free_units = set(col_unit[frac].tolist())
            fixed_load = np.zeros(len(inst.slots))
            fixed = ~np.isin(col_unit, list(free_units))
            np.add.at(fixed_load, np.asarray(model.uni.col_slot, dtype=np.int64)[fixed],
                      rounded[fixed])
            spare = np.array([s.capacity for s in inst.slots]) - fixed_load
            for u in sorted(free_units):
                for sl in np.nonzero(unranked[u] & (spare > 0) & (pool_used[u] > EPS_LP))[0]:
                    cols.add(u, int(sl))
            model = Model(inst, cols)
            xv = np.concatenate([xv, np.zeros(len(cols.pairs) - n_ranked)])
        ctx.report("integer", 0.4)
        counts, _, _ = integer_phase(
            inst, model, xv, yv, best.lower - const, ctx, full=False, free_units=free_units,
            dtime=budget.dtime(INTEGER_SHARE_ENUMERATED if enumerate_all else INTEGER_SHARE),
            until=budget.until(0.85 if enumerate_all else 0.6, reserve))
        pairs = disaggregate(inst, units, counts)
        pairs, left = make_valid(inst, fill_missing(inst, top_up_min_size(inst, pairs)))
        if not left:
            best.offer(_by_rounds(inst, pairs, ctx, 0.3))
    ctx.report("fill", 0.6)
    if best.proven():
        return best.found()
    if whole and _time_for(ctx, len(model.cost), SAT_BUILD_S):
        return _whole_model(inst, units, ctx, model, best.pairs, best.lower)
    return best.improved(ctx)


#: RENS (:mod:`.rens`) may use this share of the time left after the LP (0: no RENS)
RENS_SHARE = 0.5


def _rens(inst: Instance, units: list[Unit], ctx: _Ctx, model: Model, xv, yv,
          best: "_Best") -> None:
    """SCIP's root node on the LP's fractional rest; its allocation (improved by the rounds'
    flows unless it reaches the bound) is offered to ``best``."""
    from .fill import make_valid
    from .rens import rens

    if RENS_SHARE <= 0:
        return
    ctx.report("integer", 0.3)
    values, cut = rens(model, xv, yv, ctx.budget.until(RENS_SHARE, _reserve(inst, ctx)),
                       seed=ctx.seed)
    if cut:
        ctx.budget.stopped_early = True
    if values is None:
        return
    counts = {model.cols.pairs[c]: int(v) for c, v in enumerate(values) if v > 0}
    pairs, left = make_valid(inst, disaggregate(inst, units, counts))
    if not left:
        best.offer(pairs)
        if not best.proven():
            best.offer(_by_rounds(inst, pairs, ctx, 0.3))


class _Best:
    """The best valid allocation found so far and the best proven lower bound."""

    def __init__(self, inst: Instance, units: list[Unit], elig: np.ndarray):
        self.inst = inst
        self.units = units
        self.elig = elig
        self.pairs = None
        self.value = None
        self.lower = None
        self.targets = None  # per-student cost in the relaxation (LNS seeds)

    def bound(self, b: int) -> None:
        self.lower = b if self.lower is None else max(self.lower, b)

    def offer(self, pairs) -> None:
        v = evaluate(self.inst, pairs).total
        if self.value is None or v < self.value:
            self.pairs, self.value = pairs, v

    def proven(self) -> bool:
        return self.value is not None and self.lower is not None and self.value <= self.lower

    def within(self, gap: float) -> bool:
        """A valid allocation at most ``gap`` (relative) above the bound is known."""
        return self.value is not None and self.lower is not None and \
            self.value - self.lower <= gap * abs(self.lower)

    def found(self) -> _Found:
        return _Found(self.pairs, self.lower)

    def gap_left(self) -> bool:
        return self.pairs is not None and (self.lower is None or self.value - self.lower >
                                           LNS_STOP_GAP * abs(self.lower))

    def improved(self, ctx: _Ctx) -> _Found:
        """LNS on the best allocation while the gap is above LNS_STOP_GAP, then the rounds'
        flows again (LNS moves students between rounds, which opens new chains)."""
        if self.gap_left() and self.targets is not None:
            self.offer(_mip_lns(self.inst, self.units, self.elig, self.pairs, self.targets, ctx))
        if self.gap_left():
            self.offer(_improve(self.inst, self.pairs, self.lower, ctx, self.targets))
            if self.gap_left():
                self.offer(_by_rounds(self.inst, self.pairs, ctx, 1.0))
        return self.found()


#: SCIP's neighbourhoods (:mod:`.mip_lns`) may use this share of the time left (0: none)
MIP_LNS_SHARE = 0.8


def _mip_lns(inst: Instance, units: list[Unit], elig, pairs, targets, ctx: _Ctx):
    """The allocation improved by SCIP on the students who lose against the relaxation."""
    from .mip_lns import improve_by_mip

    if MIP_LNS_SHARE <= 0:
        return pairs
    ctx.report("improve", 0.9)
    out, cut = improve_by_mip(inst, units, elig, pairs, targets, seed=ctx.seed,
                              deadline=ctx.budget.until(MIP_LNS_SHARE, _reserve(inst, ctx)
                                                        + ctx.rounds_s))
    if cut:
        ctx.budget.stopped_early = True
    return out


def _by_rounds(inst: Instance, pairs, ctx: _Ctx, share: float):
    """The allocation improved round by round with exact min-cost flows (:mod:`.rounds`), in
    at most ``share`` of the time left."""
    from .rounds import improve_by_rounds

    t = time.perf_counter()
    out, cut = improve_by_rounds(inst, pairs, deadline=ctx.budget.until(share, _reserve(inst, ctx)))
    ctx.rounds_s = max(ctx.rounds_s, time.perf_counter() - t)
    if cut:
        ctx.budget.stopped_early = True
    return out


#: allocations built from the offer flow (with round penalties after the first) on large days
#: where the LP does not run; the best is kept (5,000 varied: 90,182 / 88,877 / 88,795 / 88,627)
FLOW_STARTS = 4
#: another start is built only while it fits 1.2 times in this share of the time left; the rest
#: goes to SCIP's neighbourhoods (varied 5,000 at 20 s: 4 starts and 4 s of them 88,377, 2 starts
#: and 8.6 s 88,331, 1 start and 7.3 s 88,346)
FLOW_START_SHARE = 0.3
#: the pooled LP's expected time: LP_SECONDS * (columns / LP_COLUMNS) ** LP_EXPONENT seconds
#: (HiGHS on the varied days of the benchmark: 20,000 columns 1.2 s, 111,000 columns 24 s of
#: CPU); it is tried only if that fits in LP_SHARE of the time limit
LP_COLUMNS, LP_SECONDS, LP_EXPONENT, LP_SHARE = 20_000, 1.2, 1.75, 0.4


def _lp_affordable(columns: int, budget: Budget) -> bool:
    return LP_SECONDS * (columns / LP_COLUMNS) ** LP_EXPONENT <= LP_SHARE * budget.limit


def _time_for(ctx: _Ctx, columns: int, per_column: float) -> bool:
    if ctx.budget.left() - _reserve(ctx.inst, ctx) >= BUILD_MARGIN * per_column * columns + 0.05:
        return True
    ctx.budget.stopped_early = True
    return False


EPS_LP = 1e-6
#: deterministic CP-SAT time of the integer phase, as a share of the limit: on large days (pooled
#: LP), and where every column is enumerated (mid-size days). There the integer phase is what
#: reaches the optimum, given enough time: with 0.3 (1.5 deterministic s at 5 s) CP-SAT was still
#: leaving students short on mid-250-s0 (rounds' flows made 5,577 of it), with 0.8 (4 s, 2.5 s of
#: wall clock) it proved the optimum 5,557; mid-250-s1 7,054 -> 7,027, mid-150-s0 3,338 -> 3,335
INTEGER_SHARE, INTEGER_SHARE_ENUMERATED = 0.3, 0.8
#: the integer phase is skipped on days too large for the whole model when the offer flow's
#: allocation is already this close to the LP bound (LNS and the rounds' flows then get its time)
INTEGER_SKIP_GAP = 0.02
#: up to this many allowed (unit, slot) pairs, CP-SAT searches the whole model after the
#: decomposition; above, LNS. Chosen with `python -m benchmarks.allocation --suite switch` (5 s,
#: busy 2-core machine): whole model better at 11,000 pairs (gap 0.12 % against 90 %), equal at
#: 20,000, worse from 31,000 (107 % / 669 %, 45,000: 32 % / 641 %) -- building it in Python
#: (about 45 us a column) leaves no time to search it
WHOLE_MODEL_MAX_PAIRS = 20_000


#: search strategies CP-SAT interleaves on the whole model (deterministically); on mid-size days
#: with locks and minimum sizes 4 found 3,552 where one strategy stayed at 4,515 (bound 3,422)
PORTFOLIO = 4


def _whole_model(inst: Instance, units: list[Unit], ctx: _Ctx, model: Model, pairs,
                 bound: int | None) -> _Found:
    """CP-SAT on every allowed column, from the decomposition's valid allocation as a complete
    hint and with the LP bound as a cut, in the time that is left. Its bound is proven (the
    model is the whole problem), and infeasible is a proof."""
    from .exact import solve_columns

    ctx.report("integer", 0.7)
    const = constant_part(inst)
    values = _values_of(inst, units, model, pairs or [])
    out = solve_columns(model, ctx, values=values, free=np.ones(len(model.cost), dtype=bool),
                        dtime=ctx.budget.dtime(0.7, PORTFOLIO),
                        until=ctx.budget.until(1.0, _reserve(inst, ctx)),
                        lower_bound=None if bound is None else bound - const,
                        portfolio=PORTFOLIO)
    if out.status == "infeasible":
        return _Found(infeasible=_lock_culprits(inst, out.culprits))
    if out.status == "unknown":
        return _Found(pairs, bound)
    counts = {model.cols.pairs[c]: int(v) for c, v in enumerate(out.values) if v > 0}
    cp_bound = out.bound + const
    return _Found(disaggregate(inst, units, counts),
                  cp_bound if bound is None else max(bound, cp_bound))


def _exact_infeasibility(inst: Instance, ctx: _Ctx, model: Model) -> _Found:
    """The LP over every column is infeasible: name the locks of a CP-SAT infeasibility core."""
    from .exact import solve_columns

    out = solve_columns(model, ctx, values=np.zeros(len(model.cost), dtype=np.int64),
                        free=np.ones(len(model.cost), dtype=bool),
                        dtime=ctx.budget.dtime(0.2), until=ctx.budget.until(0.5))
    return _Found(infeasible=_lock_culprits(inst, out.culprits))


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
