"""Parsing and validation of allocation-instance/1 (see the format spec).

``parse_instance(data)`` turns the JSON dict into an immutable :class:`Instance` or raises
:class:`InvalidInstance` carrying every problem found (not just the first), each a
:class:`Problem` ``{"code", "message", "ids"}``.

Problem codes for invalid input (stable):

``not_an_object``, ``missing_key``, ``wrong_type``, ``unsupported_format``, ``empty_id``,
``duplicate_id``, ``unknown_round``, ``unknown_offer``, ``unknown_slot``, ``negative_number``,
``rank_not_positive``, ``min_size_exceeds_capacity``, ``empty_rank_costs``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FORMAT_INSTANCE = "allocation-instance/1"
FORMAT_RESULT = "allocation-result/1"


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    ids: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "ids": list(self.ids)}


class InvalidInstance(ValueError):
    """The instance is malformed; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("; ".join(p.message for p in self.problems) or "invalid instance")


@dataclass(frozen=True)
class CostWeights:
    """All weights of the objective (the spec's ``rules`` costs)."""

    rank_costs: tuple[int, ...]
    unranked_cost: int | None
    missing_cost: int
    change_cost: int = 0

    def rank_cost(self, rank: int) -> int:
        i = min(rank, len(self.rank_costs)) - 1
        return self.rank_costs[i]


@dataclass(frozen=True)
class Offer:
    index: int
    id: str
    company: str | None
    label: str | None
    grades: frozenset[int] | None
    max_total: int | None

    @property
    def company_key(self) -> str:
        # An offer without a company is its own company (so distinct_companies never binds it
        # beyond "the same offer twice", which constraint 3 forbids anyway).
        return self.company if self.company is not None else "\x00offer:" + self.id


@dataclass(frozen=True)
class Slot:
    index: int
    id: str
    offer: str
    round: str
    offer_index: int
    round_index: int
    capacity: int
    min_size: int


@dataclass(frozen=True)
class Student:
    index: int
    id: str
    group: str | None
    grade: int | None
    rounds: frozenset[str]
    wanted: int
    preferences: dict[str, int]
    excluded: frozenset[str]
    locked_slots: tuple[str, ...]
    locked_offers: tuple[str, ...]


@dataclass(frozen=True)
class Instance:
    name: str | None
    rounds: tuple[str, ...]
    offers: tuple[Offer, ...]
    slots: tuple[Slot, ...]
    students: tuple[Student, ...]
    costs: CostWeights
    slots_per_student: int
    distinct_companies: bool
    previous: tuple[tuple[str, str], ...]
    time_limit_s: int | None
    seed: int | None
    offer_by_id: dict[str, Offer] = field(repr=False, compare=False)
    slot_by_id: dict[str, Slot] = field(repr=False, compare=False)
    student_by_id: dict[str, Student] = field(repr=False, compare=False)
    round_index: dict[str, int] = field(repr=False, compare=False)
    slots_of_offer: tuple[tuple[int, ...], ...] = field(repr=False, compare=False)

    def target(self, student: Student) -> int:
        """target(s) = min(wanted, number of rounds present) (hard constraint 2)."""
        return min(student.wanted, len(student.rounds))

    def cost(self, student: Student, offer_id: str) -> int | None:
        """Cost of assigning ``student`` to ``offer_id``; None if it may never be assigned
        because it is unranked and ``unranked_cost`` is null."""
        rank = student.preferences.get(offer_id)
        if rank is None:
            return self.costs.unranked_cost
        return self.costs.rank_cost(rank)

    def previous_count(self) -> dict[tuple[str, str], int]:
        out: dict[tuple[str, str], int] = {}
        for pair in self.previous:
            out[pair] = out.get(pair, 0) + 1
        return out

    def previous_by_index(self) -> dict[tuple[int, int], int]:
        """The previous pairs as (student index, slot index) -> count; pairs naming an id that
        no longer exists are left out."""
        out: dict[tuple[int, int], int] = {}
        for (s, l), n in self.previous_count().items():
            st, sl = self.student_by_id.get(s), self.slot_by_id.get(l)
            if st is not None and sl is not None:
                out[(st.index, sl.index)] = n
        return out


# ----------------------------------------------------------------------------------------------
class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, code: str, message: str, *ids: str) -> None:
        self.problems.append(Problem(code, message, tuple(str(i) for i in ids)))


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


_MISSING = object()


