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
        weights = [popularity[o] for o in eligible]
        chosen: list[int] = []
        pool, w = list(eligible), list(weights)
        for _ in range(k):
            j = rng.choices(range(len(pool)), weights=w)[0]
            chosen.append(pool.pop(j))
            w.pop(j)
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
    for o in range(offers):
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
        "rules": {"slots_per_student": min(4, rounds), "rank_costs": [0, 1, 3, 6, 10, 15],
                  "unranked_cost": 20, "missing_cost": 1000, "distinct_companies": False},
    }
