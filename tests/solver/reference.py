"""The reference for the engine's answers: a plain CP-SAT model written from the format spec
alone (:func:`scheduler_app.solver.baselines.spec_cpsat`, which shares nothing with the engine but
the parser)."""
from scheduler_app.solver.baselines import spec_cpsat


def reference_solve(data, time_limit_s: float = 30.0):
    """(status name, proven optimum or None)."""
    status, objective, _, _ = spec_cpsat(data, time_limit_s)
    return status, objective if status == "OPTIMAL" else None
