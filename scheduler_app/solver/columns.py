"""Candidate columns and the rows over them, from the constraint definitions.

A *column* is a (unit, slot) pair: a class of identical students (see :func:`build_units`) in one
slot, with an integer count between 0 and ``min(multiplicity, capacity)``. :class:`Model` holds
the rows of :mod:`.constraints` over a column set -- the LP relaxations, the CP-SAT models and the
decomposition all use it -- plus *link rows* ``x <= ub * open`` for minimum-size slots, which every
valid allocation keeps (a slot that does not take place holds nobody) and which make the
relaxations much tighter than the aggregated rows alone.
"""
from __future__ import annotations

import numpy as np

from .constraints import Row, Unit, Universe, all_rows, pair_problem
from .instance import Instance

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


class Columns:
    """Candidate columns: (unit, slot) with objective coefficient and upper bound."""

    def __init__(self, inst: Instance, units: list[Unit]):
        self.inst = inst
        self.units = units
        self.prev: dict[tuple[int, int], int] = inst.previous_by_index()
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


def eligible_matrix(inst: Instance, units: list[Unit]) -> np.ndarray:
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


def ranked_mask(inst: Instance, units: list[Unit]) -> np.ndarray:
    mat = np.zeros((len(units), len(inst.slots)), dtype=bool)
    for unit in units:
        for oid in unit.student.preferences:
            for sl in inst.slots_of_offer[inst.offer_by_id[oid].index]:
                mat[unit.index, sl] = True
    return mat


class Model:
    """Rows over a column set, from the constraint definitions."""

    def __init__(self, inst: Instance, cols: Columns, skip_trivial: bool = True):
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
        opens = set(self.open_slots)
        for c, sl in enumerate(self.uni.col_slot):
            if sl in opens and ub[c] > 0:
                slot = inst.slots[sl]
                self.rows.append(Row(4, "open_link", (slot.id,), f"slot '{slot.id}' holds "
                                     "students only if it takes place", [c], None, None, 0,
                                     open_slot=sl, open_coef=-ub[c]))
        self.cost = [cols.coef(u, sl) for (u, sl) in cols.pairs]


def candidate_columns(inst: Instance, units: list[Unit], elig: np.ndarray, *,
                       unranked: bool) -> "Columns":
    """Ranked pairs, previous pairs, locked slots and every slot of a locked offer (a lock row
    needs its columns even when the offer is unranked); every other allowed pair if
    ``unranked``."""
    ranked = ranked_mask(inst, units) & elig
    cols = Columns(inst, units)
    for u, sl in zip(*np.nonzero(ranked)):
        cols.add(int(u), int(sl))
    uos = unit_of_student(units)
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


def constant_part(inst: Instance) -> int:
    """The objective of the empty allocation; a column's cost is relative to it (every
    assignment saves a missing slot and keeps a previous pair)."""
    return inst.costs.missing_cost * sum(inst.target(s) for s in inst.students) + \
        inst.costs.change_cost * len(inst.previous)


def unit_of_student(units: list[Unit]) -> dict[int, int]:
    return {s: u.index for u in units for s in u.members}
