"""Run a solve in a child process, so that a crash in native code can never take the calling
process down.

``solve_isolated(instance, time_limit_s=None, seed=None, progress=None) -> dict`` returns exactly
what :func:`scheduler_app.solver.solve` returns, computed by a fresh interpreter
(``python -c ...`` of this module: no state inherited from the caller, no re-import of the
caller's main module as ``multiprocessing``'s spawn would do). The instance goes to the child in
a temporary file (so starting the child never blocks on a pipe, however large the day); progress
events ``(phase, fraction)`` and the result come back as JSON lines on a dedicated pipe and are
handed to ``progress`` in the calling process. A child that dies by a signal, exits without an
answer, raises, or outlives its timeout raises :class:`SolverCrashed` with a message for the
user's log; the child's standard error is the caller's.

The child enables :mod:`faulthandler` (a native crash prints the Python stack) and leaves with
``os._exit`` right after sending its answer: the interpreter's final garbage collection, where
a job process that had run the engine crashed (see the README), never runs in it.
"""
from __future__ import annotations

import json
import os
import selectors
import signal as _signal
import subprocess
import sys
import tempfile
import time
from typing import Callable

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

    ``timeout_s`` bounds the wait for the answer (default: the time limit * 1.1 plus
    :data:`GRACE_S`; the engine's default limit when none is given); the child is killed when it
    passes. ``_crash`` is a test hook: ``"segv"``, ``"abort"``, ``"exit"``, ``"raise"`` or
    ``"hang"`` makes the child fail that way after its first progress event."""
    text = instance.decode() if isinstance(instance, bytes) else instance
    if not isinstance(text, str):
        text = json.dumps(text)
    if timeout_s is None:
        timeout_s = _limit(text, time_limit_s) * 1.1 + GRACE_S
    read_fd, write_fd = os.pipe()
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8",
                                     delete=False) as f:
        f.write(text)
        path = f.name
    args = json.dumps({"instance": path, "fd": write_fd, "time_limit_s": time_limit_s,
                       "seed": seed, "crash": _crash})
    try:
        child = subprocess.Popen(
            [sys.executable, "-X", "faulthandler", "-c",
             "from scheduler_app.solver.isolated import _child; _child()", args],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, pass_fds=(write_fd,))
    finally:
        os.close(write_fd)  # the child holds the only writing end: EOF when it is gone
    try:
        answer, failure = _read(read_fd, child, time.monotonic() + timeout_s, progress)
    finally:
        os.close(read_fd)
        if child.poll() is None:
            child.kill()
        child.wait()
        os.unlink(path)
    if answer is not None:
        return answer
    code = child.returncode
    if failure == "timeout":
        raise SolverCrashed(f"solver process gave no answer within {timeout_s:.0f} s and was "
                            "killed", exitcode=code)
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


def _limit(text: str, time_limit_s: float | None) -> float:
    from .engine import DEFAULT_TIME_LIMIT

    if time_limit_s is not None:
        return float(time_limit_s)
    try:
        limit = (json.loads(text).get("rules") or {}).get("time_limit_s")
    except (ValueError, AttributeError):
        limit = None
    return float(limit) if isinstance(limit, (int, float)) else float(DEFAULT_TIME_LIMIT)


def _read(fd: int, child, end: float, progress: Progress | None):
    """Read the child's JSON lines until its answer, its failure, EOF or ``end``."""
    buf = b""
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while True:
            wait = end - time.monotonic()
            if wait <= 0:
                return None, "timeout"
            if not sel.select(min(wait, 1.0)):
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return None, None  # EOF: the child is gone without an answer
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                msg = json.loads(line)
                if "progress" in msg:
                    if progress is not None:
                        progress(*msg["progress"])
                elif "result" in msg:
                    return msg["result"], None
                else:
                    return None, msg.get("error", "unknown error")


def _child() -> None:
    args = json.loads(sys.argv[1])
    out = os.fdopen(args["fd"], "w", encoding="utf-8")

    def send(msg: dict) -> None:
        out.write(json.dumps(msg) + "\n")
        out.flush()

    from .engine import solve

    def report(phase: str, fraction: float) -> None:
        send({"progress": [phase, fraction]})
        if args["crash"]:
            _crash_now(args["crash"])

    try:
        with open(args["instance"], encoding="utf-8") as f:
            data = json.load(f)
        result = solve(data, time_limit_s=args["time_limit_s"], seed=args["seed"],
                       progress=report)
        send({"result": result})
        code = 0
    except BaseException as e:  # noqa: BLE001 -- reported to the parent, which raises it
        send({"error": f"{type(e).__name__}: {e}"})
        code = 1
    sys.stderr.flush()
    os._exit(code)  # skip the interpreter's teardown (see the module docstring)


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
