"""The review of an allocation: histogram, fill, unserved students with reasons, warnings."""
from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from scheduler_app.domain.allocation import remove_assignment
from scheduler_app.domain.allocation_review import review
from scheduler_app.extensions import db
from scheduler_app.models import Exclusion, OrganisationKind, Student
from tests.domain.allocation_data import allocate, make_preference, make_small_day, require_solver
from tests.factories import make_career_day, make_offer, make_organisation, make_school_class

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
    assert unserved.reasons[0].message % unserved.reasons[0].params == "The student gets 2 of 3 programme points."
    assert all(reason.code != "not_explained" for reason in unserved.reasons)
    assert "students_under_served" in {w.code for w in summary.warnings}


def _crowded_day():
    """One round, one programme point each, three students of grade 9 and two seats: wish 1 and wish 2
    have one seat each, wish 3 is for grade 10 only, wish 4 is excluded for every student. Whoever the
    engine leaves out, the reasons are the same four."""
    day = make_career_day(rounds=1, slots_per_student=1, name="BO-Tag Melle")
    company = make_organisation(OrganisationKind.company, name="Autohaus Melle")
    kfz = make_offer(day, company=company, title="Kfz-Mechatroniker/in", capacity=1)
    care = make_offer(day, title="Pflegefachkraft", capacity=1)
    electric = make_offer(day, title="Elektroniker/in", capacity=5, min_grade=10)
    bank = make_offer(day, title="Bankkaufleute", capacity=5)
    klass = make_school_class(day, grade=9, students=3, name="9c")
    for student in klass.students:
        for rank, offer in enumerate((kfz, care, electric, bank), start=1):
            make_preference(student, offer, rank)
        db.session.add(Exclusion(student=student, offer=bank))
    db.session.flush()
    return day, (kfz, care, electric, bank)


def test_every_reason_code_the_engine_exports_has_a_message_whose_parameters_it_provides(db_session):
    from scheduler_app.domain.allocation_review import REASON_MESSAGES
    from scheduler_app.solver import REASON_CODES

    assert set(REASON_CODES) <= set(REASON_MESSAGES), set(REASON_CODES) - set(REASON_MESSAGES)


def test_reasons_of_a_real_run_are_stored_with_it_and_read_in_plain_words(db_session, app):
    require_solver()
    day, (kfz, care, electric, bank) = _crowded_day()
    db_session.commit()
    allocation = allocate(day)

    assert set(allocation.explanations) == {f"P{s.id}" for s in day.classes[0].students
                                            if not any(a.student_id == s.id for a in allocation.assignments)}
    (unserved,) = review(allocation).unserved
    texts = [reason.message % reason.params for reason in unserved.reasons]
    assert texts == [
        "The student gets 0 of 1 programme points.",
        "Wish 1, Kfz-Mechatroniker/in (Autohaus Melle), was full in every round in which the class is present (round 1).",
        f"Wish 2, Pflegefachkraft ({care.company.name}), was full in every round in which the class is present (round 1).",
        f"Wish 3, Elektroniker/in ({electric.company.name}), is not open to grade 9.",
        f"Wish 4, Bankkaufleute ({bank.company.name}), is excluded for this student.",
    ]
    with app.test_request_context(headers={"Accept-Language": "de"}):
        from flask_babel import force_locale, gettext

        with force_locale("de"):
            german = gettext(unserved.reasons[1].message, **unserved.reasons[1].params)
    assert german == ("Wunsch 1, Kfz-Mechatroniker/in (Autohaus Melle), war in jeder Runde voll, in der die Klasse "
                      "da ist (Runde 1).")


def test_review_reads_stored_reasons_and_never_runs_the_engine(db_session, monkeypatch):
    require_solver()
    day, _ = _crowded_day()
    db_session.commit()
    allocation = allocate(day)
    import importlib

    import scheduler_app.solver

    def refuse(*args, **kwargs):
        raise AssertionError("explain ran while the page rendered")

    monkeypatch.setattr(importlib.import_module("scheduler_app.solver.explain"), "explain", refuse)
    monkeypatch.setattr(scheduler_app.solver, "explain", refuse)
    (unserved,) = review(allocation).unserved
    assert unserved.reasons[0].code == "missing_slots"


