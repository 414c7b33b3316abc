"""Integer phase: fix the integral part of the LP solution, CP-SAT on the rest from a complete
hint (LP rounded down, then a greedy repair that checks the same constraint rows)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from .columns import Model
    from .engine import _Ctx

EPS = 1e-6


def greedy_hint(model: "Model", val: np.ndarray, free: np.ndarray) -> np.ndarray:
    """Make ``val`` (integer column values) satisfy every row, changing only ``free`` columns:
    close min-size slots that are under-filled, satisfy lock rows, then fill beneficial columns
    (negative cost) while every row stays satisfied."""
    inst = model.inst
    rows = model.rows
    ncol = len(model.cost)
    col_rows: list[list[int]] = [[] for _ in range(ncol)]
    for i, r in enumerate(rows):
        for c in r.cols:
            col_rows[c].append(i)
    slot_of = model.uni.col_slot
    load = np.zeros(len(inst.slots), dtype=np.int64)
    np.add.at(load, np.asarray(slot_of, dtype=np.int64), val)
    # min size: empty under-filled slots (free columns only)
    cols_in_slot: dict[int, list[int]] = {}
    for c, sl in enumerate(slot_of):
        cols_in_slot.setdefault(sl, []).append(c)
    for sl in model.open_slots:
        ms = inst.slots[sl].min_size
        if 0 < load[sl] < ms:
            for c in cols_in_slot.get(sl, []):
                if free[c] and val[c] > 0:
                    load[sl] -= val[c]
                    val[c] = 0
    act = np.zeros(len(rows))
    for i, r in enumerate(rows):
        act[i] = val[r.cols].sum() if r.cols else 0.0

    def open_val(sl):
        return 1 if load[sl] > 0 else 0

    def fits(c: int) -> bool:
        sl = slot_of[c]
        if val[c] + 1 > model.ubs[c]:
            return False
        if load[sl] == 0 and inst.slots[sl].min_size > 1:
            return False
        for i in col_rows[c]:
            r = rows[i]
            if r.hi is None:
                continue
            a = act[i] + 1
            if r.open_slot is not None:
                a += r.open_coef * (1 if (load[r.open_slot] + (r.open_slot == sl)) > 0 else 0)
            if a > r.hi + EPS:
                return False
        return True

    def add(c: int) -> None:
        val[c] += 1
        load[slot_of[c]] += 1
        for i in col_rows[c]:
            act[i] += 1

    for i, r in enumerate(rows):  # locks first
        if r.lo is not None and r.open_slot is None and act[i] < r.lo:
            for c in sorted(r.cols, key=lambda c: model.cost[c]):
                if free[c] and fits(c):
                    add(c)
                    break
    order = [c for c in np.argsort(np.asarray(model.cost), kind="stable")
             if free[c] and model.cost[c] < 0]
    for c in order:
        while fits(c):
            add(c)
            if val[c] >= model.ubs[c]:
                break
    del open_val
    return val


def fractional_part(model: "Model", xv: np.ndarray, yv: dict,
                    free_units: set[int] | None = None) -> np.ndarray:
    """The columns the integer search decides (a mask): every column of a unit with a fractional
    LP value, or with a positive value in a minimum-size slot the LP opened fractionally, or in
    ``free_units``. The other units keep their (integral) LP values."""
    ncol = len(model.cost)
    if not ncol:
        return np.zeros(0, dtype=bool)
    col_unit = np.asarray(model.uni.col_unit, dtype=np.int64)
    units = set(free_units or ())
    units |= set(col_unit[np.abs(xv - np.rint(xv)) > EPS].tolist())
    frac_slots = {sl for sl, v in yv.items() if EPS < v < 1 - EPS}
    if frac_slots:
        in_frac = np.isin(np.asarray(model.uni.col_slot, dtype=np.int64), list(frac_slots))
        units |= set(col_unit[in_frac & (xv > EPS)].tolist())
    fu = np.zeros(len(model.cols.units), dtype=bool)
    fu[list(units)] = True
    return fu[col_unit]


def integer_phase(inst, model: "Model", xv: np.ndarray, yv: dict, lp_bound: float | None,
                  ctx: "_Ctx", *, full: bool, free_units: set[int] | None = None,
                  dtime: float, until: float):
    """Returns ({(unit, slot): count}, proven bound on sum(cost*x) or None, status).

    The bound is proven only when the model holds every allowed column (``full``). Status is the
    CP-SAT outcome (``infeasible`` on a full model proves the instance infeasible); when CP-SAT
    finds nothing, the counts are the greedy starting point, which may violate locks and minimum
    sizes -- the engine checks and repairs every answer before returning it."""
    from .exact import solve_columns

    ncol = len(model.cost)
    rounded = np.rint(xv)
    free = np.ones(ncol, dtype=bool) if full else fractional_part(model, xv, yv, free_units)
    val = np.where(free, np.floor(xv + EPS), rounded).astype(np.int64)
    val = greedy_hint(model, val, free)
    out = solve_columns(model, ctx, values=val, free=free, dtime=dtime, until=until,
                        lower_bound=lp_bound)
    counts = {model.cols.pairs[c]: int(out.values[c]) for c in range(ncol) if out.values[c] > 0}
    return counts, (out.bound if full else None), out.status
