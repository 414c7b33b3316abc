"""Baselines for the benchmark: random serial dictatorship (the hand process), the plain CP-SAT
model over every allowed (student, slot) pair (same constraint rows, no decomposition), and a
CP-SAT model written from the format spec alone (the reference for tests and benchmarks)."""
from __future__ import annotations

import math
import random
import time

from .constraints import Unit, pair_problem
from .instance import Instance


def random_serial_dictatorship(inst: Instance, seed: int = 0) -> list[tuple[str, str]]:
    """Students in random order each take their best still-available wishes (a free seat in a
    round they are present and still free); slots that end below min_size are then cancelled."""
    rng = random.Random(seed)
    order = list(inst.students)
    rng.shuffle(order)
    load = [0] * len(inst.slots)
    offer_load = [0] * len(inst.offers)
    pairs = []
    for st in order:
        used_rounds, used_comp = set(), set()
        n = 0
        for oid, _ in sorted(st.preferences.items(), key=lambda kv: (kv[1], kv[0])):
            if n >= inst.target(st):
                break
            offer = inst.offer_by_id[oid]
            if inst.distinct_companies and offer.company_key in used_comp:
                continue
            if offer.max_total is not None and offer_load[offer.index] >= offer.max_total:
                continue
            for i in inst.slots_of_offer[offer.index]:
                sl = inst.slots[i]
                if sl.round in used_rounds or load[i] >= sl.capacity:
                    continue
                if pair_problem(inst, st, sl) is not None:
                    continue
                pairs.append((st.id, sl.id))
                load[i] += 1
                offer_load[offer.index] += 1
                used_rounds.add(sl.round)
                used_comp.add(offer.company_key)
                n += 1
                break
    small = {sl.id for sl in inst.slots if 0 < load[sl.index] < sl.min_size}
    return [p for p in pairs if p[1] not in small]


def plain_cpsat(inst: Instance, time_limit_s: float, seed: int = 0, workers: int = 2):
    """One boolean per allowed (student, slot) pair, rows from the constraint definitions.
    Returns (pairs, proven bound or None, status name)."""
    import numpy as np
    from ortools.sat.python import cp_model

    from .columns import Columns, Model, constant_part

    units = [Unit(i, st, (i,)) for i, st in enumerate(inst.students)]
    cols = Columns(inst, units)
    for unit in units:
        for sl in inst.slots:
            if pair_problem(inst, unit.student, sl) is None:
                cols.add(unit.index, sl.index)
    model = Model(inst, cols)
    m = cp_model.CpModel()
    x = [m.NewBoolVar("") for _ in cols.pairs]
    y = {sl: m.NewBoolVar("") for sl in model.open_slots}
    for r in model.rows:
        terms = [x[c] for c in r.cols]
        if r.open_slot is not None:
            terms.append(r.open_coef * y[r.open_slot])
        if not terms:
            if (r.lo or 0) > 0:
                m.Add(m.NewConstant(0) >= 1)
            continue
        e = sum(terms)
        if r.hi is not None:
            m.Add(e <= r.hi)
        if r.lo is not None:
            m.Add(e >= r.lo)
    m.Minimize(sum(k * v for k, v in zip(model.cost, x) if k))
    s = cp_model.CpSolver()
    s.parameters.max_time_in_seconds = time_limit_s
    s.parameters.num_workers = workers
    s.parameters.random_seed = seed
    t = time.perf_counter()
    st = s.Solve(m)
    del t
    if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, None, s.StatusName(st)
    pairs = [(inst.students[u].id, inst.slots[sl].id)
             for (u, sl), v in zip(cols.pairs, x) if s.Value(v)]
    bound = int(np.ceil(s.BestObjectiveBound() - 1e-6)) + constant_part(inst)
    return pairs, bound, s.StatusName(st)


class _ScipModel:
    """The few ``CpModel`` calls :func:`spec_cpsat` makes, on SCIP (bundled with OR-Tools,
    through ``pywraplp``): the same spec-written model as a MIP."""

    def __init__(self):
        from ortools.linear_solver import pywraplp

        self.solver = pywraplp.Solver.CreateSolver("SCIP")
        self.infeasible = False

    def NewBoolVar(self, name):  # noqa: N802 -- CpModel's spelling
        return self.solver.BoolVar(name)

    def NewConstant(self, value):  # noqa: N802
        return value

    def Add(self, ct):  # noqa: N802
        if isinstance(ct, bool):  # a row without variables (e.g. an empty slot's capacity)
            self.infeasible = self.infeasible or not ct
            return None
        return self.solver.Add(ct)

    def Minimize(self, expr):  # noqa: N802
        self.solver.Minimize(expr)