def _get(c: _Collector, obj: dict, key: str, path: str, kind: str, *, required: bool,
         default: Any = None, nullable: bool = False, nonneg: bool = False) -> Any:
    """Fetch ``obj[key]`` and check its type; records problems and returns ``_MISSING`` on error."""
    if key not in obj:
        if required:
            c.add("missing_key", f"required key '{path}' is missing", path)
            return _MISSING
        return default
    v = obj[key]
    if v is None and nullable:
        return None
    ok = {
        "int": _is_int(v),
        "str": isinstance(v, str),
        "bool": isinstance(v, bool),
        "list": isinstance(v, list),
        "dict": isinstance(v, dict),
    }[kind]
    if not ok:
        want = {"int": "an integer", "str": "a string", "bool": "true or false", "list": "a list",
                "dict": "an object"}[kind]
        c.add("wrong_type", f"'{path}' must be {want}{' or null' if nullable else ''}, "
              f"got {type(v).__name__}", path)
        return _MISSING
    if kind == "int" and nonneg and v < 0:
        c.add("negative_number", f"'{path}' must not be negative (got {v})", path)
        return _MISSING
    return v


def _id_list(c: _Collector, obj: dict, key: str, path: str, owner: str) -> list[str] | Any:
    v = _get(c, obj, key, path, "list", required=False, default=[])
    if v is _MISSING:
        return _MISSING
    out = []
    for i, item in enumerate(v):
        if not isinstance(item, str):
            c.add("wrong_type", f"'{path}[{i}]' must be a string id", owner, path)
            continue
        out.append(item)
    return out


