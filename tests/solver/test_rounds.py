"""The rounds' min-cost flows (``rounds.improve_by_rounds``): valid, never worse, deterministic,
exact on a single round, and the chains that fill a tight mid-size day's empty wanted slots."""
import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler_app.solver import check, evaluate, metrics, parse_instance
from scheduler_app.solver.columns import Columns, build_units
from scheduler_app.solver.fill import fill_missing, make_valid
from scheduler_app.solver.generator import generate_varied_day
from scheduler_app.solver.network import offer_flow_starts, place_in_rounds
from scheduler_app.solver.rounds import improve_by_rounds

from .reference import reference_solve
from .test_validity import locked_days

NEVER = 1e18  # no deadline


def _valid(inst, pairs) -> bool:
    return check(inst, {"assignments": [{"student": s, "slot": l} for s, l in pairs],
                        "objective": evaluate(inst, pairs).total, "status": "feasible"}).ok


def _flow_start(inst):
    """The allocation the engine builds from the offer flow (before any improvement)."""
    units = build_units(inst)
    bound, seats = next(iter(offer_flow_starts(inst, Columns(inst, units).prev)))
    pairs, left = make_valid(inst, fill_missing(inst, place_in_rounds(inst, seats)))
    assert not left
    return bound, pairs


@settings(max_examples=300, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(locked_days())
def test_valid_in_never_worse_and_valid_out_on_days_with_locks_and_minimum_sizes(data):
    inst = parse_instance(data)
    units = build_units(inst)
    first = next(iter(offer_flow_starts(inst, Columns(inst, units).prev)), None)
    if first is None:  # not even the relaxation seats the locks
        return
    pairs, left = make_valid(inst, fill_missing(inst, place_in_rounds(inst, first[1])))
    if left:  # no valid start to improve (the engine's exact fallback takes over there)
        return
    out, cut = improve_by_rounds(inst, pairs, deadline=NEVER)
    assert not cut
    assert _valid(inst, out), check(inst, {"assignments": [{"student": s, "slot": l}
                                                            for s, l in out]}).lines()
    assert evaluate(inst, out).total <= evaluate(inst, pairs).total
    # every lock still attended where it was
    locked = {(st.id, sid) for st in inst.students for sid in st.locked_slots}
    assert locked <= set(out)
    again, _ = improve_by_rounds(inst, pairs, deadline=NEVER)
    assert again == out


@st.composite
def one_round_days(draw):
    """A single round without minimum sizes or locks: one flow is the whole problem."""
    data = draw(locked_days(max_students=7, max_offers=4, max_rounds=1))
    for s in data["slots"]:
        s.pop("min_size", None)
    for s in data["students"]:
        s.pop("locked_slots", None)
        s.pop("locked_offers", None)
    return data


@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(one_round_days())
def test_on_a_single_round_the_flow_reaches_the_optimum_from_nothing(data):
    inst = parse_instance(data)
    out, _ = improve_by_rounds(inst, [], deadline=NEVER)
    assert _valid(inst, out)
    status, optimum = reference_solve(copy.deepcopy(data))
    assert status == "OPTIMAL"
    assert evaluate(inst, out).total == optimum


def test_chains_fill_every_wanted_slot_on_a_tight_mid_size_day():
    # the benchmark's mid-200-s2: seats 1.05 x demand, 5 % of students locked, 15 % of slots
    # with a minimum size; the allocation placed from the offer flow leaves 11 wanted slots empty
    inst = parse_instance(generate_varied_day(200, 20, 5, seed=2, seat_ratio=1.05,
                                              lock_share=0.05, min_size_share=0.15))
    bound, start = _flow_start(inst)
    assert metrics(inst, start, per_group=False)["missing"] > 0
    out, cut = improve_by_rounds(inst, start, deadline=NEVER)
    assert not cut and _valid(inst, out)
    assert metrics(inst, out, per_group=False)["missing"] == 0
    assert evaluate(inst, out).total <= 1.03 * bound  # 13,983 -> 3,222 against the bound 3,162


def test_a_passed_deadline_returns_the_start_unchanged_and_says_so():
    inst = parse_instance(generate_varied_day(200, 20, 5, seed=2, seat_ratio=1.05,
                                              lock_share=0.05, min_size_share=0.15))
    _, start = _flow_start(inst)
    out, cut = improve_by_rounds(inst, start, deadline=0.0)
    assert cut
    assert sorted(out) == sorted(start)
