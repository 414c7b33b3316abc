"""Each kind of invalid input gives status invalid naming the offending id or key."""
import pytest

from scheduler_app.solver import InvalidInstance, parse_instance, solve


def _invalid(data):
    res = solve(data)
    assert res["status"] == "invalid"
    assert res["assignments"] == []
    return res["problems"]


def _named(problems, code, ident):
    return any(p["code"] == code and ident in p["ids"] for p in problems)


def test_missing_required_key_is_invalid(inst):
    del inst["rules"]["missing_cost"]
    assert _named(_invalid(inst), "missing_key", "rules.missing_cost")
    del inst["slots"][0]["capacity"]
    assert _named(_invalid(inst), "missing_key", "S1")


def test_wrong_type_is_invalid(inst):
    inst["slots"][1]["capacity"] = "20"
    assert _named(_invalid(inst), "wrong_type", "S2")
    inst["slots"][1]["capacity"] = 2.5
    assert _named(_invalid(inst), "wrong_type", "S2")
    inst["slots"][1]["capacity"] = True
    assert _named(_invalid(inst), "wrong_type", "S2")


def test_dangling_ids_are_invalid(inst):
    inst["slots"][0]["offer"] = "NOPE"
    inst["students"][0]["preferences"]["GHOST"] = 3
    inst["students"][1]["locked_slots"] = ["S99"]
    inst["students"][2]["rounds"] = ["R7"]
    probs = _invalid(inst)
    assert _named(probs, "unknown_offer", "NOPE")
    assert _named(probs, "unknown_offer", "GHOST") and _named(probs, "unknown_offer", "P1")
    assert _named(probs, "unknown_slot", "S99")
    assert _named(probs, "unknown_round", "R7")


def test_duplicate_ids_are_invalid(inst):
    inst["students"].append(dict(inst["students"][0]))
    inst["offers"].append({"id": "O2"})
    probs = _invalid(inst)
    assert _named(probs, "duplicate_id", "P1")
    assert _named(probs, "duplicate_id", "O2")


def test_min_size_above_capacity_is_invalid(inst):
    inst["slots"][2]["min_size"] = 5
    assert _named(_invalid(inst), "min_size_exceeds_capacity", "S3")


def test_negative_numbers_are_invalid(inst):
    inst["slots"][0]["capacity"] = -1
    inst["rules"]["rank_costs"] = [0, -1]
    inst["students"][0]["wanted"] = -2
    probs = _invalid(inst)
    assert _named(probs, "negative_number", "S1")
    assert _named(probs, "negative_number", "rules.rank_costs")
    assert _named(probs, "negative_number", "P1")


def test_rank_below_one_is_invalid(inst):
    inst["students"][0]["preferences"]["O1"] = 0
    assert _named(_invalid(inst), "rank_not_positive", "P1")


def test_not_an_object_and_wrong_format_are_invalid(inst):
    assert _invalid([1, 2])[0]["code"] == "not_an_object"
    inst["format"] = "allocation-instance/9"
    assert _named(_invalid(inst), "unsupported_format", "format")


def test_unknown_keys_are_ignored_and_previous_may_dangle(inst):
    inst["colour"] = "blue"
    inst["students"][0]["shoe_size"] = 44
    inst["rules"]["previous"] = [{"student": "GONE", "slot": "ALSO_GONE"}]
    inst["rules"]["change_cost"] = 3
    res = solve(inst)
    assert res["status"] == "optimal"


def test_parse_instance_raises_with_all_problems(inst):
    inst["slots"][0]["capacity"] = -1
    inst["slots"][1]["round"] = "RX"
    with pytest.raises(InvalidInstance) as e:
        parse_instance(inst)
    assert {p.code for p in e.value.problems} == {"negative_number", "unknown_round"}
