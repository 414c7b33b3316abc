"""Min-cost flows for large days: a fast lower bound and a fast complete allocation.

*Offer flow* (a relaxation): students -> (student, offer) -> slot -> offer -> sink, unranked seats
through a pool per (grade, presence, exclusions), a "missing" arc per student. It keeps targets,
one seat per offer, capacities, ``max_total``, grades, exclusions, presence and locks, and forgets
only that a student's slots must lie in different rounds (and minimum sizes): every valid
allocation is a feasible flow of the same cost, so its optimum is a valid lower bound. Network
simplex solves it in about a second for 10,000 students, where the LP takes minutes.

*Round flow* (a heuristic): students -> (student, round) -> slot -> offer -> sink, with the ranked
arcs restricted to the offers the offer flow chose for the student (so nobody takes a favourite
in every round), and unranked seats pooled per round. It keeps rounds, targets and capacities;
the rare student who gets one offer twice loses the second seat, which the fill flow and the
repair step then handle.

Locked slots are assigned before either flow (their seats, rounds, offers and companies are taken
out); a locked offer is forced through a supply at its (student, offer) node in the offer flow.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from .constraints import pair_problem
from .instance import Instance


class _Graph:
    def __init__(self) -> None:
        self.tails: list[int] = []
        self.heads: list[int] = []
        self.caps: list[int] = []
        self.costs: list[int] = []
        self.n = 2  # 0 = source, 1 = sink
        self.supply: dict[int, int] = defaultdict(int)

    def node(self) -> int:
        self.n += 1
        return self.n - 1

    def arc(self, t: int, h: int, cap: int, cost: int = 0) -> int:
        self.tails.append(t)
        self.heads.append(h)
        self.caps.append(int(cap))
        self.costs.append(int(cost))
        return len(self.tails) - 1

    def solve(self):
        """(optimal cost, flows) or None if no flow routes every supply."""
        from ortools.graph.python import min_cost_flow

        mcf = min_cost_flow.SimpleMinCostFlow()
        mcf.add_arcs_with_capacity_and_unit_cost(
            np.array(self.tails, dtype=np.int64), np.array(self.heads, dtype=np.int64),
            np.array(self.caps, dtype=np.int64), np.array(self.costs, dtype=np.int64))
        for v, s in self.supply.items():
            if s:
                mcf.set_node_supply(v, s)
        if mcf.solve() != mcf.OPTIMAL:
            return None
        return int(mcf.optimal_cost()), mcf.flows(np.arange(len(self.tails), dtype=np.int64))


class _Day:
    """What both flows share: locked slots assigned, residual seats, allowed slots per profile."""

    def __init__(self, inst: Instance):
        self.inst = inst
        self.cap = np.array([s.capacity for s in inst.slots], dtype=np.int64)
        big = 10 ** 9
        self.offer_cap = np.array([o.max_total if o.max_total is not None else big
                                   for o in inst.offers], dtype=np.int64)
        self.locked: list[tuple[int, int]] = []  # (student, slot) assigned up front
        self.target = np.array([inst.target(st) for st in inst.students], dtype=np.int64)
        self.used_rounds: dict[int, set[int]] = defaultdict(set)
        self.used_keys: dict[int, set[str]] = defaultdict(set)
        for st in inst.students:
            for sid in st.locked_slots:
                sl = inst.slot_by_id[sid]
                self.locked.append((st.index, sl.index))
                self.cap[sl.index] -= 1
                self.offer_cap[sl.offer_index] -= 1
                self.target[st.index] -= 1
                self.used_rounds[st.index].add(sl.round_index)
                self.used_keys[st.index].add(self.key(sl.offer_index))
        np.maximum(self.cap, 0, out=self.cap)
        np.maximum(self.offer_cap, 0, out=self.offer_cap)
        np.maximum(self.target, 0, out=self.target)
        self._allowed: dict[tuple, object] = {}  # allowed slots (and by offer) per profile

    def key(self, offer_index: int) -> str:
        inst = self.inst
        return inst.offers[offer_index].company_key if inst.distinct_companies \
            else inst.offers[offer_index].id

    def allowed(self, st) -> list[int]:
        """Slots the pair rules allow the student (presence, grade, exclusions, unranked)."""
        inst = self.inst
        k = (st.rounds, st.grade, st.excluded,
             frozenset(st.preferences) if inst.costs.unranked_cost is None else None)
        out = self._allowed.get(k)
        if out is None:
            out = [sl.index for sl in inst.slots if pair_problem(inst, st, sl) is None]
            self._allowed[k] = out
        return out

    def by_offer(self, st) -> dict[int, list[int]]:
        """The allowed slots of :meth:`allowed` grouped by offer (cached per profile)."""
        inst = self.inst
        k = ("by_offer", st.rounds, st.grade, st.excluded,
             frozenset(st.preferences) if inst.costs.unranked_cost is None else None)
        out = self._allowed.get(k)
        if out is None:
            out = defaultdict(list)
            for x in self.allowed(st):
                out[inst.slots[x].offer_index].append(x)
            self._allowed[k] = out
        return out

    def pool_key(self, st) -> tuple:
        return (st.rounds, st.grade, st.excluded)

    def slot_and_offer_nodes(self, g: _Graph) -> list[int]:
        inst = self.inst
        offer_node = []
        for o in range(len(inst.offers)):
            v = g.node()
            offer_node.append(v)
            g.arc(v, 1, int(self.offer_cap[o]))
        slot_node = []
        for sl in inst.slots:
            v = g.node()
            slot_node.append(v)
            g.arc(v, offer_node[sl.offer_index], int(self.cap[sl.index]))
        return slot_node


class OfferFlow:
    """The offer flow of a day (see the module docstring)."""

    def __init__(self, inst: Instance, prev: dict[tuple[int, int], int]):
        self.inst = inst
        day = self.day = _Day(inst)
        costs = inst.costs
        g = self.g = _Graph()
        slot_node = day.slot_and_offer_nodes(g)
        pools: dict[tuple, int] = {}
        const = 0
        chg = costs.change_cost
        # the objective's fixed parts: locked seats' costs, previous pairs (kept ones earn back)
        for si, sl in day.locked:
            const += inst.cost(inst.students[si], inst.slots[sl].offer) or 0
            const -= chg * prev.get((si, sl), 0)
        const += chg * len(inst.previous)
        prev_of: dict[int, list[int]] = defaultdict(list)
        for si, x in prev:
            prev_of[si].append(x)
        seat_arcs: list[tuple[int, int, int]] = []  # (arc, student, slot)
        self.pool_in: list[tuple[int, int, int]] = []  # (arc, student, pool node)
        self.pool_out: list[tuple[int, int, int]] = []  # (arc, pool node, slot)
        for st in inst.students:
            t = int(day.target[st.index])
            if t <= 0:
                continue
            sn = g.node()
            g.supply[0] += t
            source_arc = g.arc(0, sn, t)
            g.arc(sn, 1, t, costs.missing_cost)
            allowed = day.allowed(st)
            by_offer = day.by_offer(st)
            # explicit choices: ranked offers, locked offers, and offers of previous pairs
            # (whose slots earn the change cost back; through the pool they would not, and the
            # bound would be too high)
            wanted = {inst.offer_by_id[oid].index for oid in st.preferences}
            wanted |= {inst.slots[x].offer_index for x in prev_of[st.index]}
            forced = {inst.offer_by_id[oid].index for oid in st.locked_offers}
            company: dict[str, int] = {}
            for o in sorted(wanted | forced):
                k = day.key(o)
                if o not in by_offer or k in day.used_keys[st.index]:
                    continue
                on = g.node()
                c = inst.cost(st, inst.offers[o].id) or 0
                if o in forced:  # a lower bound of 1 on this choice: its unit enters here
                    g.supply[0] -= 1
                    g.supply[on] += 1
                    g.caps[source_arc] -= 1
                    const += c
                else:
                    src = sn
                    if inst.distinct_companies and not k.startswith("\x00"):
                        if k not in company:
                            company[k] = g.node()
                            g.arc(sn, company[k], 1)
                        src = company[k]
                    g.arc(src, on, 1, c)
                for x in by_offer[o]:
                    seat_arcs.append((g.arc(on, slot_node[x], 1,
                                            -chg * prev.get((st.index, x), 0)),
                                      st.index, x))
            if costs.unranked_cost is not None:
                pk = day.pool_key(st)
                if pk not in pools:
                    pv = pools[pk] = g.node()
                    for x in allowed:
                        self.pool_out.append((g.arc(pv, slot_node[x], int(day.cap[x])), pv, x))
                self.pool_in.append((g.arc(sn, pools[pk], t, costs.unranked_cost),
                                     st.index, pools[pk]))
        g.supply[1] = -sum(v for k, v in g.supply.items() if k != 1)
        self.const = const
        arr = np.array(seat_arcs, dtype=np.int64).reshape(-1, 3)
        self.seat_arc, self.seat_student, self.seat_slot = arr[:, 0], arr[:, 1], arr[:, 2]
        self.seat_round = np.array([inst.slots[x].round_index for x in self.seat_slot.tolist()],
                                   dtype=np.int64)
        self.base_costs = np.array(g.costs, dtype=np.int64)

    def solve(self, penalty: np.ndarray | None = None):
        """(valid lower bound on the objective, {student: [slot]} seats, seats per (student,
        round)), or None if the locks cannot be routed (then no valid allocation exists).

        ``penalty[s, r] >= 0`` is added to every seat of student s in round r: the row "one slot
        per round" priced in (Lagrangian relaxation), so the bound stays valid, and seats that
        clash in a round move elsewhere when that is cheap."""
        costs = self.base_costs
        if penalty is not None:
            costs = costs.copy()
            np.add.at(costs, self.seat_arc, penalty[self.seat_student, self.seat_round])
        self.g.costs = costs.tolist()
        out = self.g.solve()
        if out is None:
            return None
        cost, flows = out
        if penalty is not None:
            cost -= int(penalty.sum())
        used = flows[self.seat_arc] > 0
        per_round = np.zeros((len(self.inst.students), len(self.inst.rounds)), dtype=np.int64)
        np.add.at(per_round, (self.seat_student[used], self.seat_round[used]), 1)
        seats: dict[int, list[int]] = defaultdict(list)
        for si, x in zip(self.seat_student[used].tolist(), self.seat_slot[used].tolist()):
            seats[si].append(x)
        unranked: dict[int, list[int]] = defaultdict(list)  # pool node -> its students' seats
        takers: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for a, pv, x in self.pool_out:
            unranked[pv].extend([x] * int(flows[a]))
        for a, si, pv in self.pool_in:
            if flows[a] > 0:
                takers[pv].append((si, int(flows[a])))
        for pv, people in takers.items():
            free = unranked[pv]
            for si, n in people:
                for _ in range(n):
                    if free:
                        seats[si].append(free.pop())
        return cost + self.const, seats, per_round


def offer_flow_starts(inst: Instance, prev: dict[tuple[int, int], int]):
    """Yield (bound, seats) of the offer flow, first plain, then with round penalties raised by
    one cost unit wherever a student's seats clash in a round (a subgradient step): each gives
    other seats to place, so the caller can keep the best allocation of several. Stops at once
    (yields nothing) if the locks cannot be routed."""
    flow = OfferFlow(inst, prev)
    penalty = None
    while True:
        out = flow.solve(penalty)
        if out is None:
            return
        bound, seats, per_round = out
        yield bound, seats
        step = per_round - 1
        penalty = step.clip(0) if penalty is None else np.maximum(0, penalty + step)


def place_in_rounds(inst: Instance, seats: dict[int, list[int]], sweeps: int = 3):
    """A complete allocation from the offer flow's seats. The flow fixes each student's offers
    but not their rounds (two may fall in one round). Rounds are settled offer by offer: with
    every student's other offers held where they are, placing one offer's students into its
    rounds is a small min-cost flow (students -> the rounds they have free -> the offer's slots),
    solved exactly; a minimum size earns a bonus for its first seats, and a slot left below it is
    closed and the offer placed again. A few sweeps over the offers let the rounds settle. Seats
    that find no round are dropped (the fill flow refills those students). Locked slots are kept.
    """
    day = _Day(inst)
    big = 10_000
    holders: dict[int, list[int]] = defaultdict(list)  # offer -> students holding it
    round_of: dict[tuple[int, int], int | None] = {}
    busy: dict[int, dict[int, int]] = defaultdict(dict)  # student -> round -> offer
    for si, xs in seats.items():
        seen = set(day.used_keys[si])
        for x in xs:
            sl = inst.slots[x]
            k = day.key(sl.offer_index)
            if k in seen:
                continue
            seen.add(k)
            holders[sl.offer_index].append(si)
            r = sl.round_index
            if r in busy[si] or r in day.used_rounds[si]:
                round_of[(si, sl.offer_index)] = None
            else:
                round_of[(si, sl.offer_index)] = r
                busy[si][r] = sl.offer_index
    slot_at = {(sl.offer_index, sl.round_index): sl.index for sl in inst.slots}
    locked_in = defaultdict(int)
    for _, x in day.locked:
        locked_in[x] += 1
    closed: set[int] = set()
    allowed = {si: set(day.allowed(inst.students[si])) for si in seats}
    items: dict[int, list[int]] = defaultdict(list)
    for (si, o) in round_of:
        items[si].append(o)
    has_min = {sl.offer_index for sl in inst.slots if sl.min_size > 1}
    for sweep in range(sweeps):
        # an offer is placed again only where that can help: a holder still misses a seat, or
        # (in the first sweep) one of its slots has a minimum size
        needy = {si for si in items if any(round_of[(si, o)] is None for o in items[si])}
        if not needy and sweep:
            break
        for o in sorted(holders):
            if not (sweep == 0 and o in has_min) and not any(si in needy for si in holders[o]):
                continue
            for _attempt in range(len(inst.rounds) + 1):
                under = _place_offer(inst, day, o, holders[o], round_of, busy, slot_at,
                                     closed, allowed, locked_in, big)
                if not under:
                    break
                closed.update(under)
        # students with an offer left out: their own offers matched again to the rounds
        load = defaultdict(int, locked_in)
        for (_si, o), r in round_of.items():
            if r is not None:
                load[slot_at[(o, r)]] += 1
        for si in sorted(items):
            if all(round_of[(si, o)] is not None for o in items[si]):
                continue
            _place_student(inst, day, si, items[si], round_of, busy, slot_at, closed,
                           allowed[si], load, big)
    pairs = [(inst.students[si].id, inst.slots[x].id) for si, x in day.locked]
    for (si, o), r in round_of.items():
        if r is not None:
            pairs.append((inst.students[si].id, inst.slots[slot_at[(o, r)]].id))
    return pairs


def _place_offer(inst, day, o, people, round_of, busy, slot_at, closed, allowed, locked_in,
                 big):
    """Place offer o's students into its rounds (the others' rounds held); returns the
    min-size slots left below their minimum (to close and place again)."""
    g = _Graph()
    slot_node = {}
    arcs = {}
    for si in people:
        cur = round_of[(si, o)]
        if cur is not None:
            del busy[si][cur]
        sn = g.node()
        g.supply[sn] = 1
        g.arc(sn, 1, 1, big)  # not placed
        for r in range(len(inst.rounds)):
            x = slot_at.get((o, r))
            if x is None or x in closed or r in busy[si] or r in day.used_rounds[si] \
                    or x not in allowed[si] or day.cap[x] <= 0:
                continue
            if x not in slot_node:
                slot_node[x] = g.node()
            arcs[g.arc(sn, slot_node[x], 1, 0 if r == cur else 1)] = (si, r)
    for x, v in slot_node.items():
        need = max(0, min(inst.slots[x].min_size - locked_in[x], int(day.cap[x])))
        if need:
            g.arc(v, 1, need, -big)
        g.arc(v, 1, int(day.cap[x]) - need)
    g.supply[1] = -len(people)
    out = g.solve()
    for si in people:
        round_of[(si, o)] = None
    if out is None:
        return []
    _, flows = out
    load = defaultdict(int)
    for a, (si, r) in arcs.items():
        if flows[a] > 0:
            round_of[(si, o)] = r
            busy[si][r] = o
            load[slot_at[(o, r)]] += 1
    return [x for x, n in load.items()
            if 0 < n + locked_in[x] < inst.slots[x].min_size and not locked_in[x]]


def _place_student(inst, day, si, offers, round_of, busy, slot_at, closed, allowed, load, big):
    """Match one student's offers to rounds again, within the seats the others leave free
    (a small min-cost flow: offers -> rounds -> the student)."""
    g = _Graph()
    round_node = {}
    arcs = {}
    for o in offers:
        cur = round_of[(si, o)]
        if cur is not None:
            del busy[si][cur]
            load[slot_at[(o, cur)]] -= 1
        on = g.node()
        g.supply[on] = 1
        g.arc(on, 1, 1, big)
        for r in range(len(inst.rounds)):
            x = slot_at.get((o, r))
            if x is None or x in closed or r in day.used_rounds[si] or x not in allowed \
                    or load[x] >= day.cap[x]:
                continue
            if r not in round_node:
                round_node[r] = g.node()
                g.arc(round_node[r], 1, 1)
            arcs[g.arc(on, round_node[r], 1, 0 if r == cur else 1)] = (o, r)
        round_of[(si, o)] = None
    g.supply[1] = -len(offers)
    out = g.solve()
    if out is None:
        return
    _, flows = out
    for a, (o, r) in arcs.items():
        if flows[a] > 0:
            round_of[(si, o)] = r
            busy[si][r] = o
            load[slot_at[(o, r)]] += 1
