"""One test per hard constraint: a valid hand-made allocation passes, a violation is named."""
from scheduler_app.solver import check, evaluate, parse_instance

from .conftest import result

VALID = [("P1", "S1"), ("P1", "S4"), ("P2", "S2"), ("P3", "S4")]


def _check(inst, pairs):
    obj = evaluate(parse_instance(inst), pairs).total
    return check(inst, result(pairs, obj))


def _codes(rep):
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
    assert any(v.ids == ("S1",) for v in rep.violations)


def test_slot_below_min_size_is_reported(inst):
    rep = _check(inst, [("P1", "S3")])
    assert (4, "slot_below_min_size") in _codes(rep)


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
