"""A plain CP-SAT model of allocation-instance/1, written from the format spec alone.

It shares nothing with the engine but the parser: one boolean per (student, slot) the spec allows,
the seven hard constraints as the spec words them, and the spec's objective. Tests compare the
engine's answers with it (infeasible must be infeasible here too; optimal must equal its optimum).
"""
from __future__ import annotations

from ortools.sat.python import cp_model

from scheduler_app.solver import parse_instance


def reference_solve(data, time_limit_s: float = 30.0, workers: int = 1):
    """Returns (status name, optimum or None): ``OPTIMAL`` with the proven optimum,
    ``INFEASIBLE`` with None, or another CP-SAT status if the limit ran out."""
    inst = parse_instance(data)
    costs = inst.costs
    m = cp_model.CpModel()
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
    for sl in inst.slots:  # 4
        vs = [x[k] for k in x if k[1] == sl.id]
        if sl.min_size > 0:
            held = m.NewBoolVar("")
            m.Add(sum(vs) <= sl.capacity * held)
            m.Add(sum(vs) >= sl.min_size * held)
        else:
            m.Add(sum(vs) <= sl.capacity)
    for offer in inst.offers:  # 5
        if offer.max_total is not None:
            m.Add(sum(v for (s, l), v in x.items()
                      if inst.slot_by_id[l].offer == offer.id) <= offer.max_total)
    for s, l in inst.previous:
        v = x.get((s, l))
        obj.append(costs.change_cost * (1 - v) if v is not None else costs.change_cost)
    m.Minimize(sum(obj))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = workers
    status = solver.Solve(m)
    name = solver.StatusName(status)
    if status == cp_model.OPTIMAL:
        return name, int(round(solver.ObjectiveValue()))
    return name, None
