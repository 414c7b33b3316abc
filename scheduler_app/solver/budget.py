"""The time limit of one solve, shared out between the phases.

Every phase asks for a share of the time that is *left* (minus a reserve for what must still
follow: checking the answer, repairing it, and an exact fallback), so a slow phase shrinks the later
ones instead of pushing the answer past the limit.

Determinism: CP-SAT is limited by *deterministic* time computed from the time limit alone (never
from the clock), so the same instance and seed give the same answer. The wall clock is a hard cap on
top; when a cap cuts a phase short, :attr:`Budget.stopped_early` is set and the result says so
(``metrics.stopped_early``): the answer is still valid, but may differ from run to run.
"""
from __future__ import annotations

import time

#: wall seconds per CP-SAT deterministic second assumed when converting a share of the limit into
#: deterministic time: one strategy in one thread did 1 deterministic second in 0.66-1.9 wall
#: seconds on the shared 2-core machine, depending on its load; larger = fewer runs cut by the
#: clock, smaller = more search per second of limit
WALL_PER_DTIME = 1.0
#: deterministic seconds per wall second of an interleaved portfolio relative to one strategy
#: (4 strategies on 2 cores: 7.0 deterministic seconds in 3.9 wall seconds)
PORTFOLIO_SPEED = 1.8
#: seconds per column to build the LP and the CP-SAT model in Python (measured: about 30 and
#: 36-51 microseconds with the machine's load average at 6); a phase starts only if the time
#: left covers BUILD_MARGIN times its building time
LP_BUILD_S, SAT_BUILD_S, BUILD_MARGIN = 3e-5, 4.5e-5, 1.3
#: the answer may arrive this much after the limit (the spec's "limit + 10 %") when an exact
#: fallback is needed to make it valid
FALLBACK_SLACK = 0.10


class Budget:
    def __init__(self, limit_s: float, t0: float | None = None):
        self.t0 = time.perf_counter() if t0 is None else t0
        self.limit = max(0.0, float(limit_s))
        self.deadline = self.t0 + self.limit
        self.hard_deadline = self.deadline + FALLBACK_SLACK * self.limit
        self.stopped_early = False

    def now(self) -> float:
        return time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def left(self, hard: bool = False) -> float:
        end = self.hard_deadline if hard else self.deadline
        return max(0.0, end - time.perf_counter())

    def share(self, fraction: float, reserve: float = 0.0) -> float:
        """Wall seconds for a phase: ``fraction`` of what is left after ``reserve``."""
        return max(0.0, (self.left() - reserve) * fraction)

    def until(self, fraction: float, reserve: float = 0.0) -> float:
        """The clock time by which a phase that starts now must end (see :meth:`share`); a phase
        checks it right before its solver runs, so building the model counts too."""
        return time.perf_counter() + self.share(fraction, reserve)

    @staticmethod
    def seconds_to(until: float) -> float:
        return until - time.perf_counter()

    def dtime(self, fraction_of_limit: float, portfolio: int = 1) -> float:
        """Deterministic CP-SAT time for a phase planned to take ``fraction_of_limit`` of the
        limit: depends on the limit alone, so it is the same in every run."""
        speed = PORTFOLIO_SPEED if portfolio > 1 else 1.0
        return max(0.05, fraction_of_limit * self.limit * speed / WALL_PER_DTIME)

    def sat(self, solver, seed: int, dtime: float, until: float, portfolio: int = 1) -> None:
        """Seeded, limited by ``dtime`` deterministic seconds and, as a cap, by the clock time
        ``until``. ``portfolio`` > 1 interleaves that many search strategies (LNS among them)
        in CP-SAT's deterministic schedule (``interleave_search``: the same answer whatever the
        number of threads); 1 is a single strategy in one thread."""
        p = solver.parameters
        p.random_seed = seed
        p.num_workers = portfolio
        p.interleave_search = portfolio > 1
        if portfolio > 1:
            # tasks per synchronised batch: the deterministic limit is checked between batches,
            # so the default (3 x workers) overshot a 0.5 s budget to 2.8 s
            p.interleave_batch_size = portfolio
        # this presolve step alone spent 1 deterministic second (of a 3 s budget) on a 14,000-
        # column whole model and left no time to search it (mid-200-s2: "stopped after presolve")
        p.find_big_linear_overlap = False
        p.max_deterministic_time = max(0.01, dtime)
        p.max_time_in_seconds = max(0.01, until - time.perf_counter())
        p.log_search_progress = False

    def note_cut(self, solver, status, dtime: float) -> None:
        """Record whether CP-SAT stopped on the wall clock before its deterministic limit."""
        from ortools.sat.python import cp_model

        if status in (cp_model.FEASIBLE, cp_model.UNKNOWN) and \
                solver.deterministic_time < 0.98 * dtime:
            self.stopped_early = True
