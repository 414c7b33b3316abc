"""Hostile uploads against the roster reader: time, peak memory and answer for each file.

    python -m benchmarks.uploads                       # the reader in this checkout
    python -m benchmarks.uploads --rosters OLD.py      # another version of scheduler_app/domain/rosters.py
    python -m benchmarks.uploads --timeout 60 --memory-mb 4096

Each file is read in its own child process (peak memory is that child's ru_maxrss, from os.wait4),
killed after ``--timeout`` seconds and limited to ``--memory-mb`` of address space, so a reader
that stalls or balloons is reported instead of taking the machine down. The files are the ones
the tests use (``tests/hostile_files.py``), at full size here.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import signal
import sys
import time

from tests import hostile_files as hostile

FILES = {
    "100,000 empty rows (xlsx)": lambda: ("liste.xlsx", hostile.empty_rows(100_000)),
    "one 900 MB shared string (xlsx)": lambda: ("liste.xlsx", hostile.huge_shared_string(900_000_000)),
    "billion laughs in the shared strings": lambda: ("liste.xlsx", hostile.doctype()),
    "billion laughs, UTF-16, in the sheet": lambda: ("liste.xlsx", hostile.doctype(hostile.SHEET, encoding="utf-16")),
    "XXE in the manifest": lambda: ("liste.xlsx", hostile.doctype("[Content_Types].xml", hostile.XXE)),
    "zip bomb, 1 GB of zeros": lambda: ("liste.xlsx", hostile.zip_bomb(1_000_000_000)),
    "dimension XFD1048576": lambda: ("liste.xlsx", hostile.claims_every_cell()),
    "one row of 50,000 cells": lambda: ("liste.xlsx", hostile.one_wide_row(50_000)),
    "every part just under its limit": lambda: ("liste.xlsx", hostile.at_the_limits()),
    **{f"CSV: {name}": (lambda data=data: ("liste.csv", data)) for name, data in hostile.CSV_EDGE_CASES.items()},
}


def _reader(path: str | None):
    if path is None:
        from scheduler_app.domain import rosters

        return rosters
    spec = importlib.util.spec_from_file_location("rosters_under_test", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _child(name: str, rosters_path: str | None, memory_mb: int, write_fd: int) -> None:
    filename, data = FILES[name]()
    reader = _reader(rosters_path)
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))
    started, cpu = time.perf_counter(), time.process_time()
    try:
        names = reader.read_roster(filename, data)
        answer = f"{len(names)} names"
    except MemoryError:
        answer = "MemoryError"
    except Exception as error:  # noqa: BLE001 - the point is to see what comes out
        answer = f"{type(error).__name__}: {error}"[:110]
    seconds = f"{time.perf_counter() - started:.3f} ({time.process_time() - cpu:.3f} CPU)"
    os.write(write_fd, f"{seconds}\t{len(data)}\t{answer}".encode())
    os._exit(0)


def run(name: str, rosters_path: str | None, timeout: float, memory_mb: int) -> tuple[str, str, str, str]:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _child(name, rosters_path, memory_mb, write_fd)
    os.close(write_fd)
    deadline = time.monotonic() + timeout + 30  # generating the largest files takes a while
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            _, status, usage = os.wait4(pid, 0)
            os.close(read_fd)
            return f"> {timeout:.0f}", "", f"{usage.ru_maxrss // 1024}", "killed (timeout)"
        time.sleep(0.05)
    output = os.read(read_fd, 4096).decode()
    os.close(read_fd)
    if not output:
        return "", "", f"{usage.ru_maxrss // 1024}", f"died (status {status})"
    seconds, size, answer = output.split("\t", 2)
    return seconds, size, f"{usage.ru_maxrss // 1024}", answer


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rosters", help="path of another rosters.py to measure (e.g. from git show)")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--memory-mb", type=int, default=4096)
    parser.add_argument("--only", help="only the files whose name contains this")
    args = parser.parse_args(argv)
    print("| file | bytes | seconds | peak MB | answer |\n|---|---|---|---|---|")
    for name in FILES:
        if args.only and args.only not in name:
            continue
        seconds, size, peak, answer = run(name, args.rosters, args.timeout, args.memory_mb)
        print(f"| {name} | {size} | {seconds} | {peak} | {answer} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
