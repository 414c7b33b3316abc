"""Uniform instances: min-cost flow without rounds, then König edge colouring into rounds.

Uniform = every student present in every round, every offer has one slot in every round with
the same capacity ``c``, no minimum sizes, no locks, no change costs. Dropping the rounds gives a
min-cost flow (students -> [company ->] offers -> sink, offer capacity min(max_total, R*c)), a
relaxation. Its optimum is realisable: split each offer's attendees into ``c`` copies of at most
R students; the bipartite graph students x offer-copies has maximum degree <= R, so it has a
proper R-edge-colouring (König), and colour = round. Hence flow cost = optimum, proven.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from .colouring import edge_colouring
from .constraints import Unit, pair_problem
from .instance import Instance


def solve_uniform(inst: Instance, units: list[Unit], ctx):
    from ortools.graph.python import min_cost_flow

    R = len(inst.rounds)
    n_u = len(units)
    offers_with_slots = [o for o in inst.offers if inst.slots_of_offer[o.index]]
    cap_round = {o.index: inst.slots[inst.slots_of_offer[o.index][0]].capacity
                 for o in offers_with_slots}
    # node numbering: units 0..n_u-1, offers n_u.., then company nodes, sink last
    offer_node = {o.index: n_u + i for i, o in enumerate(offers_with_slots)}
    next_node = n_u + len(offers_with_slots)
    offer_node_arr = np.zeros(len(inst.offers), dtype=np.int64)
    for o, nd in offer_node.items():
        offer_node_arr[o] = nd
    tails, heads, caps, costs = [], [], [], []
    arc_info: list[tuple[int, int]] = []  # (unit, offer) for unit->offer-ish arcs, else (-1,-1)
    big_t, big_h, big_c, big_k, big_u, big_o = [], [], [], [], [], []  # vectorised unit->offer
    company_node: dict[tuple[int, str], int] = {}
    cache: dict[tuple, np.ndarray] = {}
    for unit in units:
        st = unit.student
        # pair rules read grade and exclusions (and the ranked set only if unranked is null)
        key = (st.grade, st.excluded,
               frozenset(st.preferences) if inst.costs.unranked_cost is None else None)
        ok = cache.get(key)
        if ok is None:
            ok = np.array([o.index for o in offers_with_slots if pair_problem(
                inst, st, inst.slots[inst.slots_of_offer[o.index][0]]) is None], dtype=np.int64)
            cache[key] = ok
        cost = np.full(len(ok), inst.costs.unranked_cost or 0, dtype=np.int64)
        pos = {int(o): i for i, o in enumerate(ok)} if st.preferences else {}
        for oid, rank in st.preferences.items():
            i = pos.get(inst.offer_by_id[oid].index)
            if i is not None:
                cost[i] = inst.costs.rank_cost(rank)
        opts = ([(int(o), int(c)) for o, c in zip(ok, cost)] if inst.distinct_companies else None,
                offer_node_arr[ok], cost, ok)
        m = unit.multiplicity
        if not inst.distinct_companies:
            n = len(opts[3])
            big_t.append(np.full(n, unit.index, dtype=np.int64))
            big_h.append(opts[1])
            big_c.append(np.full(n, m, dtype=np.int64))
            big_k.append(opts[2])
            big_u.append(np.full(n, unit.index, dtype=np.int64))
            big_o.append(opts[3])
            continue
        by_comp: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for o, c in opts[0]:
            by_comp[inst.offers[o].company_key].append((o, c))
        for comp, lst in by_comp.items():
            src = unit.index
            if len(lst) > 1:
                node = next_node
                next_node += 1
                company_node[(unit.index, comp)] = node
                tails.append(unit.index), heads.append(node), caps.append(m), costs.append(0)
                arc_info.append((-1, -1))
                src = node
            for o, c in lst:
                tails.append(src), heads.append(offer_node[o]), caps.append(m), costs.append(c)
                arc_info.append((unit.index, o))
    sink = next_node
    for unit in units:
        t = inst.target(unit.student) * unit.multiplicity
        tails.append(unit.index), heads.append(sink), caps.append(t)
        costs.append(inst.costs.missing_cost)
        arc_info.append((-1, -1))
    for o in offers_with_slots:
        cap = R * cap_round[o.index]
        if o.max_total is not None:
            cap = min(cap, o.max_total)
        tails.append(offer_node[o.index]), heads.append(sink), caps.append(cap), costs.append(0)
        arc_info.append((-1, -1))
    ctx.report("flow", 0.2)
    cat = lambda parts: np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)  # noqa
    all_t = np.concatenate([np.array(tails, dtype=np.int64), cat(big_t)])
    all_h = np.concatenate([np.array(heads, dtype=np.int64), cat(big_h)])
    all_c = np.concatenate([np.array(caps, dtype=np.int64), cat(big_c)])
    all_k = np.concatenate([np.array(costs, dtype=np.int64), cat(big_k)])
    vec_u, vec_o = cat(big_u), cat(big_o)
    n_small = len(tails)
    mcf = min_cost_flow.SimpleMinCostFlow()
    mcf.add_arcs_with_capacity_and_unit_cost(all_t, all_h, all_c, all_k)
    total = 0
    for unit in units:
        t = inst.target(unit.student) * unit.multiplicity
        mcf.set_node_supply(unit.index, t)
        total += t
    mcf.set_node_supply(sink, -total)
    status = mcf.solve()
    if status != mcf.OPTIMAL:
        return None
    flows = mcf.flows(np.arange(len(all_t), dtype=np.int64))
    ctx.report("colouring", 0.6)
    # students' offers: spread each unit's offer counts cyclically over its members
    student_offers: list[tuple[int, int]] = []  # (student index, offer index)
    per_unit: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for a in np.nonzero(flows)[0].tolist():
        if a < n_small:
            u, o = arc_info[a]
        else:
            u, o = int(vec_u[a - n_small]), int(vec_o[a - n_small])
        if u >= 0:
            per_unit[u].append((o, int(flows[a])))
    for u in sorted(per_unit):
        members = units[u].members
        k = 0
        for o, f in sorted(per_unit[u]):
            for _ in range(f):
                student_offers.append((members[k % len(members)], o))
                k += 1
    # offer copies of at most R students each, then colour with R colours = rounds
    per_offer_count: dict[int, int] = defaultdict(int)
    edges = []
    for s, o in student_offers:
        copy = per_offer_count[o] // R
        per_offer_count[o] += 1
        edges.append((s, (o, copy)))
    colour = edge_colouring(edges, R)
    slot_of = {}
    for o in offers_with_slots:
        for sl in inst.slots_of_offer[o.index]:
            slot_of[(o.index, inst.slots[sl].round_index)] = inst.slots[sl].id
    pairs = [(inst.students[s].id, slot_of[(o, colour[e])])
             for e, (s, (o, _)) in enumerate(edges)]
    bound = int(mcf.optimal_cost())
    return pairs, bound
