"""Large-neighbourhood improvement of a complete valid allocation.

Each step frees a neighbourhood of students (a seed student who misses slots or got poor ranks,
plus the students who hold seats in the seed's better-ranked slots, grown to a fixed size), keeps
everybody else fixed, and solves the neighbourhood exactly-as-possible with CP-SAT from the
current allocation as a complete hint. The rows are the hard constraints restricted to the
neighbourhood (residual capacities, min size with an open variable, residual max_total). A step is
accepted only if it strictly lowers the objective. Students with locks are never freed.

Deterministic: neighbourhoods come from a seeded RNG, every CP-SAT call is single-threaded with a
deterministic time limit, and the number of steps is fixed by the budget (the wall clock is only a
safety net).
"""
from __future__ import annotations

import random
import time
from collections import defaultdict

from .constraints import pair_problem
from .instance import Instance



def improve(inst: Instance, pairs: list[tuple[str, str]], *, seed: int, steps: int,
            step_dtime: float, size: int, wall_deadline: float, bound: int | None = None,
            objective=None, stop_gap: float = 0.0, targets: dict[int, int] | None = None):
    """Returns (pairs, cut): ``cut`` is True when the clock stopped the steps early.

    ``targets`` (student index -> cost in a relaxation's solution) makes the seeds the students
    who lose most against the relaxation, where the gap is."""
    from ortools.sat.python import cp_model

    S, L = inst.students, inst.slots
    nst = len(S)
    miss = inst.costs.missing_cost
    chg = inst.costs.change_cost
    prev_cnt = inst.previous_by_index() if chg else {}
    free_ok = [not (st.locked_slots or st.locked_offers) for st in S]
    # current allocation (indices)
    cur: list[list[int]] = [[] for _ in range(nst)]
    for s, l in pairs:
        cur[inst.student_by_id[s].index].append(inst.slot_by_id[l].index)
    load = [0] * len(L)
    oload = [0] * len(inst.offers)
    occupants: list[set[int]] = [set() for _ in L]
    for i in range(nst):
        for sl in cur[i]:
            load[sl] += 1
            oload[L[sl].offer_index] += 1
            occupants[sl].add(i)
    ckey = [inst.offers[s.offer_index].company_key if inst.distinct_companies else s.offer
            for s in L]
    elig_cache: dict[tuple, list[int]] = {}

    def coef(i: int, sl: int):
        c = inst.cost(S[i], L[sl].offer)
        if c is None:
            return None
        return c - miss - chg * prev_cnt.get((i, sl), 0)

    def cands(i: int) -> list[int]:
        st = S[i]
        key = (st.rounds, st.grade, st.excluded,
               frozenset(st.preferences) if inst.costs.unranked_cost is None else None)
        ok = elig_cache.get(key)
        if ok is None:
            ok = [sl.index for sl in L if pair_problem(inst, st, sl) is None]
            elig_cache[key] = ok
        return ok

    def regret(i: int) -> int:
        t = inst.target(S[i])
        r = miss * (t - len(cur[i]))
        for sl in cur[i]:
            r += inst.cost(S[i], L[sl].offer) or 0
        return r

    rng = random.Random(f"lns/{seed}")
    movable = [i for i in range(nst) if free_ok[i]]
    if not movable:
        return pairs, False
    gain = 0
    cut = False
    tried: set[int] = set()
    for step in range(steps):
        if time.perf_counter() > wall_deadline:
            cut = True
            break
        if bound is not None and objective is not None and \
                objective - gain - bound <= stop_gap * abs(bound):
            break
        # --- neighbourhood
        seed_st = None
        if targets:  # the student who loses most against the relaxation, each once
            loss, seed_st = max(((regret(i) - targets.get(i, 0), -i) for i in movable
                                 if i not in tried), default=(0, None))
            seed_st = -seed_st if seed_st is not None and loss > 0 else None
        if seed_st is not None:
            tried.add(seed_st)
        else:
            sample = rng.sample(movable, min(len(movable), 40))
            seed_st = max(sample, key=lambda i: (regret(i), -i))
        hood: list[int] = [seed_st]
        inhood = {seed_st}
        frontier = [seed_st]
        while frontier and len(hood) < size:
            nxt = []
            for i in frontier:
                st = S[i]
                # slots of offers ranked at least as well as the worst current one
                wanted = sorted(st.preferences.items(), key=lambda kv: (kv[1], kv[0]))
                sls = [sl for oid, _ in wanted
                       for sl in inst.slots_of_offer[inst.offer_by_id[oid].index]]
                rng.shuffle(sls)
                for sl in sls:
                    occ = sorted(occupants[sl])
                    rng.shuffle(occ)
                    for j in occ[:4]:
                        if j not in inhood and free_ok[j]:
                            inhood.add(j)
                            hood.append(j)
                            nxt.append(j)
                            if len(hood) >= size:
                                break
                    if len(hood) >= size:
                        break
                if len(hood) >= size:
                    break
            frontier = nxt
        # --- model
        hood.sort()
        # a student's candidates: its own slots, the slots of the offers it ranked, and the
        # two roomiest other slots in each round (seats change hands inside the neighbourhood)
        m = cp_model.CpModel()
        xs: dict[tuple[int, int], object] = {}
        by_slot = defaultdict(list)
        obj_terms = []
        cur_obj = 0
        for i in hood:
            st = S[i]
            mine = set(cur[i])
            by_round = defaultdict(list)
            by_comp = defaultdict(list)
            allv = []
            ranked_slots = {x for oid in st.preferences
                            for x in inst.slots_of_offer[inst.offer_by_id[oid].index]}
            # unranked: the two roomiest slots per round besides the student's own
            roomy: dict[int, list[int]] = defaultdict(list)
            for sl in sorted(cands(i), key=lambda x: (load[x] - L[x].capacity, x)):
                if sl not in ranked_slots and len(roomy[L[sl].round_index]) < 2:
                    roomy[L[sl].round_index].append(sl)
            spare_ok = {x for xs in roomy.values() for x in xs}
            for sl in cands(i):
                if sl not in mine and sl not in ranked_slots and sl not in spare_ok:
                    continue
                k = coef(i, sl)
                if k is None or (k >= 0 and sl not in mine):
                    continue
                v = m.NewBoolVar("")
                xs[(i, sl)] = v
                h = 1 if sl in mine else 0
                m.AddHint(v, h)
                cur_obj += k * h
                obj_terms.append((k, v))
                by_slot[sl].append(v)
                by_round[L[sl].round_index].append(v)
                by_comp[ckey[sl]].append(v)
                allv.append(v)
            for vs in by_round.values():
                if len(vs) > 1:
                    m.AddAtMostOne(vs)
            for vs in by_comp.values():
                if len(vs) > 1:
                    m.AddAtMostOne(vs)
            t = inst.target(st)
            if len(allv) > t:
                m.Add(sum(allv) <= t)
        if not xs:
            continue
        hood_set = set(hood)
        by_offer = defaultdict(list)
        for sl, vs in by_slot.items():
            s = L[sl]
            fixed = load[sl] - sum(1 for i in occupants[sl] if i in hood_set)
            by_offer[s.offer_index].extend(vs)
            if s.min_size > fixed:
                y = m.NewBoolVar("")
                m.AddHint(y, 1 if load[sl] > 0 else 0)
                m.Add(sum(vs) + fixed >= s.min_size * y)
                m.Add(sum(vs) + fixed <= s.capacity * y)
            elif len(vs) + fixed > s.capacity:
                m.Add(sum(vs) <= s.capacity - fixed)
        for o, vs in by_offer.items():
            mt = inst.offers[o].max_total
            if mt is not None:
                fixed = oload[o] - sum(1 for i in hood for sl in cur[i] if L[sl].offer_index == o)
                if len(vs) + fixed > mt:
                    m.Add(sum(vs) <= mt - fixed)
        m.Minimize(sum(k * v for k, v in obj_terms))
        solver = cp_model.CpSolver()
        p = solver.parameters
        p.random_seed = seed + step
        p.num_workers = 1
        p.max_deterministic_time = step_dtime
        p.max_time_in_seconds = max(0.01, wall_deadline - time.perf_counter())
        st_ = solver.Solve(m)
        if st_ in (cp_model.FEASIBLE, cp_model.UNKNOWN) and \
                solver.deterministic_time < \
                0.98 * step_dtime:
            cut = True  # the clock, not the deterministic limit, ended this step
        if st_ not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            continue
        new_obj = int(round(solver.ObjectiveValue()))
        if new_obj >= cur_obj:
            continue
        gain += cur_obj - new_obj
        # apply
        for i in hood:
            for sl in cur[i]:
                load[sl] -= 1
                oload[L[sl].offer_index] -= 1
                occupants[sl].discard(i)
            cur[i] = []
        for (i, sl), v in xs.items():
            if solver.Value(v):
                cur[i].append(sl)
                load[sl] += 1
                oload[L[sl].offer_index] += 1
                occupants[sl].add(i)
    locked = [(s, l) for s, l in pairs if not free_ok[inst.student_by_id[s].index]]
    out = list(locked)
    for i in range(nst):
        if free_ok[i]:
            out.extend((S[i].id, L[sl].id) for sl in sorted(cur[i]))
    return out, cut