def parse_instance(data: Any) -> Instance:
    """Validate an allocation-instance/1 dict and build an :class:`Instance`.

    Raises :class:`InvalidInstance` listing every problem found. Unknown keys are ignored.
    """
    c = _Collector()
    if not isinstance(data, dict):
        raise InvalidInstance([Problem("not_an_object", "the instance must be a JSON object")])
    fmt = data.get("format", FORMAT_INSTANCE)
    if fmt != FORMAT_INSTANCE:
        c.add("unsupported_format", f"'format' must be '{FORMAT_INSTANCE}', got {fmt!r}", "format")
    name = data.get("name") if isinstance(data.get("name"), str) else None

    # --- rounds
    rounds: list[str] = []
    rv = _get(c, data, "rounds", "rounds", "list", required=True)
    if rv is not _MISSING:
        seen: set[str] = set()
        for i, r in enumerate(rv):
            if not isinstance(r, str):
                c.add("wrong_type", f"'rounds[{i}]' must be a string id", f"rounds[{i}]")
            elif r == "":
                c.add("empty_id", f"'rounds[{i}]' is an empty id", f"rounds[{i}]")
            elif r in seen:
                c.add("duplicate_id", f"round '{r}' is listed twice", r)
            else:
                seen.add(r)
                rounds.append(r)
    round_set = set(rounds)

    # --- offers
    offers_raw: list[dict] = []
    ov = _get(c, data, "offers", "offers", "list", required=True)
    offer_ids: set[str] = set()
    if ov is not _MISSING:
        for i, o in enumerate(ov):
            p = f"offers[{i}]"
            if not isinstance(o, dict):
                c.add("wrong_type", f"'{p}' must be an object", p)
                continue
            oid = _get(c, o, "id", p + ".id", "str", required=True)
            if oid is _MISSING:
                continue
            if oid == "":
                c.add("empty_id", f"'{p}.id' is an empty id", p + ".id")
                continue
            if oid in offer_ids:
                c.add("duplicate_id", f"offer id '{oid}' is used twice", oid)
                continue
            offer_ids.add(oid)
            n0 = len(c.problems)
            company = _get(c, o, "company", f"offers[{oid}].company", "str", required=False,
                           nullable=True)
            label = o.get("label") if isinstance(o.get("label"), str) else None
            grades = _get(c, o, "grades", f"offers[{oid}].grades", "list", required=False,
                          nullable=True)
            if grades not in (_MISSING, None) and not all(_is_int(g) for g in grades):
                c.add("wrong_type", f"offer '{oid}': 'grades' must be a list of integers",
                      oid, "grades")
                grades = _MISSING
            max_total = _get(c, o, "max_total", f"offers[{oid}].max_total", "int", required=False,
                             nullable=True, nonneg=True)
            if len(c.problems) > n0:
                for k in range(n0, len(c.problems)):
                    pr = c.problems[k]
                    if oid not in pr.ids:
                        c.problems[k] = Problem(pr.code, pr.message, (oid,) + pr.ids)
                continue
            offers_raw.append(dict(id=oid, company=company, label=label,
                                   grades=None if grades is None else frozenset(grades),
                                   max_total=max_total))
    offers = tuple(Offer(index=i, **o) for i, o in enumerate(offers_raw))
    offer_by_id = {o.id: o for o in offers}

    # --- slots
    slots_list: list[Slot] = []
    sv = _get(c, data, "slots", "slots", "list", required=True)
    slot_ids: set[str] = set()
    if sv is not _MISSING:
        for i, s in enumerate(sv):
            p = f"slots[{i}]"
            if not isinstance(s, dict):
                c.add("wrong_type", f"'{p}' must be an object", p)
                continue
            sid = _get(c, s, "id", p + ".id", "str", required=True)
            if sid is _MISSING:
                continue
            if sid == "":
                c.add("empty_id", f"'{p}.id' is an empty id", p + ".id")
                continue
            if sid in slot_ids:
                c.add("duplicate_id", f"slot id '{sid}' is used twice", sid)
                continue
            slot_ids.add(sid)
            n0 = len(c.problems)
            so = _get(c, s, "offer", f"slots[{sid}].offer", "str", required=True)
            sr = _get(c, s, "round", f"slots[{sid}].round", "str", required=True)
            cap = _get(c, s, "capacity", f"slots[{sid}].capacity", "int", required=True,
                       nonneg=True)
            mn = _get(c, s, "min_size", f"slots[{sid}].min_size", "int", required=False,
                      default=0, nonneg=True)
            if mn is None:
                mn = 0
            if so is not _MISSING and so not in offer_ids:
                c.add("unknown_offer", f"slot '{sid}' names unknown offer '{so}'", sid, so)
            if sr is not _MISSING and sr not in round_set:
                c.add("unknown_round", f"slot '{sid}' names unknown round '{sr}'", sid, sr)
            if _is_int(cap) and _is_int(mn) and cap >= 0 and mn > cap:
                c.add("min_size_exceeds_capacity",
                      f"slot '{sid}': min_size {mn} exceeds capacity {cap}", sid)
            if len(c.problems) > n0:
                for k in range(n0, len(c.problems)):
                    pr = c.problems[k]
                    if sid not in pr.ids:
                        c.problems[k] = Problem(pr.code, pr.message, (sid,) + pr.ids)
                continue
            if so not in offer_by_id:  # offer itself was invalid; already reported
                continue
            slots_list.append(Slot(index=len(slots_list), id=sid, offer=so, round=sr,
                                   offer_index=offer_by_id[so].index,
                                   round_index=rounds.index(sr), capacity=cap, min_size=mn))
    slots = tuple(slots_list)
    slot_by_id = {s.id: s for s in slots}

    # --- rules
    rules = _get(c, data, "rules", "rules", "dict", required=True)
    sps = rank_costs = unranked = missing = change = tl = seed = None
    distinct = False
    previous: list[tuple[str, str]] = []
    if rules is not _MISSING:
        sps = _get(c, rules, "slots_per_student", "rules.slots_per_student", "int",
                   required=True, nonneg=True)
        rank_costs = _get(c, rules, "rank_costs", "rules.rank_costs", "list", required=True)
        if rank_costs is not _MISSING:
            if not rank_costs:
                c.add("empty_rank_costs", "'rules.rank_costs' needs at least one value",
                      "rules.rank_costs")
                rank_costs = _MISSING
            elif not all(_is_int(x) for x in rank_costs):
                c.add("wrong_type", "'rules.rank_costs' must be a list of integers",
                      "rules.rank_costs")
                rank_costs = _MISSING
            elif any(x < 0 for x in rank_costs):
                c.add("negative_number", "'rules.rank_costs' must not contain negative values",
                      "rules.rank_costs")
                rank_costs = _MISSING
        if "unranked_cost" not in rules:
            c.add("missing_key", "required key 'rules.unranked_cost' is missing (use null to "
                  "forbid unranked offers)", "rules.unranked_cost")
            unranked = _MISSING
        else:
            unranked = _get(c, rules, "unranked_cost", "rules.unranked_cost", "int",
                            required=True, nullable=True, nonneg=True)
        missing = _get(c, rules, "missing_cost", "rules.missing_cost", "int", required=True,
                       nonneg=True)
        change = _get(c, rules, "change_cost", "rules.change_cost", "int", required=False,
                      default=0, nullable=True, nonneg=True)
        if change is None:
            change = 0
        distinct = _get(c, rules, "distinct_companies", "rules.distinct_companies", "bool",
                        required=False, default=False, nullable=True) or False
        tl = _get(c, rules, "time_limit_s", "rules.time_limit_s", "int", required=False,
                  nullable=True, nonneg=True)
        seed = _get(c, rules, "seed", "rules.seed", "int", required=False, nullable=True)
        pv = _get(c, rules, "previous", "rules.previous", "list", required=False, default=[],
                  nullable=True)
        if pv not in (_MISSING, None):
            for i, pair in enumerate(pv):
                p = f"rules.previous[{i}]"
                if not isinstance(pair, dict):
                    c.add("wrong_type", f"'{p}' must be an object {{student, slot}}", p)
                    continue
                ps = _get(c, pair, "student", p + ".student", "str", required=True)
                pl = _get(c, pair, "slot", p + ".slot", "str", required=True)
                if ps is _MISSING or pl is _MISSING:
                    continue
                previous.append((ps, pl))

    # --- students
    students_list: list[Student] = []
    stv = _get(c, data, "students", "students", "list", required=True)
    student_ids: set[str] = set()
    if stv is not _MISSING:
        for i, s in enumerate(stv):
            p = f"students[{i}]"
            if not isinstance(s, dict):
                c.add("wrong_type", f"'{p}' must be an object", p)
                continue
            pid = _get(c, s, "id", p + ".id", "str", required=True)
            if pid is _MISSING:
                continue
            if pid == "":
                c.add("empty_id", f"'{p}.id' is an empty id", p + ".id")
                continue
            if pid in student_ids:
                c.add("duplicate_id", f"student id '{pid}' is used twice", pid)
                continue
            student_ids.add(pid)
            n0 = len(c.problems)
            q = f"students[{pid}]"
            group = _get(c, s, "group", q + ".group", "str", required=False, nullable=True)
            grade = _get(c, s, "grade", q + ".grade", "int", required=False, nullable=True)
            srounds = _id_list(c, s, "rounds", q + ".rounds", pid) if s.get("rounds") is not None \
                else list(rounds)
            wanted = _get(c, s, "wanted", q + ".wanted", "int", required=False, nullable=True,
                          nonneg=True)
            prefs = _get(c, s, "preferences", q + ".preferences", "dict", required=False,
                         default={}, nullable=True)
            excluded = _id_list(c, s, "excluded", q + ".excluded", pid)
            lslots = _id_list(c, s, "locked_slots", q + ".locked_slots", pid)
            loffers = _id_list(c, s, "locked_offers", q + ".locked_offers", pid)
            if srounds is not _MISSING:
                for r in srounds:
                    if r not in round_set:
                        c.add("unknown_round", f"student '{pid}' names unknown round '{r}'",
                              pid, r)
            clean_prefs: dict[str, int] = {}
            if prefs not in (_MISSING, None):
                for oid, rank in prefs.items():
                    if not _is_int(rank):
                        c.add("wrong_type", f"student '{pid}': the rank of '{oid}' must be an "
                              "integer", pid, oid)
                    elif rank < 1:
                        c.add("rank_not_positive", f"student '{pid}': the rank of '{oid}' must "
                              f"be at least 1 (got {rank})", pid, oid)
                    elif oid not in offer_ids:
                        c.add("unknown_offer", f"student '{pid}' ranks unknown offer '{oid}'",
                              pid, oid)
                    else:
                        clean_prefs[oid] = rank
            for lst, what in ((excluded, "excludes"), (loffers, "locks")):
                if lst is not _MISSING:
                    for oid in lst:
                        if oid not in offer_ids:
                            c.add("unknown_offer", f"student '{pid}' {what} unknown offer "
                                  f"'{oid}'", pid, oid)
            if lslots is not _MISSING:
                for sid in lslots:
                    if sid not in slot_ids:
                        c.add("unknown_slot", f"student '{pid}' locks unknown slot '{sid}'",
                              pid, sid)
            if len(c.problems) > n0:
                for k in range(n0, len(c.problems)):
                    pr = c.problems[k]
                    if pid not in pr.ids:
                        c.problems[k] = Problem(pr.code, pr.message, (pid,) + pr.ids)
                continue
            if wanted is None:
                wanted = sps if _is_int(sps) else 0
            students_list.append(Student(
                index=len(students_list), id=pid, group=group, grade=grade,
                rounds=frozenset(srounds), wanted=wanted, preferences=clean_prefs,
                excluded=frozenset(excluded),
                locked_slots=tuple(dict.fromkeys(x for x in lslots if x in slot_by_id)),
                locked_offers=tuple(dict.fromkeys(x for x in loffers if x in offer_by_id))))

    if c.problems:
        raise InvalidInstance(c.problems)
    slots_of_offer: list[list[int]] = [[] for _ in offers]
    for sl in slots:
        slots_of_offer[sl.offer_index].append(sl.index)
    return Instance(
        name=name, rounds=tuple(rounds), offers=offers, slots=slots,
        students=tuple(students_list),
        costs=CostWeights(rank_costs=tuple(rank_costs), unranked_cost=unranked,
                          missing_cost=missing, change_cost=change),
        slots_per_student=sps, distinct_companies=bool(distinct), previous=tuple(previous),
        time_limit_s=tl, seed=seed, offer_by_id=offer_by_id, slot_by_id=slot_by_id,
        student_by_id={s.id: s for s in students_list},
        round_index={r: i for i, r in enumerate(rounds)},
        slots_of_offer=tuple(tuple(x) for x in slots_of_offer))
