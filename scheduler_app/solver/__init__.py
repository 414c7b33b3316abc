"""Allocation engine for career-orientation days (pure Python + OR-Tools, no Flask/SQLAlchemy).

Contract: ``/work/shared/spec/allocation-format.md`` (allocation-instance/1 and
allocation-result/1). Stable Python API for the web app:

``parse_instance(data: dict) -> Instance``
    Validate an instance dict; raises :class:`InvalidInstance` whose ``problems`` is a list of
    :class:`Problem` (``code``, ``message``, ``ids``).
``solve(data_or_instance, *, time_limit_s=None, seed=None, progress=None) -> dict``
    Returns an allocation-result/1 dict (status ``optimal``/``feasible``/``infeasible``/
    ``invalid``); prints nothing; deterministic for the same instance and seed (unless
    ``metrics.stopped_early``). Every ``optimal``/``feasible`` answer has passed :func:`check`.
    ``progress``, if given, is called now and then with ``(phase: str, fraction: float)``; the
    phases are :data:`PHASES`.
``check(instance_data, result_data) -> CheckReport``
    ``ok``, ``violations`` (each with constraint number, code, message, ids, numbers; every code
    of :func:`violations` is in :data:`VIOLATION_CODES`), ``problems``,
    ``objective`` (recomputed), ``reported_objective``.
``violations(instance, pairs) -> list[Violation]``, ``violations_of_change(instance, pairs, remove, add)``
    The hard constraints broken by an allocation given as (student id, slot id) pairs; those a change
    (pairs removed and added, e.g. a manual move) would newly break.
``explain(instance_data, result_data, student_id) -> list[Reason]``
    Why a student did not get a better wish; every code is in :data:`REASON_CODES` (meanings in
    :mod:`scheduler_app.solver.explain`).
``metrics(instance, pairs, per_group=True) -> dict``
    Rank histogram, missing slots, students fully served, first-wish share, and per group.
``generate_career_day(students, offers, rounds, seed=0, uniform=False) -> dict``
    A realistic, seeded, deterministic instance dict.
``generate_varied_day(students, offers, rounds, seed=0, **knobs) -> dict``
    The same with seats per round, presence windows, grade limits, minimum sizes, exclusions and
    locks (see :mod:`scheduler_app.solver.generator`).
``solve_isolated(instance, time_limit_s=None, seed=None, progress=None) -> dict``
    :func:`solve` in a child process; raises :class:`SolverCrashed` if the child dies
    (:mod:`scheduler_app.solver.isolated`).

Command line: ``python -m scheduler_app.solver solve INSTANCE.json [-o RESULT.json]
[--time-limit S] [--seed N]``, ``check INSTANCE.json RESULT.json``,
``explain INSTANCE.json RESULT.json STUDENT_ID``.

The hard constraints are defined once in :mod:`scheduler_app.solver.constraints` and used both
to build the LP/CP-SAT models and to report violations. Weights live in :class:`CostWeights`.
"""
from .check import CheckReport, check
from .constraints import HARD_CONSTRAINTS, VIOLATION_CODES, Violation, violations, violations_of_change
from .engine import PHASES, solve
from .explain import REASON_CODES, Reason, explain
from .generator import generate_career_day, generate_varied_day
from .isolated import SolverCrashed, solve_isolated
from .instance import CostWeights, Instance, InvalidInstance, Problem, parse_instance
from .objective import evaluate, metrics

__all__ = [
    "CheckReport", "CostWeights", "HARD_CONSTRAINTS", "Instance", "InvalidInstance", "PHASES", "Problem",
    "REASON_CODES", "Reason", "SolverCrashed", "VIOLATION_CODES", "Violation", "check", "evaluate", "explain", "generate_career_day",
    "generate_varied_day", "metrics", "parse_instance", "solve", "solve_isolated", "violations",
    "violations_of_change",
]
