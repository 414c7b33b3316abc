"""Fill empty wanted slots after the main phase: a min-cost flow
students -> (student, free round) -> slot -> offer -> sink, with a "missing" arc per student.
Only pairs allowed by the pair rules (constraints 1 and 6) and slots with spare seats (open
min-size slots only) are used; a student's new offers must differ from the offers (companies)
already attended; conflicts between two new picks of the same offer are dropped and the flow is
re-run."""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from .constraints import pair_problem
from .instance import Instance


def fill_missing(inst: Instance, pairs: list[tuple[str, str]], rounds: int = 3):
    from ortools.graph.python import min_cost_flow

    pairs = list(pairs)
    for _ in range(rounds):
        load = np.zeros(len(inst.slots), dtype=np.int64)
        offer_load = np.zeros(len(inst.offers), dtype=np.int64)
        got: dict[int, list[int]] = defaultdict(list)
        for s, l in pairs:
            sl = inst.slot_by_id[l]
            load[sl.index] += 1
            offer_load[sl.offer_index] += 1
            got[inst.student_by_id[s].index].append(sl.index)
        need = []
        for st in inst.students:
            k = inst.target(st) - len(got[st.index])
            if k > 0:
                need.append((st, k))
        if not need:
            return pairs
        spare = np.array([s.capacity for s in inst.slots]) - load
        for s in inst.slots:
            if s.min_size > 0 and load[s.index] < s.min_size:
                spare[s.index] = 0
        off_spare = [o.max_total - offer_load[o.index] if o.max_total is not None else 10 ** 9
                     for o in inst.offers]
        tails, heads, caps, costs, info = [], [], [], [], []
        n_st = len(need)
        # node ids: 0 source, 1 sink, students 2.., then (student, round), slots, offers
        next_id = 2 + n_st
        slot_node, offer_node = {}, {}

        def node_of(d, key):
            nonlocal next_id
            if key not in d:
                d[key] = next_id
                next_id += 1
            return d[key]

        sr_node = {}
        cache = {}
        for i, (st, k) in enumerate(need):
            sn = 2 + i
            tails.append(0), heads.append(sn), caps.append(k), costs.append(0), info.append(None)
            tails.append(sn), heads.append(1), caps.append(k), costs.append(inst.costs.missing_cost)
            info.append(None)
            attended = {inst.slots[x].offer_index for x in got[st.index]}
            used_rounds = {inst.slots[x].round_index for x in got[st.index]}
            comps = {inst.offers[o].company_key for o in attended}
            key = (st.rounds, st.grade, st.excluded,
                   frozenset(st.preferences) if inst.costs.unranked_cost is None else None)
            ok = cache.get(key)
            if ok is None:
                ok = [sl for sl in inst.slots if pair_problem(inst, st, sl) is None]
                cache[key] = ok
            for sl in ok:
                if sl.round_index in used_rounds or spare[sl.index] <= 0:
                    continue
                if sl.offer_index in attended:
                    continue
                if inst.distinct_companies and inst.offers[sl.offer_index].company_key in comps:
                    continue
                c = inst.cost(st, sl.offer)
                if c is None or c >= inst.costs.missing_cost:
                    continue
                rn = node_of(sr_node, (i, sl.round_index))
                tails.append(rn), heads.append(node_of(slot_node, sl.index)), caps.append(1)
                costs.append(c), info.append((st.id, sl.id))
        for (i, r), rn in sr_node.items():
            tails.append(2 + i), heads.append(rn), caps.append(1), costs.append(0)
            info.append(None)
        for sl, sn in slot_node.items():
            o = inst.slots[sl].offer_index
            tails.append(sn), heads.append(node_of(offer_node, o)), caps.append(int(spare[sl]))
            costs.append(0), info.append(None)
        for o, on in offer_node.items():
            tails.append(on), heads.append(1), caps.append(int(max(0, off_spare[o])))
            costs.append(0), info.append(None)
        total = sum(k for _, k in need)
        mcf = min_cost_flow.SimpleMinCostFlow()
        mcf.add_arcs_with_capacity_and_unit_cost(
            np.array(tails, dtype=np.int64), np.array(heads, dtype=np.int64),
            np.array(caps, dtype=np.int64), np.array(costs, dtype=np.int64))
        mcf.set_node_supply(0, total)
        mcf.set_node_supply(1, -total)
        if mcf.solve() != mcf.OPTIMAL:
            return pairs
        flows = mcf.flows(np.arange(len(tails), dtype=np.int64))
        new = [info[a] for a in np.nonzero(flows)[0].tolist() if info[a] is not None]
        if not new:
            return pairs
        seen_offer = set()
        conflict = False
        for s, l in new:
            sl = inst.slot_by_id[l]
            key = (s, inst.offers[sl.offer_index].company_key if inst.distinct_companies
                   else sl.offer)
            if key in seen_offer:
                conflict = True
                continue
            seen_offer.add(key)
            pairs.append((s, l))
        if not conflict:
            return pairs
    return pairs


