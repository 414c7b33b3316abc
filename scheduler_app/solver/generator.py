"""Seeded, deterministic generator of realistic career days (allocation-instance/1 dicts).

Classes of about 25 students from several schools, grades 8-10; some classes arrive late or
leave early; offer popularity is Zipf-like (a few very popular companies); about 20 % of offers
are grade-restricted; some slots have a minimum size; some companies skip a round; students
rank 5-6 wishes and want 3-5 slots; seats are about 1.15 x demand.

``uniform=True``: everyone present in every round, the same seats in every round, no minimum
sizes and no skipped rounds (the case the flow + edge-colouring path solves exactly).
"""
from __future__ import annotations

import math
import random


def generate_career_day(students: int, offers: int, rounds: int, seed: int = 0,
                        uniform: bool = False) -> dict:
    rng = random.Random(f"career-day/{students}/{offers}/{rounds}/{seed}/{uniform}")
    round_ids = [f"R{i + 1}" for i in range(rounds)]
    # --- offers and companies (some companies hold two offers)
    offer_list = []
    n_companies = max(1, round(offers / 1.25))
    for i in range(offers):
        comp = i if i < n_companies else rng.randrange(n_companies)
        grades = None
        if rng.random() < 0.2:
            grades = rng.choice([[9, 10], [10], [8, 9]])
        offer_list.append({"id": f"O{i + 1:03d}", "company": f"C{comp + 1:03d}",
                           "label": f"Angebot {i + 1}", **({"grades": grades} if grades else {})})
    # Zipf-like popularity on a random order of offers
    order = list(range(offers))
    rng.shuffle(order)
    popularity = [0.0] * offers
    for r, o in enumerate(order):
        popularity[o] = 1.0 / (r + 1) ** 0.9
    # --- classes
    n_classes = max(1, math.ceil(students / 25))
    n_schools = max(2, n_classes // 6)
    school_names = [f"S{k + 1:02d}" for k in range(n_schools)]
    classes = []
    for k in range(n_classes):
        grade = rng.choice([8, 9, 10])
        present = list(round_ids)
        if not uniform and rounds >= 3:
            x = rng.random()
            if x < 0.15:
                present = round_ids[1:]          # arrives late
            elif x < 0.27:
                present = round_ids[:-1]         # leaves early
        wanted = min(rng.choice([3, 4, 4, 5]), rounds)
        classes.append({"name": f"{rng.choice(school_names)}-{grade}{chr(97 + k % 26)}{k // 26}",
                        "grade": grade, "rounds": present, "wanted": wanted})
    student_list = []
    for i in range(students):
        cl = classes[i * n_classes // students]
        eligible = [o for o in range(offers)
                    if "grades" not in offer_list[o] or cl["grade"] in offer_list[o]["grades"]]
        k = min(len(eligible), rng.choice([5, 6]))
        chosen, _ = _wishes(rng, eligible, popularity, k)
        st = {"id": f"P{i + 1:05d}", "group": cl["name"], "grade": cl["grade"],
              "wanted": cl["wanted"],
              "preferences": {offer_list[o]["id"]: r + 1 for r, o in enumerate(chosen)}}
        if len(cl["rounds"]) != rounds:
            st["rounds"] = cl["rounds"]
        student_list.append(st)
    demand = sum(min(c["wanted"], len(c["rounds"])) for c in
                 (classes[i * n_classes // students] for i in range(students)))
    # --- slots: base size per offer, some offers skip a round, scaled to 1.15 x demand
    base = [rng.randint(12, 30) for _ in range(offers)]
    rounds_of = []
    for _ in range(offers):
        rs = list(range(rounds))
        if not uniform and rounds >= 3 and rng.random() < 0.15:
            rs.remove(rng.randrange(rounds))
        rounds_of.append(rs)
    raw = sum(base[o] * len(rounds_of[o]) for o in range(offers))
    scale = 1.15 * demand / raw
    slot_list = []
    for o in range(offers):
        cap = max(1, round(base[o] * scale))
        for r in rounds_of[o]:
            slot = {"id": f"{offer_list[o]['id']}-{round_ids[r]}", "offer": offer_list[o]["id"],
                    "round": round_ids[r], "capacity": cap}
            if not uniform and rng.random() < 0.1:
                slot["min_size"] = max(1, cap // 3)
            slot_list.append(slot)
    return {
        "format": "allocation-instance/1",
        "name": f"generated career day {students}x{offers}x{rounds} seed {seed}"
                + (" uniform" if uniform else ""),
        "rounds": round_ids,
        "offers": offer_list,
        "slots": slot_list,
        "students": student_list,
        "rules": _rules(rounds),
    }


def _wishes(rng: random.Random, eligible: list[int], popularity: list[float], k: int):
    """``k`` distinct offers drawn by popularity, in order of preference; and the rest."""
    pool, w = list(eligible), [popularity[o] for o in eligible]
    chosen: list[int] = []
    for _ in range(k):
        j = rng.choices(range(len(pool)), weights=w)[0]
        chosen.append(pool.pop(j))
        w.pop(j)
    return chosen, pool


def _rules(rounds: int) -> dict:
    return {"slots_per_student": min(4, rounds), "rank_costs": [0, 1, 3, 6, 10, 15],
            "unranked_cost": 20, "missing_cost": 1000, "distinct_companies": False}


def generate_varied_day(students: int, offers: int, rounds: int, seed: int = 0, *,
                        seat_ratio: float = 1.09, lock_share: float = 0.02,
                        min_size_share: float = 0.2, window_share: float = 0.35,
                        popularity: float = 0.5, round_seats: bool = True,
                        restrictions: bool = True) -> dict:
    """A career day with the variety real days have, which :func:`generate_career_day` does not
    make: seats that differ per round (a few auditorium-sized slots, some rounds a company is
    absent), presence windows per class (late arrival, early departure, a middle block), grade
    limits and ``max_total`` on offers, minimum sizes, exclusions, and locked slots and offers.

    The locks always admit a valid allocation (each is a seat the student may take, in distinct
    rounds and offers, within capacity and ``max_total``; a locked min-size slot has enough other
    eligible students present). ``seat_ratio`` is seats / demand (1.0 and below: tight);
    ``popularity`` is the Zipf exponent of wishes (0: flat, 0.9: like ``generate_career_day``).
    ``round_seats=False`` gives every offer the same seats in every round it is held;
    ``restrictions=False`` drops windows, grade limits, ``max_total``, minimum sizes, exclusions
    and locks (with both off, and no skipped rounds, the day is uniform).
    """
    rng = random.Random(f"varied-day/{students}/{offers}/{rounds}/{seed}/{seat_ratio}/"
                        f"{lock_share}/{min_size_share}/{window_share}/{popularity}/"
                        f"{round_seats}/{restrictions}")
    round_ids = [f"R{i + 1}" for i in range(rounds)]
    n_companies = max(1, round(offers / 1.3))
    offer_list = []
    for i in range(offers):
        comp = i if i < n_companies else rng.randrange(n_companies)
        o = {"id": f"V{i + 1:03d}", "company": f"K{comp + 1:03d}", "label": f"Angebot {i + 1}"}
        if restrictions and rng.random() < 0.25:
            o["grades"] = rng.choice([[9, 10], [10], [8, 9], [9]])
        offer_list.append(o)
    order = list(range(offers))
    rng.shuffle(order)
    pop = [0.0] * offers
    for r, o in enumerate(order):
        pop[o] = 1.0 / (r + 1) ** popularity
    # classes with presence windows
    n_classes = max(1, math.ceil(students / 25))
    windows = [list(range(rounds))]
    if restrictions and rounds >= 3:
        windows += [list(range(1, rounds)), list(range(rounds - 1)), list(range(2, rounds)),
                    list(range(1, rounds - 1))]
    classes = []
    for k in range(n_classes):
        grade = rng.choice([8, 9, 10])
        present = windows[0] if rng.random() >= window_share else rng.choice(windows[1:] or
                                                                             windows)
        wanted = min(rng.choice([3, 3, 4, 4, 5]), rounds)
        classes.append({"name": f"G{k + 1:03d}-{grade}", "grade": grade, "present": present,
                        "wanted": wanted})

    def open_to(o: int, grade: int) -> bool:
        return "grades" not in offer_list[o] or grade in offer_list[o]["grades"]

    student_list = []
    for i in range(students):
        cl = classes[i * n_classes // students]
        eligible = [o for o in range(offers) if open_to(o, cl["grade"])]
        k = min(len(eligible), rng.choice([4, 5, 6, 6, 7]))
        chosen, pool = _wishes(rng, eligible, pop, k)
        st = {"id": f"Q{i + 1:05d}", "group": cl["name"], "grade": cl["grade"],
              "wanted": cl["wanted"],
              "preferences": {offer_list[o]["id"]: r + 1 for r, o in enumerate(chosen)}}
        if len(cl["present"]) != rounds:
            st["rounds"] = [round_ids[r] for r in cl["present"]]
        if restrictions and pool and rng.random() < 0.02:
            st["excluded"] = [offer_list[rng.choice(pool)]["id"]]
        student_list.append(st)
    # seats: a base per offer, a factor per round, some rounds absent, a few large rooms
    demand_of_round = [0.0] * rounds
    for i in range(students):
        cl = classes[i * n_classes // students]
        t = min(cl["wanted"], len(cl["present"]))
        for r in cl["present"]:
            demand_of_round[r] += t / len(cl["present"])
    raw = {}
    for o in range(offers):
        base = rng.uniform(0.4, 1.6) * (0.5 + pop[o] / max(pop))
        big = round_seats and rng.random() < 0.04
        for r in range(rounds):
            if round_seats and rounds >= 3 and rng.random() < 0.08:
                continue
            f = rng.uniform(0.6, 1.4) if round_seats else 1.0
            raw[(o, r)] = base * f * (rng.uniform(4, 8) if big else 1.0)
    slot_list = []
    caps: dict[tuple[int, int], int] = {}
    for r in range(rounds):
        total = sum(v for (o, rr), v in raw.items() if rr == r)
        scale = seat_ratio * demand_of_round[r] / total if total else 0
        for o in range(offers):
            if (o, r) in raw:
                caps[(o, r)] = max(1, round(raw[(o, r)] * scale))
    if not round_seats:  # the same seats in every round the offer is held
        for o in range(offers):
            held = [caps[(o, r)] for r in range(rounds) if (o, r) in caps]
            for r in range(rounds):
                if (o, r) in caps:
                    caps[(o, r)] = max(1, round(sum(held) / len(held)))
    for (o, r), cap in sorted(caps.items()):
        slot = {"id": f"{offer_list[o]['id']}-{round_ids[r]}", "offer": offer_list[o]["id"],
                "round": round_ids[r], "capacity": cap}
        if restrictions and cap >= 3 and rng.random() < min_size_share:
            slot["min_size"] = rng.randint(max(1, cap // 4), max(1, cap // 2))
        slot_list.append(slot)
    if restrictions:
        for o in range(offers):
            total = sum(caps.get((o, r), 0) for r in range(rounds))
            if total and rng.random() < 0.08:
                offer_list[o]["max_total"] = max(1, round(total * rng.uniform(0.6, 0.9)))
        _add_locks(rng, student_list, offer_list, slot_list, round_ids, lock_share)
    return {
        "format": "allocation-instance/1",
        "name": f"varied career day {students}x{offers}x{rounds} seed {seed}",
        "rounds": round_ids,
        "offers": offer_list,
        "slots": slot_list,
        "students": student_list,
        "rules": _rules(rounds),
    }


def _add_locks(rng: random.Random, students: list[dict], offers: list[dict], slots: list[dict],
               round_ids: list[str], share: float) -> None:
    """Lock about ``share`` of the students to a slot (two in three) or an offer (one in three)
    such that the locks alone keep every hard constraint and min sizes can be reached."""
    offer = {o["id"]: o for o in offers}
    used = {s["id"]: 0 for s in slots}
    used_offer = {o["id"]: 0 for o in offers}
    slots_of: dict[str, list[dict]] = {}
    for s in slots:
        slots_of.setdefault(s["offer"], []).append(s)

    def present(st: dict, rid: str) -> bool:
        return rid in st.get("rounds", round_ids)

    def allowed(st: dict, oid: str) -> bool:
        o = offer[oid]
        return ("grades" not in o or st["grade"] in o["grades"]) and \
            oid not in st.get("excluded", ())

    def reachable(slot: dict) -> bool:  # enough students could ever fill its minimum size
        n = sum(1 for st in students if present(st, slot["round"]) and
                allowed(st, slot["offer"]) and st["wanted"] > 0)
        return n >= 2 * slot.get("min_size", 0)

    for st in students:
        if rng.random() >= share or st["wanted"] < 1:
            continue
        wishes = [oid for oid in st["preferences"] if allowed(st, oid)]
        if rng.random() < 0.25:  # sometimes an offer the student did not rank
            wishes = [rng.choice(offers)["id"]]
        for oid in wishes[:2]:
            o = offer[oid]
            if not allowed(st, oid) or (o.get("max_total") is not None and
                                        used_offer[oid] >= o["max_total"]):
                continue
            options = [s for s in slots_of.get(oid, ()) if present(st, s["round"]) and
                       used[s["id"]] < s["capacity"] and reachable(s)]
            if not options:
                continue
            if rng.random() < 1 / 3 and len(options) == len(
                    [s for s in slots_of[oid] if present(st, s["round"])]):
                st["locked_offers"] = [oid]
                used_offer[oid] += 1
                # count the seat against the roomiest slot, so the locks alone stay feasible
                best = max(options, key=lambda s: s["capacity"] - used[s["id"]])
                used[best["id"]] += 1
            else:
                s = rng.choice(options)
                st["locked_slots"] = [s["id"]]
                used[s["id"]] += 1
                used_offer[oid] += 1
            break
