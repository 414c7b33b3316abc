"""Improvement one round at a time: with every other round kept, the best way to fill one round
is a min-cost flow, solved exactly.

In round ``r``, with the students' slots in the other rounds fixed, the hard constraints that are
left are network constraints: a student takes at most one slot of the round (and none if the
other rounds already give them their target), never an offer (or company) they attend in another
round, only slots the pair rules allow; a slot holds at most its capacity, an open minimum-size
slot at least its minimum (a lower bound on its arc; closed ones stay closed), an offer with a
``max_total`` at most what its other rounds leave. The flow's optimum is therefore the best
allocation of that round given the others -- moves along whole chains (a student who misses the
round takes a seat whose holder moves on to another slot, ...), which neighbourhood searches on a
few students and a CP-SAT model started from a complete hint rarely find. Passes over all rounds
repeat while one improves.

Measured on the benchmark's mid-size days with locks and minimum sizes (``--suite mid``): after the
LP and its integer phase, one to four passes (0.02-0.23 s) took mid-200-s2 from 8,247 to 3,205 and
mid-250-s1 from 11,069 to 7,051 (LP bounds 3,162 and 7,026).

Locked slots (and a round's slot of a locked offer) stay where they are. Deterministic: the flow
has a unique optimal cost and OR-Tools' solver is deterministic for the same input order.
"""
from __future__ import annotations

import time
from collections import defaultdict

import numpy as np

from .constraints import pair_problem
from .instance import Instance


def improve_by_rounds(inst: Instance, pairs, *, deadline: float,
                      max_passes: int = 20) -> tuple[list[tuple[str, str]], bool]:
    """Returns (pairs, cut): the allocation after passes over the rounds until none improves
    (or ``max_passes``), and whether the clock (``deadline``, a ``perf_counter`` time) stopped
    it. ``pairs`` must be valid; the answer is then valid and never worse."""
    from ortools.graph.python import min_cost_flow

    S, L = inst.students, inst.slots
    nr = len(inst.rounds)
    prev = inst.previous_by_index() if inst.costs.change_cost else {}
    cur: list[dict[int, int]] = [{} for _ in S]  # student -> {round index: slot index}
    for s, l in pairs:
        sl = inst.slot_by_id[l]
        cur[inst.student_by_id[s].index][sl.round_index] = sl.index
    kept = _kept_rounds(inst, cur)
    slots_of_round: list[list[int]] = [[] for _ in range(nr)]
    for sl in L:
        slots_of_round[sl.round_index].append(sl.index)
    key_code = [inst.offers[sl.offer_index].company_key if inst.distinct_companies else sl.offer
                for sl in L]
    present = [[False] * nr for _ in S]
    for st in S:
        for rid in st.rounds:
            present[st.index][inst.round_index[rid]] = True
    options = _Options(inst, prev)
    cut = False
    for _ in range(max_passes):
        improved = False
        for r in range(nr):
            if time.perf_counter() > deadline:
                return _pairs(inst, cur), True
            if _improve_round(inst, r, cur, kept, slots_of_round[r], key_code, present,
                              options, min_cost_flow):
                improved = True
        if not improved:
            break
    return _pairs(inst, cur), cut


def _kept_rounds(inst: Instance, cur: list[dict[int, int]]) -> list[set[int]]:
    """Per student, the rounds whose slot never moves: a locked slot, or a slot of a locked
    offer (the lock might then be met nowhere else)."""
    kept: list[set[int]] = [set() for _ in inst.students]
    for st in inst.students:
        if not st.locked_slots and not st.locked_offers:
            continue
        locked_slots = {inst.slot_by_id[sid].index for sid in st.locked_slots}
        locked_offers = {inst.offer_by_id[oid].index for oid in st.locked_offers}
        for r, sl in cur[st.index].items():
            if sl in locked_slots or inst.slots[sl].offer_index in locked_offers:
                kept[st.index].add(r)
    return kept