def repair(inst: Instance, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Safety net: remove (non-locked) pairs until no row of constraints 1-5 is violated,
    closing under-filled min-size slots, then fill empty slots again. Locks are never removed."""
    from .constraints import violations

    pairs = list(dict.fromkeys(pairs))
    for _ in range(5):
        bad = [v for v in violations(inst, pairs)
               if v.code not in ("locked_slot_not_attended", "locked_offer_not_attended")]
        if not bad:
            return pairs
        drop: set[tuple[str, str]] = set()
        for v in bad:
            if v.code in ("slot_below_min_size", "slot_over_capacity"):
                sl = inst.slot_by_id[v.ids[0]]
                members = [p for p in pairs if p[1] == sl.id]
                locked = [p for p in members if _is_locked(inst, *p)]
                if v.code == "slot_below_min_size":
                    if not locked:
                        drop.update(members)
                else:
                    extra = len(members) - sl.capacity
                    drop.update([p for p in members if p not in locked][-extra:])
            elif v.code == "offer_over_max_total":
                o = inst.offer_by_id[v.ids[0]]
                members = [p for p in pairs if inst.slot_by_id[p[1]].offer == o.id
                           and not _is_locked(inst, *p)]
                drop.update(members[-(len([p for p in pairs if inst.slot_by_id[p[1]].offer ==
                                           o.id]) - o.max_total):])
            elif v.code in ("two_slots_in_round", "too_many_slots", "same_offer_twice",
                            "same_company_twice"):
                s = v.ids[0]
                members = [p for p in pairs if p[0] == s and not _is_locked(inst, *p)]
                drop.update(members[-1:])
            elif len(v.ids) == 2 and (v.ids[0], v.ids[1]) in set(pairs):
                drop.add((v.ids[0], v.ids[1]))
        pairs = [p for p in pairs if p not in drop]
        pairs = fill_missing(inst, pairs)
    return pairs


def _is_locked(inst: Instance, s: str, l: str) -> bool:
    st = inst.student_by_id[s]
    return l in st.locked_slots or inst.slot_by_id[l].offer in st.locked_offers


def top_up_min_size(inst: Instance, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Min-size slots that hold some students but fewer than ``min_size`` (the LP filled them
    with pooled unranked seats): add students who still miss a slot in that round, cheapest
    first, so the slot can take place instead of being dropped by the repair step. Only pairs
    allowed by the pair rules; offer (company), round, target and max_total rows are respected."""
    pairs = list(pairs)
    load = np.zeros(len(inst.slots), dtype=np.int64)
    offer_load = np.zeros(len(inst.offers), dtype=np.int64)
    got: dict[int, list[int]] = defaultdict(list)
    for s, l in pairs:
        sl = inst.slot_by_id[l]
        load[sl.index] += 1
        offer_load[sl.offer_index] += 1
        got[inst.student_by_id[s].index].append(sl.index)
    short = [s for s in inst.slots if s.min_size > 0 and 0 < load[s.index] < s.min_size]
    if not short:
        return pairs
    ckey = (lambda o: inst.offers[o].company_key) if inst.distinct_companies else (lambda o: o)
    for slot in short:
        need = int(slot.min_size - load[slot.index])
        o = inst.offers[slot.offer_index]
        room = (o.max_total - offer_load[o.index]) if o.max_total is not None else need
        if room < need:
            continue
        cands = []
        for st in inst.students:
            mine = got[st.index]
            if len(mine) >= inst.target(st):
                continue
            if any(inst.slots[x].round_index == slot.round_index for x in mine):
                continue
            if any(ckey(inst.slots[x].offer_index) == ckey(slot.offer_index) for x in mine):
                continue
            c = inst.cost(st, slot.offer)
            if c is None or c >= inst.costs.missing_cost:
                continue
            if pair_problem(inst, st, slot) is not None:
                continue
            cands.append((c, st.index))
        if len(cands) < need:
            continue
        cands.sort()
        for c, si in cands[:need]:
            pairs.append((inst.students[si].id, slot.id))
            got[si].append(slot.index)
            load[slot.index] += 1
            offer_load[o.index] += 1
    return pairs
