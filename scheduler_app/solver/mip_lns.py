"""Large neighbourhoods solved by SCIP's root node, for days too large to enumerate every column.

The neighbourhood is where the gap is: the students whose share of the objective differs from
their share in the offer flow's optimum (which relaxes only "one slot per round" and minimum
sizes, so its optimum is the LP bound on the varied days). On the benchmark's varied 5,000-student
day about 650 of the 5,000 differ, by +-17 or +-20 mostly: a ranked seat traded for an unranked
one. Taken a chunk at a time, each such student may take any slot of the offers they ranked and
the roomiest slot of an unranked offer in each round; everybody else keeps their slots (their
seats are fixed load). SCIP's root node (:func:`.rens.root_node`: its LP, then diving and
rounding heuristics) solves that MIP from the current allocation as a hint -- an LP-based search
that rearranges whole groups of students at once, where CP-SAT's LNS from the same hint found
nothing (varied 5,000: 88,417 -> 88,369 in three chunks of 220 students, 3.8 s; all 650 at once
reach 88,333 in 7.5 s; the LP bound is 88,326).

Every row of the model is kept, so each accepted step is a valid allocation; a step is accepted
only if it lowers the objective.
"""
from __future__ import annotations

import random

import numpy as np

from .budget import Budget
from .columns import Columns, Model, unit_of_student
from .constraints import Unit
from .instance import Instance
from .objective import evaluate, student_cost

#: students per neighbourhood: 220 took 0.6-0.8 s of SCIP on the varied 5,000-student day
CHUNK = 220
#: slots of unranked offers a neighbourhood student may move to, per round (the roomiest)
UNRANKED_PER_ROUND = 1


def improve_by_mip(inst: Instance, units: list[Unit], elig: np.ndarray, pairs,
                   targets: dict[int, int], *, deadline: float, seed: int = 0):
    """Returns ``(pairs, cut)``: the allocation after passes of neighbourhoods (see the module
    docstring) while one improves and the clock (``deadline``) allows, and whether the clock
    stopped a step. ``pairs`` must be valid; the answer is then valid and never worse."""
    from .engine import _values_of, disaggregate
    from .rens import root_node

    uos = unit_of_student(units)
    rng = random.Random(f"mip-lns/{seed}")
    value = evaluate(inst, pairs).total
    cut = False
    improved = True
    while improved and not cut:
        improved = False
        hood = _losers(inst, pairs, targets)
        rng.shuffle(hood)
        for k in range(0, len(hood), CHUNK):
            if Budget.seconds_to(deadline) < 0.3:
                return pairs, True
            model, free = _neighbourhood(inst, units, elig, uos, pairs, hood[k:k + CHUNK])
            values = _values_of(inst, units, model, pairs)
            out, step_cut = root_node(model, values, free, deadline, seed=seed, hint=True)
            cut = cut or step_cut
            if out is None:
                continue
            counts = {model.cols.pairs[c]: int(v) for c, v in enumerate(out) if v > 0}
            new = disaggregate(inst, units, counts)
            v = evaluate(inst, new).total
            if v < value:
                pairs, value, improved = new, v, True
    return pairs, cut


def _losers(inst: Instance, pairs, targets: dict[int, int]) -> list[int]:
    """Unlocked students whose share of the objective differs from the relaxation's."""
    mine: dict[int, list[str]] = {}
    for s, l in pairs:
        mine.setdefault(inst.student_by_id[s].index, []).append(inst.slot_by_id[l].offer)
    out = []
    for st in inst.students:
        if st.locked_slots or st.locked_offers:
            continue
        cost = student_cost(inst, st, mine.get(st.index, []))
        if cost != targets.get(st.index, cost):
            out.append(st.index)
    return out


def _neighbourhood(inst: Instance, units: list[Unit], elig: np.ndarray, uos: dict[int, int],
                   pairs, hood: list[int]):
    """The model over everybody's current slots plus the neighbourhood's candidate slots, and
    the mask of its free columns (the neighbourhood's units)."""
    slots = inst.slots
    load = np.zeros(len(slots), dtype=np.int64)
    cols = Columns(inst, units)
    for s, l in pairs:
        sl = inst.slot_by_id[l].index
        load[sl] += 1
        cols.add(uos[inst.student_by_id[s].index], sl)
    room = np.array([s.capacity for s in slots]) - load
    by_room: list[list[int]] = [[] for _ in inst.rounds]
    for sl in sorted(range(len(slots)), key=lambda x: (-room[x], x)):
        by_room[slots[sl].round_index].append(sl)
    free_units = set()
    for i in hood:
        st = inst.students[i]
        u = uos[i]
        free_units.add(u)
        for oid in st.preferences:
            for sl in inst.slots_of_offer[inst.offer_by_id[oid].index]:
                if elig[u, sl]:
                    cols.add(u, sl)
        if inst.costs.unranked_cost is None:
            continue
        for ordered in by_room:
            taken = 0
            for sl in ordered:
                if taken >= UNRANKED_PER_ROUND:
                    break
                if elig[u, sl] and slots[sl].offer not in st.preferences:
                    cols.add(u, sl)
                    taken += 1
    model = Model(inst, cols)
    free = np.fromiter((u in free_units for u, _ in cols.pairs), dtype=bool,
                       count=len(cols.pairs))
    return model, free
