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
        for (i, _r), rn in sr_node.items():
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
        for _c, si in cands[:need]:
            pairs.append((inst.students[si].id, slot.id))
            got[si].append(slot.index)
            load[slot.index] += 1
            offer_load[o.index] += 1
    return pairs


class _Alloc:
    """An allocation being edited: pairs with slot, offer and per-student indexes."""

    def __init__(self, inst: Instance, pairs):
        self.inst = inst
        self.pairs: dict[tuple[str, str], None] = dict.fromkeys(pairs)
        self.load = np.zeros(len(inst.slots), dtype=np.int64)
        self.offer_load = np.zeros(len(inst.offers), dtype=np.int64)
        self.of_student: dict[str, list[str]] = defaultdict(list)
        self.of_slot: dict[str, list[str]] = defaultdict(list)
        for s, l in self.pairs:
            self._index(s, l, +1)

    def _index(self, s: str, l: str, d: int) -> None:
        sl = self.inst.slot_by_id[l]
        self.load[sl.index] += d
        self.offer_load[sl.offer_index] += d
        if d > 0:
            self.of_student[s].append(l)
            self.of_slot[l].append(s)
        else:
            self.of_student[s].remove(l)
            self.of_slot[l].remove(s)

    def add(self, s: str, l: str) -> None:
        if (s, l) not in self.pairs:
            self.pairs[(s, l)] = None
            self._index(s, l, +1)

    def remove(self, s: str, l: str) -> None:
        if (s, l) in self.pairs:
            del self.pairs[(s, l)]
            self._index(s, l, -1)

    def key(self, l: str) -> str:
        sl = self.inst.slot_by_id[l]
        return self.inst.offers[sl.offer_index].company_key if self.inst.distinct_companies \
            else sl.offer

    def clashes(self, s: str, l: str) -> list[str]:
        """The student's slots that (s, l) would clash with: same round or offer (company)."""
        sl = self.inst.slot_by_id[l]
        return [x for x in self.of_student[s] if x != l and (
            self.inst.slot_by_id[x].round == sl.round or self.key(x) == self.key(l))]

    def make_room(self, s: str, l: str) -> bool:
        """Free what (s, l) needs: the student's clashing slots, a seat in the slot, room under
        max_total, a place under the student's target -- removing only unlocked pairs. False
        (and nothing changed) if a locked pair stands in the way."""
        inst = self.inst
        st, sl = inst.student_by_id[s], inst.slot_by_id[l]
        clash = self.clashes(s, l)
        if any(_is_locked(inst, s, x) for x in clash):
            return False
        evict_seat = None
        if self.load[sl.index] >= sl.capacity:
            others = [t for t in self.of_slot[l] if not _is_locked(inst, t, l)]
            if not others:
                return False
            evict_seat = (others[-1], l)
        offer = inst.offers[sl.offer_index]
        evict_offer = None
        if offer.max_total is not None and evict_seat is None and \
                self.offer_load[offer.index] >= offer.max_total:
            others = [(t, x) for x in (inst.slots[i].id for i in inst.slots_of_offer[offer.index])
                      for t in self.of_slot[x] if not _is_locked(inst, t, x)]
            if not others:
                return False
            evict_offer = others[-1]
        for x in clash:
            self.remove(s, x)
        for p in (evict_seat, evict_offer):
            if p is not None:
                self.remove(*p)
        mine = self.of_student[s]
        if len(mine) >= inst.target(st):
            free = [x for x in mine if not _is_locked(inst, s, x)]
            if not free:
                return False
            worst = max(free, key=lambda x: (inst.cost(st, inst.slot_by_id[x].offer) or 0, x))
            self.remove(s, worst)
        return True


def enforce_locks(inst: Instance, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Add every locked slot and locked offer that the allocation misses, making room by removing
    unlocked pairs (the student's clashing slots, another student's seat, the student's worst
    slot). Locks the pre-check found impossible are never asked for here."""
    a = _Alloc(inst, pairs)
    for st in inst.students:
        for sid in st.locked_slots:
            if (st.id, sid) not in a.pairs and a.make_room(st.id, sid):
                a.add(st.id, sid)
        for oid in st.locked_offers:
            offer = inst.offer_by_id[oid]
            slots = [inst.slots[i] for i in inst.slots_of_offer[offer.index]]
            if any((st.id, sl.id) in a.pairs for sl in slots):
                continue
            options = [sl for sl in slots if pair_problem(inst, st, sl) is None]
            # least disruptive first: a free round, a spare seat, a slot that already takes place
            options.sort(key=lambda sl: (len(a.clashes(st.id, sl.id)),
                                         a.load[sl.index] >= sl.capacity,
                                         a.load[sl.index] == 0 and sl.min_size > 1,
                                         sl.index))
            for sl in options:
                if a.make_room(st.id, sl.id):
                    a.add(st.id, sl.id)
                    break
    return list(a.pairs)


def fix_min_sizes(inst: Instance, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Slots that take place below their minimum size: close those without a locked attendee;
    fill the others up, with students free in that round first, then students moved out of an
    unlocked slot of that round that keeps its own minimum size."""
    a = _Alloc(inst, pairs)
    for sl in inst.slots:
        if not (0 < a.load[sl.index] < sl.min_size):
            continue
        members = list(a.of_slot[sl.id])
        if not any(_is_locked(inst, s, sl.id) for s in members):
            for s in members:
                a.remove(s, sl.id)
            continue
        cands = []
        for st in inst.students:
            if st.id in members or pair_problem(inst, st, sl) is not None:
                continue
            c = inst.cost(st, sl.offer)
            clash = a.clashes(st.id, sl.id)
            if any(_is_locked(inst, st.id, x) for x in clash) or len(clash) > 1:
                continue
            if clash:
                x = inst.slot_by_id[clash[0]]
                if x.round != sl.round or (x.min_size and a.load[x.index] - 1 < x.min_size):
                    continue
                delta = (c or 0) - (inst.cost(st, x.offer) or 0)
            else:
                if len(a.of_student[st.id]) >= inst.target(st):
                    continue
                delta = (c or 0) - inst.costs.missing_cost
            cands.append((bool(clash), delta, st.index))
        cands.sort()
        for _, _, si in cands:
            if a.load[sl.index] >= sl.min_size:
                break
            st = inst.students[si]
            if a.make_room(st.id, sl.id):
                a.add(st.id, sl.id)
    return list(a.pairs)


def make_valid(inst: Instance, pairs: list[tuple[str, str]], rounds: int = 3):
    """Repair an allocation until it keeps every hard constraint (locks and the minimum sizes they
    force open included), then fill empty wanted slots; returns (pairs, remaining violations)."""
    from .constraints import violations

    pairs = list(dict.fromkeys(pairs))
    left = violations(inst, pairs)
    for _ in range(rounds):
        if not left:
            break
        pairs = enforce_locks(inst, pairs)
        pairs = fix_min_sizes(inst, top_up_min_size(inst, pairs))
        pairs = repair(inst, pairs)
        left = violations(inst, pairs)
    return pairs, left
