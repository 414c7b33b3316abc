"""explain gives the right reason codes on hand-made cases; re-solve stays close."""
from scheduler_app.solver import check, explain, generate_career_day, solve

from .conftest import result


def _inst():
    return {
        "rounds": ["R1", "R2"],
        "offers": [{"id": "A", "company": "CA"}, {"id": "G", "grades": [10]},
                   {"id": "X"}, {"id": "M"}, {"id": "E"}, {"id": "L"}],
        "slots": [
            {"id": "A1", "offer": "A", "round": "R1", "capacity": 1},
            {"id": "A2", "offer": "A", "round": "R2", "capacity": 1},
            {"id": "G1", "offer": "G", "round": "R1", "capacity": 5},
            {"id": "X1", "offer": "X", "round": "R1", "capacity": 5},
            {"id": "M2", "offer": "M", "round": "R2", "capacity": 5, "min_size": 3},
            {"id": "E1", "offer": "E", "round": "R1", "capacity": 5},
            {"id": "L2", "offer": "L", "round": "R2", "capacity": 5},
        ],
        "students": [
            {"id": "S", "grade": 9, "preferences": {"A": 1, "G": 2, "X": 3, "M": 4, "L": 6,
                                                   "E": 7},
             "excluded": ["X"], "locked_slots": ["L2"]},
            {"id": "T1", "grade": 9, "preferences": {"A": 1}},
            {"id": "T2", "grade": 9, "preferences": {"A": 1}},
            {"id": "Late", "grade": 9, "rounds": ["R2"], "preferences": {"E": 1, "L": 2}},
        ],
        "rules": {"slots_per_student": 2, "rank_costs": [0, 1, 2, 3, 4, 5, 6],
                  "unranked_cost": 9, "missing_cost": 100},
    }


def test_explain_reports_full_grade_excluded_min_size_and_lock():
    data = _inst()
    res = result([("S", "L2"), ("S", "E1"), ("T1", "A1"), ("T2", "A2"), ("Late", "L2")])
    reasons = explain(data, res, "S")
    by_offer = {}
    for r in reasons:
        by_offer.setdefault(r.offer, set()).add(r.code)
    assert by_offer["A"] == {"full_in_every_round"}
    assert by_offer["G"] == {"grade_not_allowed"}
    assert by_offer["X"] == {"excluded"}
    assert by_offer["M"] == {"locked"}
    full = next(r for r in reasons if r.offer == "A")
    assert set(full.slots) == {"A1", "A2"} and full.numbers["rank"] == 1
    assert all(r.message for r in reasons)


def test_explain_reports_min_size_and_absence():
    data = _inst()
    data["students"][0]["locked_slots"] = []
    res = result([("S", "E1"), ("T1", "A1"), ("T2", "A2"), ("Late", "L2")])
    codes = {(r.offer, r.code) for r in explain(data, res, "S")}
    assert ("M", "min_size_not_reached") in codes
    assert ("", "missing_slots") not in codes
    assert any(c == "missing_slots" for _, c in codes)
    late = {(r.offer, r.code) for r in explain(data, res, "Late")}
    assert ("E", "not_present") in late


def test_explain_says_best_wishes_when_nothing_better():
    data = _inst()
    data["students"][1]["wanted"] = 1
    res = result([("T1", "A1")])
    assert [r.code for r in explain(data, res, "T1")] == ["got_best_wishes"]


def test_resolve_after_withdrawal_changes_at_most_twice_the_forced():
    data = generate_career_day(150, 12, 4, seed=2)
    first = solve(data, time_limit_s=10)
    assert first["status"] in ("optimal", "feasible")
    prev = [(a["student"], a["slot"]) for a in first["assignments"]]
    # the most attended offer withdraws from two rounds
    count = {}
    for _, l in prev:
        off = next(s["offer"] for s in data["slots"] if s["id"] == l)
        count[off] = count.get(off, 0) + 1
    offer = max(sorted(count), key=lambda o: count[o])
    gone = [s["id"] for s in data["slots"] if s["offer"] == offer][:2]
    data["slots"] = [s for s in data["slots"] if s["id"] not in gone]
    data["rules"]["previous"] = [{"student": s, "slot": l} for s, l in prev]
    data["rules"]["change_cost"] = 40
    forced = sum(1 for _, l in prev if l in gone)
    assert forced > 0
    second = solve(data, time_limit_s=10)
    assert check(data, second).ok
    kept = {(a["student"], a["slot"]) for a in second["assignments"]}
    changed = sum(1 for p in prev if p not in kept)
    assert changed <= 2 * forced, (changed, forced)


def test_metrics_report_ranks_missing_first_wish_and_per_group():
    from scheduler_app.solver import metrics, parse_instance

    data = _inst()
    data["students"][1]["group"] = "9a"
    data["students"][2]["group"] = "9a"
    inst = parse_instance(data)
    m = metrics(inst, [("T1", "A1"), ("T2", "A2"), ("S", "L2")])
    assert m["rank_histogram"] == {"1": 2, "6": 1}
    assert m["missing"] == 4  # S, T1, T2 one short each; Late (present once) got nothing
    assert m["students_fully_served"] == 0
    assert m["per_group"]["9a"]["first_wish_share"] == 1.0
    assert m["per_group"]["9a"]["students"] == 2


def test_every_code_explain_emits_is_an_exported_reason_code():
    from scheduler_app.solver import REASON_CODES, generate_varied_day

    data = _inst()
    emitted = set()
    res = result([("S", "L2"), ("S", "E1"), ("T1", "A1"), ("T2", "A2"), ("Late", "L2")])
    for student in ("S", "T1", "T2", "Late"):
        emitted |= {r.code for r in explain(data, res, student)}
    varied = generate_varied_day(60, 8, 4, seed=3)
    answer = solve(varied, time_limit_s=5, seed=0)
    for student in varied["students"]:
        emitted |= {r.code for r in explain(varied, answer, student["id"])}
    assert emitted <= set(REASON_CODES)
    assert {"full_in_every_round", "grade_not_allowed", "excluded", "locked", "missing_slots"} <= emitted


def test_every_phase_solve_reports_is_an_exported_phase():
    from scheduler_app.solver import PHASES, generate_varied_day

    seen = []
    solve(generate_varied_day(60, 8, 4, seed=3), time_limit_s=5, seed=0,
          progress=lambda phase, fraction: seen.append(phase))
    solve(generate_career_day(40, 6, 3, seed=1, uniform=True), time_limit_s=5, seed=0,
          progress=lambda phase, fraction: seen.append(phase))
    assert seen and set(seen) <= set(PHASES)
    assert seen[-1] == "done"
