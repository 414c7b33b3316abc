"""Property-based: on tiny days the engine reaches the optimum found by enumerating every
allocation (and says infeasible exactly when there is none)."""
import itertools

from hypothesis import HealthCheck, given, settings

from scheduler_app.solver import evaluate, parse_instance, solve, violations

from .test_validity import locked_days


def brute_force(data) -> int | None:
    inst = parse_instance(data)
    per_student = []
    ids = [sl.id for sl in inst.slots]
    for stu in inst.students:
        subsets = []
        for k in range(inst.target(stu) + 1):
            subsets.extend(itertools.combinations(ids, k))
        per_student.append([[(stu.id, x) for x in sub] for sub in subsets])
    best = None
    for combo in itertools.product(*per_student):
        pairs = [p for part in combo for p in part]
        if violations(inst, pairs):
            continue
        v = evaluate(inst, pairs).total
        best = v if best is None or v < best else best
    return best


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(locked_days(max_students=3, max_offers=2, max_rounds=2))
def test_tiny_instances_reach_the_brute_force_optimum(data):
    res = solve(data, time_limit_s=5)
    best = brute_force(data)
    if best is None:
        assert res["status"] == "infeasible"
    else:
        assert res["status"] == "optimal"
        assert res["objective"] == best
