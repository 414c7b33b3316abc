"""``check``: re-validate a result against its instance (same constraint definitions as the
solver), recompute the objective and compare it with the reported one."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .constraints import Violation, violations
from .instance import FORMAT_RESULT, Instance, InvalidInstance, Problem, parse_instance
from .objective import evaluate


@dataclass
class CheckReport:
    ok: bool
    violations: list[Violation] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # malformed instance or result
    objective: int | None = None  # recomputed
    reported_objective: Any = None

    def to_dict(self) -> dict:
        return {"ok": self.ok, "objective": self.objective,
                "reported_objective": self.reported_objective,
                "violations": [v.to_dict() for v in self.violations],
                "problems": [p.to_dict() for p in self.problems]}

    def lines(self) -> list[str]:
        out = [f"invalid: [{p.code}] {p.message}" for p in self.problems]
        out += [f"violated constraint {v.constraint}: [{v.code}] {v.message}"
                for v in self.violations]
        return out


def result_pairs(result: Any) -> tuple[list[tuple[str, str]], list[Problem]]:
    """Parse a result's assignments; returns (pairs, problems)."""
    probs: list[Problem] = []
    pairs: list[tuple[str, str]] = []
    if not isinstance(result, dict):
        return [], [Problem("not_an_object", "the result must be a JSON object")]
    if result.get("format", FORMAT_RESULT) != FORMAT_RESULT:
        probs.append(Problem("unsupported_format", f"result 'format' must be '{FORMAT_RESULT}'",
                             ("format",)))
    a = result.get("assignments")
    if not isinstance(a, list):
        probs.append(Problem("missing_key" if a is None else "wrong_type",
                             "result 'assignments' must be a list", ("assignments",)))
        return [], probs
    for i, item in enumerate(a):
        if not (isinstance(item, dict) and isinstance(item.get("student"), str)
                and isinstance(item.get("slot"), str)):
            probs.append(Problem("wrong_type", f"'assignments[{i}]' must be an object with "
                                 "string 'student' and 'slot'", (f"assignments[{i}]",)))
            continue
        pairs.append((item["student"], item["slot"]))
    return pairs, probs


def check(instance_data: Any, result_data: Any) -> CheckReport:
    """Check ``result_data`` (an allocation-result/1 dict) against ``instance_data`` (a dict or a
    parsed :class:`Instance`). ``ok`` is True only for a valid allocation whose reported
    objective equals the recomputed one (and whose bound, if any, does not exceed it)."""
    if isinstance(instance_data, Instance):
        inst = instance_data
    else:
        try:
            inst = parse_instance(instance_data)
        except InvalidInstance as e:
            return CheckReport(False, problems=e.problems)
    pairs, probs = result_pairs(result_data)
    rep = CheckReport(False, problems=probs)
    if probs and not pairs:
        return rep
    status = result_data.get("status")
    if status in ("infeasible", "invalid"):
        rep.problems.append(Problem("no_allocation", f"the result has status '{status}'; there "
                                    "is no allocation to check", ("status",)))
        return rep
    rep.violations = violations(inst, pairs)
    rep.objective = evaluate(inst, pairs).total
    rep.reported_objective = result_data.get("objective")
    if rep.reported_objective != rep.objective or isinstance(rep.reported_objective, bool):
        rep.violations.append(Violation(0, "objective_mismatch", f"reported objective "
                                        f"{rep.reported_objective!r} != recomputed "
                                        f"{rep.objective}", ("objective",)))
    bound = result_data.get("bound")
    if isinstance(bound, (int, float)) and not isinstance(bound, bool):
        if bound > rep.objective:
            rep.violations.append(Violation(0, "bound_above_objective", f"reported bound {bound}"
                                            f" exceeds the objective {rep.objective}",
                                            ("bound",)))
        if status == "optimal" and bound != rep.objective:
            rep.violations.append(Violation(0, "optimal_without_proof", "status 'optimal' but "
                                            f"bound {bound} != objective {rep.objective}",
                                            ("status",)))
    rep.ok = not rep.violations and not rep.problems
    return rep
