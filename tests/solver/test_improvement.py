"""The LNS improvement phase and the min-size top-up keep every hard constraint, never make the
objective worse, and are deterministic."""
from scheduler_app.solver import check, evaluate, generate_career_day, parse_instance
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
