"""The seven hard constraints of allocation-instance/1, each defined ONCE.

Every hard constraint is one named function below. A constraint consists of

* an optional *pair rule* ``(inst, student, slot) -> (code, message) | None`` that says whether
  a single (student, slot) pair may exist at all (used to generate the model's variables, to
  check a result, and by ``explain``), and
* an optional *row generator* ``(inst, universe) -> Iterable[Row]`` that yields linear rows
  ``lo <= sum(coef * x[col]) + open_coef * open[slot] <= hi`` over the columns of a
  :class:`Universe`.

The solver builds its LP and CP-SAT models from these rows (a universe of candidate columns,
possibly for aggregated classes of identical students); :func:`violations` evaluates the very
same rows on a given allocation (a universe of the assigned pairs, one unit per student) and
reports each violated row with its constraint number, a stable code and the offending ids.

Violation codes (stable): ``absent_in_round``, ``two_slots_in_round``, ``too_many_slots``,
``same_offer_twice``, ``same_company_twice``, ``slot_over_capacity``, ``slot_below_min_size``,
``offer_over_max_total``, ``grade_not_allowed``, ``offer_excluded``, ``unranked_not_allowed``,
``locked_slot_not_attended``, ``locked_offer_not_attended`` (and ``unknown_id`` for a pair naming
an id the instance lacks): :data:`VIOLATION_CODES`. A violated row also reports its ``numbers``:
``assigned`` (the pairs it counts) and ``limit`` (the capacity, minimum size, ``max_total`` or
target it was held against), so that an application can word the violation itself.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Sequence

from .instance import Instance, Slot, Student


@dataclass(slots=True)
class Unit:
    """A class of identical students (same presence, grade, preferences, exclusions, no locks,
    no previous pairs) or a single student. Per-student rows hold ``multiplicity`` times."""

    index: int
    student: Student  # representative
    members: tuple[int, ...]  # student indices

    @property
    def multiplicity(self) -> int:
        return len(self.members)


@dataclass(slots=True)
class Universe:
    """Columns (unit, slot) over which rows are generated."""

    units: list[Unit]
    col_unit: list[int]
    col_slot: list[int]
    unit_cols: list[list[int]]

    @classmethod
    def build(cls, units: list[Unit], pairs: Iterable[tuple[int, int]]) -> "Universe":
        col_unit: list[int] = []
        col_slot: list[int] = []
        unit_cols: list[list[int]] = [[] for _ in units]
        for u, sl in pairs:
            unit_cols[u].append(len(col_unit))
            col_unit.append(u)
            col_slot.append(sl)
        return cls(units, col_unit, col_slot, unit_cols)


@dataclass(slots=True)
class Row:
    constraint: int
    code: str
    ids: tuple[str, ...]
    what: str  # plain description of the quantity, for messages
    cols: list[int]
    coefs: list[int] | None  # None: every coefficient is 1
    lo: int | None
    hi: int | None
    open_slot: int | None = None
    open_coef: int = 0


#: Every code :func:`violations` reports (the module docstring); the web app has a message for each.
VIOLATION_CODES = (
    "absent_in_round", "two_slots_in_round", "too_many_slots", "same_offer_twice",
    "same_company_twice", "slot_over_capacity", "slot_below_min_size", "offer_over_max_total",
    "grade_not_allowed", "offer_excluded", "unranked_not_allowed", "locked_slot_not_attended",
    "locked_offer_not_attended", "unknown_id",
)


@dataclass(frozen=True)
class Violation:
    constraint: int
    code: str
    message: str
    ids: tuple[str, ...]
    numbers: dict[str, int] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict:
        return {"constraint": self.constraint, "code": self.code, "message": self.message,
                "ids": list(self.ids), "numbers": dict(self.numbers)}


PairRule = Callable[[Instance, Student, Slot], "tuple[str, str] | None"]
RowGen = Callable[[Instance, Universe], Iterator[Row]]


# ---------------------------------------------------------------------------------------------
# 1. at most one slot per round, only in rounds present
def present_in_round(inst: Instance, st: Student, slot: Slot):
    if slot.round not in st.rounds:
        return ("absent_in_round",
                f"student '{st.id}' is not present in round '{slot.round}' (slot '{slot.id}')")
    return None


def one_slot_per_round(inst: Instance, uni: Universe) -> Iterator[Row]:
    for unit in uni.units:
        by_round: dict[int, list[int]] = defaultdict(list)
        for col in uni.unit_cols[unit.index]:
            by_round[inst.slots[uni.col_slot[col]].round_index].append(col)
        for r, cols in by_round.items():
            rid = inst.rounds[r]
            yield Row(1, "two_slots_in_round", (unit.student.id, rid),
                      f"student '{unit.student.id}' attends slots in round '{rid}'",
                      cols, None, None, unit.multiplicity)


# 2. at most target(s) slots
def at_most_target_slots(inst: Instance, uni: Universe) -> Iterator[Row]:
    for unit in uni.units:
        cols = uni.unit_cols[unit.index]
        yield Row(2, "too_many_slots", (unit.student.id,),
                  f"student '{unit.student.id}' attends slots (target {inst.target(unit.student)})",
                  cols, None, None, inst.target(unit.student) * unit.multiplicity)


# 3. never the same offer twice (nor the same company under distinct_companies)
def no_repeated_offer_or_company(inst: Instance, uni: Universe) -> Iterator[Row]:
    for unit in uni.units:
        by_offer: dict[int, list[int]] = defaultdict(list)
        for col in uni.unit_cols[unit.index]:
            by_offer[inst.slots[uni.col_slot[col]].offer_index].append(col)
        for o, cols in by_offer.items():
            oid = inst.offers[o].id
            yield Row(3, "same_offer_twice", (unit.student.id, oid),
                      f"student '{unit.student.id}' attends offer '{oid}'",
                      cols, None, None, unit.multiplicity)
        if inst.distinct_companies:
            by_company: dict[str, list[int]] = defaultdict(list)
            for o, cols in by_offer.items():
                by_company[inst.offers[o].company_key].extend(cols)
            for comp, cols in by_company.items():
                if comp.startswith("\x00"):
                    continue
                yield Row(3, "same_company_twice", (unit.student.id, comp),
                          f"student '{unit.student.id}' attends offers of company '{comp}'",
                          cols, None, None, unit.multiplicity)


# 4. capacity; 0 or at least min_size
def slot_capacity_and_min_size(inst: Instance, uni: Universe) -> Iterator[Row]:
    cols_of: dict[int, list[int]] = defaultdict(list)
    for col, sl in enumerate(uni.col_slot):
        cols_of[sl].append(col)
    for sl in sorted(cols_of):
        slot = inst.slots[sl]
        cols = cols_of[sl]
        if slot.min_size > 0:
            yield Row(4, "slot_over_capacity", (slot.id,),
                      f"slot '{slot.id}' holds students (capacity {slot.capacity})",
                      cols, None, None, 0, open_slot=sl, open_coef=-slot.capacity)
            yield Row(4, "slot_below_min_size", (slot.id,),
                      f"slot '{slot.id}' takes place with fewer than min_size {slot.min_size} "
                      "students", cols, None, 0, None, open_slot=sl, open_coef=-slot.min_size)
        else:
            yield Row(4, "slot_over_capacity", (slot.id,),
                      f"slot '{slot.id}' holds students (capacity {slot.capacity})",
                      cols, None, None, slot.capacity)


# 5. max_total per offer
def offer_max_total(inst: Instance, uni: Universe) -> Iterator[Row]:
    cols_of: dict[int, list[int]] = defaultdict(list)
    for col, sl in enumerate(uni.col_slot):
        cols_of[inst.slots[sl].offer_index].append(col)
    for o in sorted(cols_of):
        offer = inst.offers[o]
        if offer.max_total is None:
            continue
        yield Row(5, "offer_over_max_total", (offer.id,),
                  f"offer '{offer.id}' holds students over all its slots (max_total "
                  f"{offer.max_total})", cols_of[o], None, None, offer.max_total)


# 6. grade, exclusions, unranked
def eligible_offer(inst: Instance, st: Student, slot: Slot):
    offer = inst.offers[slot.offer_index]
    if offer.grades is not None and st.grade not in offer.grades:
        g = "no grade" if st.grade is None else f"grade {st.grade}"
        return ("grade_not_allowed", f"offer '{offer.id}' is not open to student '{st.id}' "
                f"({g}; allowed: {sorted(offer.grades)})")
    if offer.id in st.excluded:
        return ("offer_excluded", f"student '{st.id}' must never attend excluded offer "
                f"'{offer.id}'")
    if offer.id not in st.preferences and inst.costs.unranked_cost is None:
        return ("unranked_not_allowed", f"student '{st.id}' did not rank offer '{offer.id}' and "
                "unranked offers are never assigned (unranked_cost is null)")
    return None


# 7. locks
def locks_attended(inst: Instance, uni: Universe) -> Iterator[Row]:
    for unit in uni.units:
        st = unit.student
        if not st.locked_slots and not st.locked_offers:
            continue
        cols = uni.unit_cols[unit.index]
        for sid in st.locked_slots:
            sl = inst.slot_by_id[sid].index
            yield Row(7, "locked_slot_not_attended", (st.id, sid),
                      f"student '{st.id}' is locked to slot '{sid}'",
                      [c for c in cols if uni.col_slot[c] == sl], None,
                      unit.multiplicity, None)
        for oid in st.locked_offers:
            o = inst.offer_by_id[oid].index
            yield Row(7, "locked_offer_not_attended", (st.id, oid),
                      f"student '{st.id}' is locked to offer '{oid}'",
                      [c for c in cols if inst.slots[uni.col_slot[c]].offer_index == o], None,
                      unit.multiplicity, None)


@dataclass(frozen=True)
class HardConstraint:
    number: int
    name: str
    text: str
    pair_rule: PairRule | None
    rows: RowGen | None


HARD_CONSTRAINTS: tuple[HardConstraint, ...] = (
    HardConstraint(1, "one_slot_per_round_when_present",
                   "A student attends at most one slot per round, and only in rounds present.",
                   present_in_round, one_slot_per_round),
    HardConstraint(2, "at_most_target_slots",
                   "A student attends at most min(wanted, rounds present) slots.",
                   None, at_most_target_slots),
    HardConstraint(3, "no_repeated_offer_or_company",
                   "A student never attends the same offer (or company) twice.",
                   None, no_repeated_offer_or_company),
    HardConstraint(4, "slot_capacity_and_min_size",
                   "A slot holds at most capacity students, and 0 or at least min_size.",
                   None, slot_capacity_and_min_size),
    HardConstraint(5, "offer_max_total",
                   "An offer holds at most max_total students over all its slots.",
                   None, offer_max_total),
    HardConstraint(6, "eligible_offer",
                   "Only offers open to the grade, never excluded, unranked only if allowed.",
                   eligible_offer, None),
    HardConstraint(7, "locks_attended", "Every locked slot and locked offer is attended.",
                   None, locks_attended),
)


def pair_problem(inst: Instance, st: Student, slot: Slot):
    """First pair rule that forbids (student, slot), as (constraint, code, message), or None."""
    for hc in HARD_CONSTRAINTS:
        if hc.pair_rule is not None:
            res = hc.pair_rule(inst, st, slot)
            if res is not None:
                return (hc.number, res[0], res[1])
    return None


def all_rows(inst: Instance, uni: Universe) -> Iterator[Row]:
    for hc in HARD_CONSTRAINTS:
        if hc.rows is not None:
            yield from hc.rows(inst, uni)


def row_value(row: Row, x: Sequence[float], open_val: Callable[[int], float]) -> float:
    if row.coefs is None:
        v = sum(x[c] for c in row.cols)
    else:
        v = sum(k * x[c] for c, k in zip(row.cols, row.coefs))
    if row.open_slot is not None:
        v += row.open_coef * open_val(row.open_slot)
    return v


def singleton_units(inst: Instance) -> list[Unit]:
    return [Unit(i, st, (i,)) for i, st in enumerate(inst.students)]


def violations(inst: Instance, pairs: Sequence[tuple[str, str]]) -> list[Violation]:
    """Every violated hard constraint for an allocation given as (student id, slot id) pairs.

    Pairs naming unknown students or slots are reported with code ``unknown_id``."""
    out: list[Violation] = []
    counts: Counter[tuple[int, int]] = Counter()
    for sid, lid in pairs:
        st = inst.student_by_id.get(sid)
        sl = inst.slot_by_id.get(lid)
        if st is None or sl is None:
            bad = [x for x, ok in ((sid, st), (lid, sl)) if ok is None]
            out.append(Violation(0, "unknown_id", f"assignment ({sid!r}, {lid!r}) names unknown "
                                 f"id {', '.join(map(repr, bad))}", tuple(bad)))
            continue
        counts[(st.index, sl.index)] += 1
    keys = sorted(counts)
    for si, li in keys:
        st, sl = inst.students[si], inst.slots[li]
        res = pair_problem(inst, st, sl)
        if res is not None:
            out.append(Violation(res[0], res[1], res[2], (st.id, sl.id)))
    uni = Universe.build(singleton_units(inst), keys)
    x = [counts[k] for k in keys]
    load = Counter()
    for (_si, li), n in counts.items():
        load[li] += n
    for row in all_rows(inst, uni):
        v = row_value(row, x, lambda s: 1 if load[s] > 0 else 0)
        if row.hi is not None and v > row.hi:
            out.append(Violation(row.constraint, row.code, _message(inst, row, x, "hi"), row.ids,
                                 _numbers(inst, row, x)))
        elif row.lo is not None and v < row.lo:
            out.append(Violation(row.constraint, row.code, _message(inst, row, x, "lo"), row.ids,
                                 _numbers(inst, row, x)))
    return out


def violations_of_change(inst: Instance, pairs: Sequence[tuple[str, str]],
                         remove: Sequence[tuple[str, str]] = (),
                         add: Sequence[tuple[str, str]] = ()) -> list[Violation]:
    """The violations that replacing the pairs ``remove`` by ``add`` brings into the allocation
    ``pairs`` (those it already had are not repeated): what a manual move or a "what if this
    student got that slot" question must know.

    Only the pairs the change can affect are evaluated: those of the students concerned and those
    of every slot of the offers concerned. Every row that counts a changed pair (the students'
    rows, the slots' capacity and minimum size, the offers' ``max_total``) counts only such pairs,
    so the answer equals comparing :func:`violations` of the whole allocation before and after, at
    a fraction of the cost."""
    changed = [*remove, *add]
    students = {s for s, _ in changed}
    offers = {inst.slot_by_id[lid].offer for _, lid in changed if lid in inst.slot_by_id}
    local = [(s, lid) for s, lid in pairs
             if s in students or (lid in inst.slot_by_id and inst.slot_by_id[lid].offer in offers)]
    gone = Counter(remove)
    after = []
    for pair in local:
        if gone[pair]:
            gone[pair] -= 1
        else:
            after.append(pair)
    before = {(v.code, v.ids) for v in violations(inst, local)}
    return [v for v in violations(inst, after + list(add)) if (v.code, v.ids) not in before]


def _numbers(inst: Instance, row: Row, x) -> dict[str, int]:
    """The violated row's quantity (``assigned``) and the limit it was held against (``limit``).
    In a universe of single students (as in :func:`violations`) a row's bound is the limit
    itself, except for slots with a minimum size, whose rows are bounded through ``open``."""
    assigned = sum(x[c] for c in row.cols)
    if row.code == "slot_over_capacity":
        limit = inst.slot_by_id[row.ids[0]].capacity
    elif row.code == "slot_below_min_size":
        limit = inst.slot_by_id[row.ids[0]].min_size
    else:
        limit = row.hi if row.hi is not None else row.lo
    return {"assigned": int(assigned), "limit": int(limit)}


def _message(inst: Instance, row: Row, x, side: str) -> str:
    n = sum(x[c] for c in row.cols)
    if row.code == "slot_over_capacity":
        return f"{row.what}: {n} assigned"
    if row.code == "slot_below_min_size":
        return f"{row.what}: {n} assigned"
    if row.code.startswith("locked_"):
        return f"{row.what} but does not attend it"
    limit = row.hi
    return f"{row.what}: {n} > {limit}"
