"""The review of an allocation: histogram, fill, unserved students with reasons, warnings."""
from __future__ import annotations

from datetime import datetime

from scheduler_app.domain.allocation import remove_assignment
from scheduler_app.domain.allocation_review import review
from scheduler_app.models import Student
from tests.domain.allocation_data import allocate, make_small_day, require_solver
from tests.factories import make_offer

NOW = datetime(2027, 2, 3, 10, 0)


def test_review_counts_assignments_by_rank_and_fills_offers_and_schools(db_session):
    require_solver()
    day = make_small_day()
    db_session.commit()
    allocation = allocate(day.career_day)

    summary = review(allocation)

    assert sum(bar.count for bar in summary.histogram) == len(allocation.assignments) == 30
    assert summary.histogram[-1].rank is None and summary.histogram[0].rank == 1
    assert summary.fully_served == summary.students == 12 and summary.unserved == []
    assert sum(fill.assigned for fill in summary.offers) == 30
    assert all(slot.assigned <= slot.capacity for fill in summary.offers for slot in fill.slots)
    (school,) = summary.schools
    assert (school.students, school.wanted, school.assigned, school.fully_served) == (12, 30, 30, 12)


def test_review_warns_in_plain_words_about_missing_wishes_unwished_offers_and_short_presence(db_session):
    require_solver()
    day = make_small_day()
    lonely = make_offer(day.career_day, title="Bestatter/in", capacity=4)
    silent = day.classes[0].students[0]
    silent.preferences.clear()
    db_session.commit()
    allocation = allocate(day.career_day)

    warnings = {w.code: w for w in review(allocation).warnings}

    assert warnings["students_without_wishes"].params == {"n": 1}
    assert warnings["students_without_wishes"].subjects == (silent,)
    assert warnings["offer_not_wished"].params["offer"] == lonely.title
    assert warnings["class_window_too_short"].params == {"class_name": "10b", "school": "Realschule Bramsche",
                                                         "rounds": 2, "wanted": 3}
    message = warnings["class_window_too_short"]
    assert message.message % message.params  # the parameters fill the msgid


def test_review_lists_students_left_with_a_free_round_with_the_engines_reasons(db_session):
    require_solver()
    day = make_small_day()
    db_session.commit()
    allocation = allocate(day.career_day)
    student: Student = day.classes[0].students[0]
    remove_assignment(None, next(a for a in allocation.assignments if a.student_id == student.id), NOW)

    summary = review(allocation)

    (unserved,) = summary.unserved
    assert unserved.student is student and (unserved.assigned, unserved.target) == (2, 3)
    assert unserved.reasons and all(reason.message for reason in unserved.reasons)
    assert "students_under_served" in {w.code for w in summary.warnings}


def test_engine_reasons_become_msgids_with_names_and_fall_back_when_an_id_is_missing(db_session):
    from types import SimpleNamespace

    from scheduler_app.domain.allocation_review import FALLBACK_REASON, REASON_MESSAGES, _Names, _reason_message

    day = make_small_day()
    slot = day.offers[0].slots[1]
    names = _Names(SimpleNamespace(career_day=day.career_day))

    full = _reason_message(SimpleNamespace(code="slot_full", ids=("P1", f"S{slot.id}"), message="full"), names)
    unknown = _reason_message(SimpleNamespace(code="something_new", ids=(), message="?"), names)
    without_ids = _reason_message(SimpleNamespace(code="slot_full", ids=(), message="full"), names)

    assert full.message == REASON_MESSAGES["slot_full"]
    assert full.message % full.params == f"{day.offers[0].title} ({day.offers[0].company.name}) was already full in round 2."
    assert unknown.message == FALLBACK_REASON and without_ids.message == FALLBACK_REASON