def test_a_reason_lacking_a_parameter_falls_back_to_the_generic_message(db_session):
    from scheduler_app.domain.allocation_review import FALLBACK_REASON, _Names, _reason_message

    day = make_small_day()
    student = day.students[0]
    names = _Names(SimpleNamespace(career_day=day.career_day))
    unknown = _reason_message({"code": "something_new"}, names, student)
    without_offer = _reason_message({"code": "full", "rounds": [], "numbers": {"rank": 1}}, names, student)
    assert unknown.message == FALLBACK_REASON and without_offer.message == FALLBACK_REASON


def test_the_review_lists_the_engines_violations_of_a_hand_broken_allocation_in_plain_words(db_session):
    """After the run the day's data changed under the allocation (seats, grades, an exclusion, a
    class's departure): the review names what the engine's check finds, one warning per violation,
    worded from its code."""
    from scheduler_app.domain.allocation import assignment_pairs, instance_for, slot_key, student_key
    from scheduler_app.solver import VIOLATION_CODES, parse_instance, violations

    require_solver()
    day = make_small_day()
    db_session.commit()
    allocation = allocate(day.career_day)
    nine, ten = (sorted(c.students, key=lambda s: s.id) for c in day.classes)
    first_round = [a for a in allocation.assignments if a.round_id == day.career_day.rounds[0].id]
    crowded = max({a.slot for a in first_round}, key=lambda slot: sum(a.slot_id == slot.id for a in first_round))
    load = sum(a.slot_id == crowded.id for a in first_round)
    crowded.capacity = load - 1
    excluded = next(a for a in allocation.assignments if a.student_id == nine[1].id)
    db.session.add(Exclusion(student=nine[1], offer=excluded.slot.offer))
    second_round = day.career_day.rounds[1].id
    graded = next(a.slot.offer for a in allocation.assignments
                  if a.student.school_class is day.classes[1] and a.round_id == second_round and a.offer_id != day.offers[3].id)
    graded.max_grade = 9  # 10b (grade 10) attends it in round 2
    day.classes[1].last_round = 2  # 10b now leaves after round 2
    absent = next(a for a in allocation.assignments if a.student_id == ten[0].id and a.round_id == day.career_day.rounds[2].id)
    db.session.flush()

    warnings = review(allocation).warnings
    texts = [w.message % w.params for w in warnings]

    assert f"{crowded.offer.title} ({crowded.offer.company.name}) in round 1 is full: {load} students for {load - 1} seats." in texts
    assert (f"{excluded.slot.offer.title} ({excluded.slot.offer.company.name}) is excluded for "
            f"{nine[1].display_name} (9a).") in texts
    tens_in_graded = [a for a in allocation.assignments if a.offer_id == graded.id and a.round_id == second_round
                      and a.student.school_class is day.classes[1]]
    for assignment in tens_in_graded:
        assert (f"{graded.title} ({graded.company.name}) is not open to grade 10, the grade of "
                f"{assignment.student.display_name} (10b).") in texts
    assert (f"{ten[0].display_name} (10b) is not present in round 3, when {absent.slot.offer.title} "
            f"({absent.slot.offer.company.name}) takes place.") in texts
    (excluded_warning,) = [w for w in warnings if w.code == "offer_excluded"]
    assert excluded_warning.subjects == (nine[1], excluded.slot)  # what the list under the warning names
    # exactly the engine's findings, in its order
    pairs = [(student_key(p.student_id), slot_key(p.slot_id)) for p in assignment_pairs(allocation.id)]
    found = violations(parse_instance(instance_for(allocation)), pairs)
    assert [w.code for w in warnings if w.code in VIOLATION_CODES] == [v.code for v in found]
