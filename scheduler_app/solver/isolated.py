"""Run a solve in a child process, so that a crash in native code (OR-Tools, HiGHS) can never take
the calling process down.

``solve_isolated(instance, time_limit_s=None, seed=None, progress=None) -> dict`` returns exactly
what :func:`scheduler_app.solver.solve` returns, computed in a fresh interpreter started with the
``spawn`` method (no state inherited from the caller: no database connections, no threads).
Progress events ``(phase, fraction)`` are streamed back and handed to ``progress`` in the calling
process. A child that dies by a signal, exits without an answer, raises, or outlives its timeout
raises :class:`SolverCrashed` with a message for the user's log.

The child enables :mod:`faulthandler` (a native crash prints the Python stack to its standard
error, which is the caller's) and leaves with ``os._exit`` right after sending the answer, so
nothing of native libraries' teardown at interpreter exit runs in it.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import signal as _signal
import time
from typing import Any, Callable

Progress = Callable[[str, float], None]

#: seconds a child may take beyond its time limit (interpreter start, reading the instance, the
#: spec's 10 % fallback slack) before it is killed
GRACE_S = 60.0


class SolverCrashed(RuntimeError):
    """The solver's child process died or failed without an answer."""

    def __init__(self, message: str, *, signal: int | None = None,
                 exitcode: int | None = None):
        super().__init__(message)
        self.signal = signal
        self.exitcode = exitcode


def solve_isolated(instance: dict | str | bytes, time_limit_s: float | None = None,
                   seed: int | None = None, progress: Progress | None = None, *,
                   timeout_s: float | None = None, _crash: str | None = None) -> dict:
    """Solve ``instance`` (an allocation-instance/1 dict, or its JSON text) in a child process.

    ``timeout_s`` bounds the wait for the answer (default: the time limit plus
    :data:`GRACE_S`; the engine's default limit when none is given); the child is killed when it
    passes. ``_crash`` is a test hook: ``"segv"``, ``"abort"``, ``"exit"``, ``"raise"`` or
    ``"hang"`` makes the child fail that way after its first progress event."""
    data = json.loads(instance) if isinstance(instance, (str, bytes)) else instance
    if timeout_s is None:
        from .engine import DEFAULT_TIME_LIMIT

        limit = time_limit_s
        if limit is None and isinstance(data, dict):
            limit = (data.get("rules") or {}).get("time_limit_s")
        timeout_s = float(limit if isinstance(limit, (int, float)) else DEFAULT_TIME_LIMIT) \
            * 1.1 + GRACE_S
    mp = multiprocessing.get_context("spawn")
    receiver, sender = mp.Pipe(duplex=False)
    child = mp.Process(target=_child, args=(sender, data, time_limit_s, seed, _crash),
                       name="allocation-solver", daemon=True)
    child.start()
    sender.close()  # the parent keeps only the reading end: EOF when the child is gone
    end = time.monotonic() + timeout_s
    answer: dict | None = None
    failure: str | None = None
    try:
        while answer is None and failure is None:
            wait = end - time.monotonic()
            if wait <= 0:
                child.kill()
                child.join()
                raise SolverCrashed(f"solver process gave no answer within {timeout_s:.0f} s "
                                    "and was killed", exitcode=child.exitcode)
            if not receiver.poll(min(wait, 0.5)):
                continue
            try:
                kind, *payload = receiver.recv()
            except EOFError:
                break
            if kind == "progress" and progress is not None:
                progress(*payload)
            elif kind == "result":
                answer = payload[0]
            elif kind == "error":
                failure = payload[0]
    finally:
        receiver.close()
    child.join(timeout=10)
    if child.is_alive():  # it sent its answer but does not leave: not our problem any more
        child.kill()
        child.join()
    if answer is not None:
        return answer
    code = child.exitcode
    if failure is not None:
        raise SolverCrashed(f"solver process failed: {failure}", exitcode=code)
    if code is not None and code < 0:
        try:
            name = _signal.Signals(-code).name
        except ValueError:
            name = "unknown"
        raise SolverCrashed(f"solver process died with signal {-code} ({name})", signal=-code,
                            exitcode=code)
    raise SolverCrashed(f"solver process exited with code {code} without an answer",
                        exitcode=code)


def _child(sender, data: Any, time_limit_s, seed, crash: str | None) -> None:
    import faulthandler

    faulthandler.enable()
    from .engine import solve

    def report(phase: str, fraction: float) -> None:
        sender.send(("progress", phase, fraction))
        if crash:
            _crash_now(crash)

    try:
        result = solve(data, time_limit_s=time_limit_s, seed=seed, progress=report)
    except BaseException as e:  # noqa: BLE001 -- reported to the parent, which raises it
        sender.send(("error", f"{type(e).__name__}: {e}"))
        sender.close()
        os._exit(1)
    sender.send(("result", result))
    sender.close()
    os._exit(0)  # skip interpreter teardown (native libraries' exit handlers)


def _crash_now(how: str) -> None:
    if how == "segv":
        os.kill(os.getpid(), _signal.SIGSEGV)
    elif how == "abort":
        os.abort()
    elif how == "exit":
        os._exit(3)
    elif how == "raise":
        raise RuntimeError("test crash")
    elif how == "hang":
        time.sleep(3600)
