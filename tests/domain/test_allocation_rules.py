"""The engine's violation codes in the user's words (scheduler_app.domain.allocation_rules): one
message per code, its parameters filled from the violation's ids and numbers."""
from __future__ import annotations

import pytest

from scheduler_app.domain.allocation import company_key, offer_key, round_key, slot_key, student_key
from scheduler_app.domain.allocation_rules import FALLBACK_MESSAGE, VIOLATION_MESSAGES, describe
from scheduler_app.solver import VIOLATION_CODES, Violation
from tests.domain.allocation_data import make_small_day


def test_every_violation_code_the_engine_exports_has_a_message():
    assert set(VIOLATION_CODES) <= set(VIOLATION_MESSAGES), set(VIOLATION_CODES) - set(VIOLATION_MESSAGES)


def _ids(day) -> dict[str, tuple[str, ...]]:
    """What each code's violation names (scheduler_app.solver.constraints): a code missing here fails below."""
    student, offer = day.classes[0].students[0], day.offers[0]
    slot, round_ = offer.slots[0], day.career_day.rounds[0]
    p, s, o = student_key(student.id), slot_key(slot.id), offer_key(offer.id)
    return {
        "absent_in_round": (p, s), "grade_not_allowed": (p, s), "offer_excluded": (p, s), "unranked_not_allowed": (p, s),
        "two_slots_in_round": (p, round_key(round_.id)), "too_many_slots": (p,), "same_offer_twice": (p, o),
        "same_company_twice": (p, company_key(offer.company_id)), "slot_over_capacity": (s,),
        "slot_below_min_size": (s,), "offer_over_max_total": (o,), "locked_slot_not_attended": (p, s),
        "locked_offer_not_attended": (p, o), "unknown_id": ("S999999",),
    }


@pytest.mark.parametrize("code", VIOLATION_CODES)
def test_each_code_is_worded_from_what_its_violation_names(db_session, code):
    day = make_small_day()
    breach = describe(Violation(1, code, "the engine's English", _ids(day)[code], {"assigned": 5, "limit": 4}))
    assert breach.message == VIOLATION_MESSAGES[code]
    text = breach.message % breach.params
    if code != "unknown_id":
        assert breach.subjects and ("Student 1" in text or day.offers[0].title in text), text


def test_the_numbers_fill_the_limit_each_message_names(db_session):
    day = make_small_day()
    slot = day.offers[0].slots[0]
    breach = describe(Violation(4, "slot_over_capacity", "", (slot_key(slot.id),), {"assigned": 5, "limit": 4}))
    assert breach.message % breach.params == (f"Kfz-Mechatroniker/in ({day.offers[0].company.name}) in round 1 is full: "
                                              "5 students for 4 seats.")


def test_a_code_without_a_message_or_an_id_gone_falls_back_to_a_generic_message(db_session):
    day = make_small_day()
    unknown = describe(Violation(9, "something_new", "", (student_key(day.students[0].id),)))
    gone = describe(Violation(6, "offer_excluded", "", ("P999999", "S999999")))
    assert unknown.message == gone.message == FALLBACK_MESSAGE
    assert unknown.message % unknown.params == "The allocation breaks a rule of the allocation engine (something_new)."