class _Options:
    """A student's allowed slots per round (the pair rules, cached per profile) and their
    objective coefficients: cost, minus the missing cost a seat saves, minus the change cost it
    saves."""

    def __init__(self, inst: Instance, prev: dict[tuple[int, int], int]):
        self.inst = inst
        self.prev_of: dict[int, dict[int, int]] = defaultdict(dict)
        for (i, sl), n in prev.items():
            self.prev_of[i][sl] = n
        self._allowed: dict[tuple, frozenset[int]] = {}
        self._ranked: dict[int, list[list[tuple[int, int]]]] = {}
        un = inst.costs.unranked_cost
        self.unranked = None if un is None else un - inst.costs.missing_cost

    def allowed(self, i: int) -> frozenset[int]:
        inst = self.inst
        st = inst.students[i]
        key = (st.rounds, st.grade, st.excluded,
               frozenset(st.preferences) if inst.costs.unranked_cost is None else None)
        out = self._allowed.get(key)
        if out is None:
            out = self._allowed[key] = frozenset(sl.index for sl in inst.slots
                                                 if pair_problem(inst, st, sl) is None)
        return out

    def ranked(self, i: int, r: int) -> list[tuple[int, int]]:
        """(slot, coefficient) of the allowed slots of the student's ranked offers in round r."""
        out = self._ranked.get(i)
        if out is None:
            inst = self.inst
            st = inst.students[i]
            ok = self.allowed(i)
            out = self._ranked[i] = [[] for _ in inst.rounds]
            for oid, rank in sorted(st.preferences.items(), key=lambda kv: (kv[1], kv[0])):
                for sl in inst.slots_of_offer[inst.offer_by_id[oid].index]:
                    if sl in ok:
                        c = inst.costs.rank_cost(rank) - inst.costs.missing_cost
                        out[inst.slots[sl].round_index].append((sl, self._change(i, sl, c)))
        return out[r]

    def _change(self, i: int, sl: int, c: int) -> int:
        n = self.prev_of.get(i, {}).get(sl, 0)
        return c - self.inst.costs.change_cost * n if n else c

    def coef(self, i: int, sl: int) -> int:
        inst = self.inst
        c = inst.cost(inst.students[i], inst.slots[sl].offer)
        return self._change(i, sl, c - inst.costs.missing_cost)

    def unranked_options(self, i: int, by_room: list[int], held, limit: int
                         ) -> list[tuple[int, int]]:
        """(slot, coefficient) of up to ``limit`` allowed unranked slots of the round, most room
        first, plus the student's previous ones (they save the change cost)."""
        if self.unranked is None:
            return []
        prefs = self.inst.students[i].preferences
        slots = self.inst.slots
        ok = self.allowed(i)
        out = []
        for sl in by_room:
            if sl in ok and slots[sl].offer not in prefs and not held(sl):
                out.append(sl)
                if len(out) >= limit:
                    break
        prev = self.prev_of.get(i, {})
        out += [sl for sl in prev if sl in ok and sl not in out and sl in by_room
                and slots[sl].offer not in prefs and not held(sl)]
        return [(sl, self._change(i, sl, self.unranked)) for sl in out]


#: unranked seats offered to a student per round (besides their own): all equally good for the
#: student, so the roomiest few carry the chains; every one of them on a 10,000-student day would
#: put over a million arcs in each round's flow
UNRANKED_ARCS = 12


