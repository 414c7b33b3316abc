"""Never an invalid answer: thousands of small random days with locks, minimum sizes, tight and zero
capacities, presence windows, grade limits, exclusions, max_total, distinct companies and previous
pairs naming vanished ids. Every optimal/feasible answer passes ``check``; every infeasible answer
and every optimum agrees with a plain CP-SAT model written from the spec (``reference.py``).

``SOLVER_PROPERTY_EXAMPLES=20000 pytest tests/solver/test_validity.py`` runs a larger sample.
"""
import os
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler_app.solver import check, engine, solve

from .reference import reference_solve

EXAMPLES = int(os.environ.get("SOLVER_PROPERTY_EXAMPLES", "1500"))
# the engine's strategies by size, forced on small days by moving the switch sizes
PATHS = {
    "whole model": {"WHOLE_MODEL_MAX_PAIRS": 10 ** 9},
    "LP decomposition": {"WHOLE_MODEL_MAX_PAIRS": 0},
    "LP decomposition, CP-SAT only": {"WHOLE_MODEL_MAX_PAIRS": 0, "RENS_SHARE": 0},
    "offer flow, then pooled LP": {"WHOLE_MODEL_MAX_PAIRS": 0, "ENUMERATE_LIMIT": 0},
    "offer flow only": {"WHOLE_MODEL_MAX_PAIRS": 0, "ENUMERATE_LIMIT": 0, "LP_SHARE": 0},
    "offer flow only, CP-SAT LNS": {"WHOLE_MODEL_MAX_PAIRS": 0, "ENUMERATE_LIMIT": 0,
                                    "LP_SHARE": 0, "MIP_LNS_SHARE": 0},
}


@st.composite
def locked_days(draw, max_students=6, max_offers=4, max_rounds=3):
    n_r = draw(st.integers(1, max_rounds))
    rounds = [f"R{i}" for i in range(n_r)]
    n_o = draw(st.integers(1, max_offers))
    offers = []
    for i in range(n_o):
        o = {"id": f"O{i}"}
        if draw(st.integers(0, 4)):
            o["company"] = f"C{draw(st.integers(0, max(0, n_o - 2)))}"
        if draw(st.integers(0, 3)) == 0:
            o["grades"] = draw(st.lists(st.integers(8, 10), min_size=1, max_size=2, unique=True))
        if draw(st.integers(0, 4)) == 0:
            o["max_total"] = draw(st.integers(0, 4))
        offers.append(o)
    slots = []
    for o in offers:
        for r in rounds:
            if draw(st.integers(0, 4)):
                cap = draw(st.sampled_from([0, 1, 1, 2, 2, 3, 4]))
                s = {"id": f"{o['id']}-{r}", "offer": o["id"], "round": r, "capacity": cap}
                if cap >= 2 and draw(st.integers(0, 2)) == 0:
                    s["min_size"] = draw(st.integers(2, cap))
                slots.append(s)
    slot_ids = [s["id"] for s in slots]
    students = []
    for i in range(draw(st.integers(1, max_students))):
        s = {"id": f"P{i}", "preferences": {o["id"]: draw(st.integers(1, 4)) for o in offers
                                            if draw(st.booleans())}}
        if draw(st.integers(0, 5)):
            s["grade"] = draw(st.integers(8, 10))
        if draw(st.integers(0, 2)) == 0:  # a presence window
            a = draw(st.integers(0, n_r - 1))
            s["rounds"] = rounds[a:draw(st.integers(a, n_r))]
        if draw(st.integers(0, 4)) == 0:
            s["excluded"] = [draw(st.sampled_from(offers))["id"]]
        if draw(st.integers(0, 3)) == 0:
            s["wanted"] = draw(st.integers(0, 3))
        if slot_ids and draw(st.integers(0, 4)) == 0:  # mostly a slot the student may take
            here = [x["id"] for x in slots if x["capacity"] and
                    x["round"] in s.get("rounds", rounds)]
            s["locked_slots"] = [draw(st.sampled_from(here if here and draw(st.integers(0, 4))
                                                      else slot_ids))]
        if draw(st.integers(0, 6)) == 0:
            s["locked_offers"] = [draw(st.sampled_from(offers))["id"]]
        students.append(s)
    rules = {"slots_per_student": draw(st.integers(1, 3)), "rank_costs": [0, 1, 3, 6],
             "unranked_cost": draw(st.sampled_from([None, 5, 12])), "missing_cost": 20,
             "distinct_companies": draw(st.booleans())}
    if slot_ids and draw(st.booleans()):
        rules["previous"] = [{"student": draw(st.sampled_from(students))["id"],
                              "slot": draw(st.sampled_from(slot_ids))},
                             {"student": "vanished", "slot": slot_ids[0]},
                             {"student": students[0]["id"], "slot": "vanished-slot"}]
        rules["change_cost"] = draw(st.integers(1, 8))
    return {"rounds": rounds, "offers": offers, "slots": slots, "students": students,
            "rules": rules}


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(locked_days(), st.sampled_from(sorted(PATHS)))
def test_every_answer_is_valid_and_every_verdict_agrees_with_the_spec_model(data, path):
    with mock.patch.multiple(engine, **PATHS[path]):
        res = solve(data, time_limit_s=10)
    ref_status, ref_opt = reference_solve(data)
    assert ref_status in ("OPTIMAL", "INFEASIBLE")
    if res["status"] == "infeasible":
        assert ref_status == "INFEASIBLE", res["problems"]
        assert res["problems"] and res["assignments"] == []
        assert all(p["code"] != "no_allocation_found" for p in res["problems"])
        return
    assert res["status"] in ("optimal", "feasible")
    rep = check(data, res)
    assert rep.ok, rep.lines()
    assert ref_status == "OPTIMAL" and res["objective"] >= ref_opt
    assert res["bound"] is None or res["bound"] <= ref_opt
    if res["status"] == "optimal":
        assert res["objective"] == ref_opt
