"""One test per hard constraint: a valid hand-made allocation passes, a violation is named."""
from scheduler_app.solver import VIOLATION_CODES, check, evaluate, parse_instance, violations, violations_of_change

from .conftest import result

VALID = [("P1", "S1"), ("P1", "S4"), ("P2", "S2"), ("P3", "S4")]


def _check(inst, pairs):
    obj = evaluate(parse_instance(inst), pairs).total
    return check(inst, result(pairs, obj))


def _codes(rep):
    """(constraint, code) of every violation; each constraint's code is one the engine exports
    (the web app words each of VIOLATION_CODES; constraint 0 is check's own report on the result)."""
    assert all(v.code in VIOLATION_CODES for v in rep.violations if v.constraint), rep.lines()
    return {(v.constraint, v.code) for v in rep.violations}


def test_valid_hand_made_allocation_passes(inst):
    rep = _check(inst, VALID)
    assert rep.ok, rep.lines()


def test_attending_in_absent_round_is_reported(inst):
    rep = _check(inst, [("P3", "S3")])
    assert (1, "absent_in_round") in _codes(rep)


def test_two_slots_in_one_round_are_reported(inst):
    rep = _check(inst, [("P1", "S1"), ("P1", "S3")])
    assert (1, "two_slots_in_round") in _codes(rep)
    assert any(v.ids == ("P1", "R1") for v in rep.violations)


def test_more_than_target_slots_is_reported(inst):
    inst["students"][0]["wanted"] = 1
    rep = _check(inst, [("P1", "S1"), ("P1", "S4")])
    assert (2, "too_many_slots") in _codes(rep)
    (too_many,) = [v for v in rep.violations if v.code == "too_many_slots"]
    assert too_many.numbers == {"assigned": 2, "limit": 1}


def test_same_offer_twice_is_reported(inst):
    rep = _check(inst, [("P1", "S1"), ("P1", "S2")])
    assert (3, "same_offer_twice") in _codes(rep)


def test_same_company_twice_is_reported_under_distinct_companies(inst):
    inst["rules"]["distinct_companies"] = True
    inst["slots"][2]["min_size"] = 0
    rep = _check(inst, [("P1", "S3"), ("P1", "S2")])
    assert (3, "same_company_twice") in _codes(rep)
    inst["rules"]["distinct_companies"] = False
    assert _check(inst, [("P1", "S3"), ("P1", "S2")]).ok


def test_slot_over_capacity_is_reported(inst):
    inst["students"][2]["grade"] = 9
    inst["students"][2]["rounds"] = ["R1", "R2"]
    rep = _check(inst, [("P1", "S1"), ("P2", "S1"), ("P3", "S1")])
    assert (4, "slot_over_capacity") in _codes(rep)
    (over,) = [v for v in rep.violations if v.ids == ("S1",)]
    assert over.numbers == {"assigned": 3, "limit": 2}  # what an application words the violation with


def test_slot_below_min_size_is_reported(inst):
    rep = _check(inst, [("P1", "S3")])
    assert (4, "slot_below_min_size") in _codes(rep)
    (below,) = [v for v in rep.violations if v.code == "slot_below_min_size"]
    assert below.numbers == {"assigned": 1, "limit": 2}


def test_offer_over_max_total_is_reported(inst):
    inst["offers"][0]["max_total"] = 1
    rep = _check(inst, [("P1", "S1"), ("P2", "S2")])
    assert (5, "offer_over_max_total") in _codes(rep)


def test_grade_not_allowed_is_reported(inst):
    rep = _check(inst, [("P3", "S2")])
    assert (6, "grade_not_allowed") in _codes(rep)


def test_excluded_offer_is_reported(inst):
    rep = _check(inst, [("P2", "S3"), ("P1", "S3")])
    assert (6, "offer_excluded") in _codes(rep)


def test_unranked_offer_with_null_cost_is_reported(inst):
    inst["rules"]["unranked_cost"] = None
    rep = _check(inst, [("P1", "S4")])
    assert (6, "unranked_not_allowed") in _codes(rep)


def test_unattended_locks_are_reported(inst):
    inst["students"][0]["locked_slots"] = ["S4"]
    inst["students"][1]["locked_offers"] = ["O3"]
    rep = _check(inst, [("P1", "S1")])
    assert (7, "locked_slot_not_attended") in _codes(rep)
    assert (7, "locked_offer_not_attended") in _codes(rep)


def test_a_pair_naming_an_unknown_id_is_reported_with_an_exported_code(inst):
    (unknown,) = violations(parse_instance(inst), [("P1", "GONE")])
    assert (unknown.code, unknown.ids) == ("unknown_id", ("GONE",)) and unknown.code in VIOLATION_CODES


def test_wrong_objective_is_reported(inst):
    rep = check(inst, result(VALID, 12345))
    assert not rep.ok
    assert any(v.code == "objective_mismatch" for v in rep.violations)


def test_objective_counts_ranks_missing_and_changes(inst):
    inst["rules"]["previous"] = [{"student": "P1", "slot": "S1"},
                                 {"student": "P9", "slot": "S1"},
                                 {"student": "P2", "slot": "GONE"}]
    inst["rules"]["change_cost"] = 7
    b = evaluate(parse_instance(inst), VALID)
    # P1: O1 rank1 0 + O3 unranked 5; P2: O1 0; P3: O3 rank1 0 -> 5
    # missing: P2 has 1 of 2, P3 1 of 1 -> 1; changes: two pairs cannot be kept
    assert (b.assignment_cost, b.missing, b.changes) == (5, 1, 2)
    assert b.total == 5 + 100 + 14


def test_violations_of_a_change_are_those_the_whole_allocation_gains(inst):
    """The local evaluation (only the pairs a change can affect) agrees with comparing the whole
    allocation's violations before and after, for every single move on a small day."""
    inst["offers"][0]["max_total"] = 2
    parsed = parse_instance(inst)
    pairs = [("P1", "S1"), ("P2", "S1"), ("P2", "S4"), ("P3", "S4")]
    keys = lambda found: sorted((v.code, v.ids) for v in found)  # noqa: E731
    compared = 0
    for student in parsed.students:
        for slot in parsed.slots:
            for removed in [[], *[[p] for p in pairs if p[0] == student.id]]:
                after = [p for p in pairs if p not in removed] + [(student.id, slot.id)]
                before = set(keys(violations(parsed, pairs)))
                expected = [k for k in keys(violations(parsed, after)) if k not in before]
                assert keys(violations_of_change(parsed, pairs, removed, [(student.id, slot.id)])) == expected
                compared += bool(expected)
    assert compared > 10  # the day is small enough that many moves break a rule
