"""The LNS improvement phase and the min-size top-up keep every hard constraint, never make the
objective worse, and are deterministic."""
import pytest

from scheduler_app.solver import (check, evaluate, generate_career_day, generate_varied_day,
                                  parse_instance, solve)
from scheduler_app.solver.fill import fill_missing, repair, top_up_min_size
from scheduler_app.solver.lns import improve


def _valid(inst, pairs):
    rep = check(inst, {"assignments": [{"student": s, "slot": l} for s, l in pairs],
                       "objective": evaluate(inst, pairs).total, "status": "feasible"})
    return rep.ok


def _start(inst):
    # a poor but valid start: the fill flow alone, from nothing
    return repair(inst, fill_missing(inst, []))


def test_lns_keeps_validity_improves_and_is_deterministic():
    inst = parse_instance(generate_career_day(150, 15, 4, seed=3))
    start = _start(inst)
    assert _valid(inst, start)
    a, _ = improve(inst, start, seed=1, steps=3, step_dtime=0.3, size=40, wall_deadline=1e18)
    b, _ = improve(inst, start, seed=1, steps=3, step_dtime=0.3, size=40, wall_deadline=1e18)
    assert sorted(a) == sorted(b)
    assert _valid(inst, a)
    assert evaluate(inst, a).total < evaluate(inst, start).total


def test_top_up_fills_under_filled_min_size_slots_validly():
    inst = parse_instance(generate_career_day(150, 15, 4, seed=5))
    slot = next(s for s in inst.slots if s.min_size >= 2)
    st = next(s for s in inst.students if s.rounds and slot.round in s.rounds
              and (inst.offers[slot.offer_index].grades is None
                   or s.grade in inst.offers[slot.offer_index].grades))
    pairs = top_up_min_size(inst, [(st.id, slot.id)])
    assert sum(1 for _, l in pairs if l == slot.id) >= slot.min_size
    assert _valid(inst, repair(inst, fill_missing(inst, pairs)))


def _phases(data: dict, limit: float) -> tuple[dict, list[str]]:
    seen: list[str] = []
    res = solve(data, time_limit_s=limit, progress=lambda phase, _frac: seen.append(phase))
    return res, seen


@pytest.mark.slow
def test_the_integer_phase_runs_only_where_the_offer_flow_leaves_a_gap():
    """Mid-size days too large for the whole model: where the offer flow's allocation (after
    the rounds' flows) is within INTEGER_SKIP_GAP of the LP bound, its time goes to LNS; where it
    is far off (students short), the integer phase runs. Either answer is valid."""
    close = generate_varied_day(300, 30, 5, seed=1, seat_ratio=1.05, lock_share=0.05,
                                min_size_share=0.15)
    far = generate_varied_day(300, 30, 5, seed=0, seat_ratio=1.05, lock_share=0.05,
                              min_size_share=0.15)
    for data, integer in ((close, False), (far, True)):
        res, seen = _phases(data, 8)  # the LP (about 1 s) must not be cut by the clock
        assert check(data, res).ok
        assert ("integer" in seen) is integer, seen
        assert "improve" in seen or res["status"] == "optimal"
