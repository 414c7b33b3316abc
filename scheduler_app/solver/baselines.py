"""Baselines for the benchmark: random serial dictatorship (the hand process) and the plain
CP-SAT model over every allowed (student, slot) pair (same constraint rows, no decomposition)."""
from __future__ import annotations

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

    from .engine import _Columns, _Model, _const

    units = [Unit(i, st, (i,)) for i, st in enumerate(inst.students)]
    cols = _Columns(inst, units)
    for unit in units:
        for sl in inst.slots:
            if pair_problem(inst, unit.student, sl) is None:
                cols.add(unit.index, sl.index)
    model = _Model(inst, cols)
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
    bound = int(np.ceil(s.BestObjectiveBound() - 1e-6)) + _const(inst)
    return pairs, bound, s.StatusName(st)