def spec_cpsat(data, time_limit_s: float = 30.0, workers: int = 1, seed: int = 0,
               backend: str = "cpsat"):
    """A plain CP-SAT model written from the format spec alone (it shares nothing with the engine
    but the parser): one boolean per (student, slot) the spec allows, the seven hard constraints
    as the spec words them, the spec's objective. The reference for tests and benchmarks.
    ``backend="scip"`` solves the same model as a MIP with SCIP (one thread): its LP-based
    search proves optima on mid-size days where CP-SAT's bound stays far off.

    Returns (status name, objective or None, proven bound or None, pairs or None)."""
    from ortools.sat.python import cp_model

    from .instance import parse_instance

    inst = parse_instance(data)
    costs = inst.costs
    m = cp_model.CpModel() if backend == "cpsat" else _ScipModel()
    x = {}
    for st in inst.students:
        for sl in inst.slots:
            offer = inst.offers[sl.offer_index]
            if sl.round not in st.rounds:
                continue
            if offer.grades is not None and st.grade not in offer.grades:
                continue
            if offer.id in st.excluded:
                continue
            if offer.id not in st.preferences and costs.unranked_cost is None:
                continue
            x[st.id, sl.id] = m.NewBoolVar("")
    obj = []
    for st in inst.students:
        mine = [(sl, x[st.id, sl.id]) for sl in inst.slots if (st.id, sl.id) in x]
        target = min(st.wanted, len(st.rounds))
        for r in inst.rounds:  # 1: one slot per round
            m.Add(sum(v for sl, v in mine if sl.round == r) <= 1)
        m.Add(sum(v for _, v in mine) <= target)  # 2
        by_offer, by_company = {}, {}
        for sl, v in mine:  # 3
            by_offer.setdefault(sl.offer, []).append(v)
            company = inst.offers[sl.offer_index].company
            key = company if company is not None else ("offer", sl.offer)
            by_company.setdefault(key, []).append(v)
        for vs in by_offer.values():
            m.Add(sum(vs) <= 1)
        if inst.distinct_companies:
            for vs in by_company.values():
                m.Add(sum(vs) <= 1)
        for sid in st.locked_slots:  # 7
            if (st.id, sid) not in x:
                m.Add(m.NewConstant(0) == 1)
            else:
                m.Add(x[st.id, sid] == 1)
        for oid in st.locked_offers:
            m.Add(sum(by_offer.get(oid, [])) >= 1)
        for sl, v in mine:
            rank = st.preferences.get(sl.offer)
            if rank is None:
                obj.append(costs.unranked_cost * v)
            else:
                obj.append(costs.rank_costs[min(rank, len(costs.rank_costs)) - 1] * v)
        obj.append(costs.missing_cost * (target - sum(v for _, v in mine)))
    of_slot: dict[str, list] = {}
    for (_, l), v in x.items():
        of_slot.setdefault(l, []).append(v)
    for sl in inst.slots:  # 4
        vs = of_slot.get(sl.id, [])
        if sl.min_size > 0:
            held = m.NewBoolVar("")
            m.Add(sum(vs) <= sl.capacity * held)
            m.Add(sum(vs) >= sl.min_size * held)
        else:
            m.Add(sum(vs) <= sl.capacity)
    for offer in inst.offers:  # 5
        if offer.max_total is not None:
            m.Add(sum(v for i in inst.slots_of_offer[offer.index]
                      for v in of_slot.get(inst.slots[i].id, [])) <= offer.max_total)
    for s, l in inst.previous:
        v = x.get((s, l))
        obj.append(costs.change_cost * (1 - v) if v is not None else costs.change_cost)
    m.Minimize(sum(obj))
    if backend != "cpsat":
        return _solve_scip(m, x, time_limit_s)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    status = solver.Solve(m)
    name = solver.StatusName(status)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return name, None, None, None
    pairs = [k for k, v in x.items() if solver.Value(v)]
    return (name, int(round(solver.ObjectiveValue())),
            int(math.ceil(solver.BestObjectiveBound() - 1e-6)), pairs)


def _solve_scip(m: _ScipModel, x: dict, time_limit_s: float):
    from .lp import _quiet_stdout

    solver = m.solver
    if m.infeasible:
        return "INFEASIBLE", None, None, None
    solver.SetTimeLimit(max(1, int(time_limit_s * 1000)))
    solver.SetNumThreads(1)
    from ortools.linear_solver import pywraplp

    params = pywraplp.MPSolverParameters()  # optimal means proven: no relative gap allowed
    params.SetDoubleParam(params.RELATIVE_MIP_GAP, 0.0)
    with _quiet_stdout():
        status = solver.Solve(params)
    if status not in (solver.OPTIMAL, solver.FEASIBLE):
        return ("INFEASIBLE" if status == solver.INFEASIBLE else "UNKNOWN"), None, None, None
    pairs = [k for k, v in x.items() if v.solution_value() > 0.5]
    objective = int(round(solver.Objective().Value()))
    bound = int(math.ceil(solver.Objective().BestBound() - 1e-6))
    return ("OPTIMAL" if status == solver.OPTIMAL else "FEASIBLE"), objective, \
        min(bound, objective), pairs
