"""Property-based: results always pass check, the objective matches, tiny ones are optimal."""
import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler_app.solver import check, evaluate, parse_instance, solve, violations


@st.composite
def instances(draw, max_students=5, max_offers=3, max_rounds=3):
    n_r = draw(st.integers(1, max_rounds))
    rounds = [f"R{i}" for i in range(n_r)]
    n_o = draw(st.integers(1, max_offers))
    offers = []
    for i in range(n_o):
        o = {"id": f"O{i}", "company": f"C{draw(st.integers(0, n_o - 1))}"}
        if draw(st.booleans()):
            o["grades"] = draw(st.lists(st.integers(8, 10), min_size=1, max_size=2, unique=True))
        if draw(st.integers(0, 4)) == 0:
            o["max_total"] = draw(st.integers(0, 4))
        offers.append(o)
    slots = []
    for o in offers:
        for r in rounds:
            if draw(st.integers(0, 3)) > 0:
                cap = draw(st.integers(0, 3))
                s = {"id": f"{o['id']}-{r}", "offer": o["id"], "round": r, "capacity": cap}
                if cap and draw(st.integers(0, 3)) == 0:
                    s["min_size"] = draw(st.integers(1, cap))
                slots.append(s)
    students = []
    for i in range(draw(st.integers(1, max_students))):
        s = {"id": f"P{i}", "grade": draw(st.integers(8, 10)),
             "rounds": draw(st.lists(st.sampled_from(rounds), min_size=0, max_size=n_r,
                                     unique=True)),
             "preferences": {o["id"]: draw(st.integers(1, 4)) for o in offers
                             if draw(st.booleans())}}
        if draw(st.integers(0, 3)) == 0:
            s["excluded"] = [draw(st.sampled_from(offers))["id"]]
        if draw(st.integers(0, 2)) == 0:
            s["wanted"] = draw(st.integers(0, 3))
        students.append(s)
    unranked = draw(st.sampled_from([None, 4, 8]))
    rules = {"slots_per_student": draw(st.integers(1, 3)),
             "rank_costs": [0, 1, 3], "unranked_cost": unranked, "missing_cost": 10,
             "distinct_companies": draw(st.booleans())}
    if slots and students and draw(st.booleans()):
        rules["previous"] = [{"student": students[0]["id"], "slot": slots[0]["id"]},
                             {"student": "gone", "slot": slots[-1]["id"]}]
        rules["change_cost"] = 2
    return {"rounds": rounds, "offers": offers, "slots": slots, "students": students,
            "rules": rules}


def brute_force(data) -> int:
    inst = parse_instance(data)
    options = []
    for stu in inst.students:
        opts = [None] + [sl.id for sl in inst.slots]
        options.append([(stu.id, sl) for sl in opts])
    best = None
    # each student: a subset of slots -> enumerate subsets of size <= target
    per_student = []
    for stu in inst.students:
        subsets = []
        ids = [sl.id for sl in inst.slots]
        for k in range(inst.target(stu) + 1):
            subsets.extend(itertools.combinations(ids, k))
        per_student.append([[(stu.id, x) for x in sub] for sub in subsets])
    for combo in itertools.product(*per_student):
        pairs = [p for part in combo for p in part]
        if violations(inst, pairs):
            continue
        v = evaluate(inst, pairs).total
        best = v if best is None or v < best else best
    return best


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_result_always_passes_check_and_objective_matches(data):
    res = solve(data, time_limit_s=5)
    assert res["status"] in ("optimal", "feasible")
    rep = check(data, res)
    assert rep.ok, rep.lines()
    assert rep.objective == res["objective"]
    assert res["bound"] is None or res["bound"] <= res["objective"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_students=3, max_offers=2, max_rounds=2))
def test_tiny_instances_reach_the_brute_force_optimum(data):
    res = solve(data, time_limit_s=5)
    assert res["status"] == "optimal"
    assert res["objective"] == brute_force(data)