def _improve_round(inst: Instance, r: int, cur, kept, round_slots: list[int], key_code,
                   present, options: _Options, min_cost_flow) -> bool:
    """Re-solve round ``r`` exactly (see the module docstring); True if it improved."""
    S, L = inst.students, inst.slots
    fixed_load = defaultdict(int)      # seats of round r held by students who stay
    offer_load = defaultdict(int)      # an offer's seats in the other rounds, and fixed ones
    cur_load = defaultdict(int)
    movers: list[int] = []
    for i, a in enumerate(cur):
        for rr, sl in a.items():
            if rr != r:
                offer_load[L[sl].offer_index] += 1
        sl = a.get(r)
        if sl is not None:
            cur_load[sl] += 1
        if not present[i][r]:
            continue
        if r in kept[i]:
            fixed_load[sl] += 1
            offer_load[L[sl].offer_index] += 1
            continue
        movers.append(i)
    if not movers:
        return False
    # unranked seats, all equally good for a student: the roomiest carry the chains
    by_room = sorted(round_slots, key=lambda sl: (cur_load[sl] - L[sl].capacity, sl))
    # nodes: 0 source, 1 sink, then movers, then the round's slots, then capped offers
    node_of_slot = {sl: 2 + len(movers) + k for k, sl in enumerate(round_slots)}
    next_node = 2 + len(movers) + len(round_slots)
    tails: list[int] = []
    heads: list[int] = []
    caps: list[int] = []
    costs: list[int] = []
    student_arcs: list[tuple[int, int]] = []  # (mover, slot) per arc, in the same order
    before = 0
    takers = 0
    for k, i in enumerate(movers):
        a = cur[i]
        others = [sl for rr, sl in a.items() if rr != r]
        now = a.get(r)
        if now is not None:
            before += options.coef(i, now)
        if len(others) >= inst.target(S[i]):
            continue
        node = 2 + k
        takers += 1
        tails += [0, node]
        heads += [node, 1]
        caps += [1, 1]
        costs += [0, 0]  # the second arc: the student takes no slot in this round
        student_arcs += [(-1, -1), (-1, -1)]
        held_keys = {key_code[sl] for sl in others}

        def held(sl: int, held_keys=held_keys) -> bool:
            return key_code[sl] in held_keys

        options_ = [(sl, c) for sl, c in options.ranked(i, r) if not held(sl)]
        options_ += options.unranked_options(i, by_room, held, UNRANKED_ARCS)
        if now is not None and all(sl != now for sl, _ in options_):
            options_.append((now, options.coef(i, now)))
        for sl, c in options_:
            if c >= 0 and sl != now:  # a seat that saves nothing is never worth taking
                continue
            tails.append(node)
            heads.append(node_of_slot[sl])
            caps.append(1)
            costs.append(c)
            student_arcs.append((i, sl))
    supply: dict[int, int] = defaultdict(int)
    supply[0] += takers
    supply[1] -= takers
    offer_node: dict[int, int] = {}
    for sl in round_slots:
        slot = L[sl]
        cap = slot.capacity - fixed_load[sl]
        lo = 0
        if slot.min_size > 0:
            if cur_load[sl] > 0:
                lo = max(0, slot.min_size - fixed_load[sl])
            elif fixed_load[sl] == 0:
                cap = 0  # a closed minimum-size slot stays closed
        offer = inst.offers[slot.offer_index]
        to = 1
        if offer.max_total is not None:
            to = offer_node.get(offer.index)
            if to is None:
                to = offer_node[offer.index] = next_node
                next_node += 1
                tails.append(to)
                heads.append(1)
                caps.append(max(0, offer.max_total - offer_load[offer.index]))
                costs.append(0)
                student_arcs.append((-1, -1))
        tails.append(node_of_slot[sl])
        heads.append(to)
        caps.append(max(0, cap - lo))
        costs.append(0)
        student_arcs.append((-1, -1))
        if lo:
            supply[node_of_slot[sl]] -= lo
            supply[to] += lo
    if takers == 0:
        return False
    g = min_cost_flow.SimpleMinCostFlow()
    g.add_arcs_with_capacity_and_unit_cost(np.asarray(tails, dtype=np.int32),
                                           np.asarray(heads, dtype=np.int32),
                                           np.asarray(caps, dtype=np.int64),
                                           np.asarray(costs, dtype=np.int64))
    nodes = np.arange(next_node, dtype=np.int32)
    g.set_nodes_supplies(nodes, np.asarray([supply.get(n, 0) for n in range(next_node)],
                                           dtype=np.int64))
    if g.solve() != g.OPTIMAL:  # the current round is a feasible flow; not expected
        return False
    # students who cannot take a slot here keep none; compare the round's cost
    after = int(g.optimal_cost())
    if after >= before:
        return False
    flows = g.flows(np.arange(len(tails), dtype=np.int32))
    for i in movers:
        cur[i].pop(r, None)
    for (i, sl), f in zip(student_arcs, flows):
        if i >= 0 and f > 0:
            cur[i][r] = sl
    return True


def _pairs(inst: Instance, cur: list[dict[int, int]]) -> list[tuple[str, str]]:
    return [(inst.students[i].id, inst.slots[sl].id)
            for i, a in enumerate(cur) for _, sl in sorted(a.items())]

