"""``explain``: why did a student not get a better wish?

For every offer the student ranked better than their worst assignment (all ranked offers if a
wanted slot stayed empty) and did not get, each slot of that offer is tried: the pair rules and
the rows of :mod:`scheduler_app.solver.constraints` are evaluated on the allocation *plus* that
one pair, and the constraints it would newly violate become the reasons. So explanations come
from the same definitions that build the model and check results.

Reason codes (stable; the web app translates them):

=============================  ==========================================================
``got_best_wishes``            nothing better was possible to explain (all better wishes got)
``missing_slots``              fewer slots than wanted; ``numbers``: target, assigned
``not_present``                the offer's slots are in rounds the student is absent
``grade_not_allowed``          the offer is not open to the student's grade
``excluded``                   the student must never attend this offer
``full_in_every_round``        every slot of the offer in a round present is at capacity
``full``                       these slots are at capacity (others blocked for other reasons)
``offer_max_total_reached``    the offer reached max_total over all its slots
``min_size_not_reached``       the slot does not take place: too few attendees for min_size
``locked``                     the round is taken by a locked slot of the student
``already_attends_company``    the student already attends another offer of that company
``round_taken``                the round is taken by an assignment the student ranks as good
                               or better (``numbers['rank']``)
``trade_off``                  a seat was free, but taking it means giving up another
                               assignment; the optimum (objective) preferred the current one
``no_slot``                    the offer has no slot at all
=============================  ==========================================================
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .check import result_pairs
from .constraints import pair_problem, violations_of_change
from .instance import Instance, parse_instance


@dataclass(frozen=True)
class Reason:
    code: str
    message: str
    offer: str | None = None
    slots: tuple[str, ...] = ()
    rounds: tuple[str, ...] = ()
    numbers: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["slots"], d["rounds"] = list(self.slots), list(self.rounds)
        return d


#: Every code :func:`explain` emits (the table above); the web app has a message for each.
REASON_CODES = (
    "got_best_wishes", "missing_slots", "not_present", "grade_not_allowed", "excluded",
    "full_in_every_round", "full", "offer_max_total_reached", "min_size_not_reached", "locked",
    "already_attends_company", "round_taken", "trade_off", "no_slot",
)

_PAIR_CODE = {"absent_in_round": "not_present", "grade_not_allowed": "grade_not_allowed",
              "offer_excluded": "excluded", "unranked_not_allowed": "excluded"}


def explain(instance_data: Any, result_data: Any, student_id: str) -> list[Reason]:
    inst = instance_data if isinstance(instance_data, Instance) else parse_instance(instance_data)
    st = inst.student_by_id.get(student_id)
    if st is None:
        raise KeyError(f"unknown student '{student_id}'")
    pairs, _ = result_pairs(result_data)
    mine = [(s, l) for s, l in pairs if s == student_id and l in inst.slot_by_id]
    got_offers = {inst.slot_by_id[l].offer for _, l in mine}
    ranks = [st.preferences.get(o) for o in got_offers]
    reasons: list[Reason] = []
    target = inst.target(st)
    if len(mine) < target:
        reasons.append(Reason("missing_slots", f"student '{st.id}' got {len(mine)} of "
                              f"{target} wanted slots", numbers={"target": target,
                                                                  "assigned": len(mine)}))
        limit = None
    elif any(r is None for r in ranks):
        limit = None
    else:
        limit = max(ranks) if ranks else None
    better = sorted((r, o) for o, r in st.preferences.items()
                    if o not in got_offers and (limit is None or r < limit))
    for rank, oid in better:
        offer = inst.offer_by_id[oid]
        slots = [inst.slots[i] for i in inst.slots_of_offer[offer.index]]
        if not slots:
            reasons.append(Reason("no_slot", f"offer '{oid}' (wish {rank}) has no slot", oid))
            continue
        by_code: dict[str, list] = {}
        extra: dict[str, dict] = {}
        for sl in slots:
            res = pair_problem(inst, st, sl)
            if res is not None:
                by_code.setdefault(_PAIR_CODE.get(res[1], res[1]), []).append(sl)
                continue
            new = [v for v in violations_of_change(inst, pairs, add=[(st.id, sl.id)])
                   if v.code not in ("locked_slot_not_attended", "locked_offer_not_attended")]
            codes = {v.code for v in new}
            load = sum(1 for _, l in pairs if l == sl.id)
            if "slot_over_capacity" in codes:
                code = "full"
                extra.setdefault(code, {})[sl.id] = load
            elif "offer_over_max_total" in codes:
                code = "offer_max_total_reached"
            elif "two_slots_in_round" in codes:
                other = [l for _, l in mine if inst.slot_by_id[l].round == sl.round]
                o_slot = inst.slot_by_id[other[0]] if other else None
                if o_slot is not None and o_slot.id in st.locked_slots or (
                        o_slot is not None and o_slot.offer in st.locked_offers):
                    code = "locked"
                else:
                    r2 = st.preferences.get(o_slot.offer) if o_slot else None
                    code = "round_taken" if r2 is not None and r2 <= rank else "trade_off"
                    extra.setdefault(code, {})[sl.id] = r2
            elif "slot_below_min_size" in codes:
                code = "min_size_not_reached"
            elif "same_company_twice" in codes:
                code = "already_attends_company"
            else:
                code = "trade_off"
            by_code.setdefault(code, []).append(sl)
        present = [sl for sl in slots if sl.round in st.rounds]
        for code, sls in by_code.items():
            ids = tuple(s.id for s in sls)
            rnds = tuple(s.round for s in sls)
            nums: dict[str, int] = {"rank": rank}
            if code == "full" and len(sls) == len(present) and present:
                code = "full_in_every_round"
            if code in ("full", "full_in_every_round"):
                nums.update({f"capacity:{s.id}": s.capacity for s in sls})
                msg = (f"wish {rank} '{oid}' was full in " +
                       ("every round the student was present" if code == "full_in_every_round"
                        else "round(s) " + ", ".join(rnds)) +
                       f" ({', '.join(f'{s.id}: {s.capacity}/{s.capacity}' for s in sls)})")
            elif code == "not_present":
                msg = f"wish {rank} '{oid}' only takes place in round(s) {', '.join(rnds)}, " \
                      "when the student is not present"
            elif code == "grade_not_allowed":
                g = "no grade" if st.grade is None else f"grade {st.grade}"
                msg = f"wish {rank} '{oid}' is not open to {g} (allowed: " \
                      f"{sorted(offer.grades or [])})"
            elif code == "excluded":
                msg = f"wish {rank} '{oid}' is excluded for this student"
            elif code == "offer_max_total_reached":
                nums["max_total"] = offer.max_total or 0
                msg = f"wish {rank} '{oid}' reached its limit of {offer.max_total} attendees"
            elif code == "min_size_not_reached":
                nums.update({f"min_size:{s.id}": s.min_size for s in sls})
                msg = f"wish {rank} '{oid}' does not take place in round(s) {', '.join(rnds)}:" \
                      " too few attendees for its minimum size"
            elif code == "locked":
                msg = f"in round(s) {', '.join(rnds)} the student has a fixed (locked) " \
                      f"assignment, so wish {rank} '{oid}' could not be placed there"
            elif code == "already_attends_company":
                msg = f"wish {rank} '{oid}': the student already attends another offer of " \
                      f"company '{offer.company}'"
            elif code == "round_taken":
                msg = f"wish {rank} '{oid}': in round(s) {', '.join(rnds)} the student " \
                      "already attends a wish ranked as high or higher"
            else:
                msg = f"wish {rank} '{oid}' had a free seat in round(s) {', '.join(rnds)}, " \
                      "but taking it would mean giving up another assignment; the overall " \
                      "allocation is better as it is"
            reasons.append(Reason(code, msg, oid, ids, rnds, nums))
    if not reasons:
        reasons.append(Reason("got_best_wishes", f"student '{st.id}' got their best possible "
                              "wishes; there is no better wish to explain"))
    return reasons
