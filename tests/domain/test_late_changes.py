"""Late changes after publication: each kind is recorded as pending, the re-plan starts from the
published version and says who changes and why, publishing it mails what changed and empties the list."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from scheduler_app.domain import late_changes
from scheduler_app.allocation_runs import run_allocation
from scheduler_app.domain.allocation import build_instance, publish
from scheduler_app.domain.allocation_review import review
from scheduler_app.domain.errors import DomainError, NotAllowed
from scheduler_app.domain.printing import route_sheets
from scheduler_app.domain.publication import published_plan
from scheduler_app.models import Assignment, LateChange, OrganisationKind, OutgoingMail
from tests.domain.allocation_data import allocate, make_preference, make_small_day, require_solver
from tests.factories import (
    make_career_day,
    make_company_contact,
    make_coordinator,
    make_organisation,
    make_school_class,
    make_school_contact,
)

PUBLISHED = datetime(2027, 2, 3, 10, 0)
LATER = PUBLISHED + timedelta(days=3)


@pytest.fixture
def published(db_session):
    """The small day (tests/domain/allocation_data.py) published as version 1, and its coordinator."""
    require_solver()
    day = make_small_day(capacity=5)
    coordinator = make_coordinator(agency=day.career_day.programme.agency)
    db_session.commit()
    allocation = allocate(day.career_day)
    publish(coordinator, allocation, PUBLISHED, close_early=True)
    db_session.commit()
    return day, allocation, coordinator


def _replan(coordinator, career_day, now=LATER):
    draft = late_changes.replan(coordinator, career_day, now)
    run_allocation(draft.id, lambda: now)
    return draft


def test_a_class_registered_late_is_pending_with_its_students_and_gets_a_programme_in_the_replan(db_session, published):
    day, first, coordinator = published
    school = day.classes[0].school

    late = late_changes.register_class(coordinator, day.career_day, school, name="9c", grade=9, first_round=None,
                                       last_round=None, teacher_name="Frau Berg", names=["Mia L.", " ", "Tom R."], now=LATER)

    assert [s.display_name for s in late.students] == ["Mia L.", "Tom R."] and late.headcount == 2
    [change] = late_changes.pending(day.career_day)
    assert change.kind == late_changes.CLASS_REGISTERED and change.actor_id == coordinator.id and change.created_at == LATER
    message, params = late_changes.describe(change)
    assert message % params == "Class 9c (Realschule Bramsche) registered late, with Mia L., Tom R."

    draft = _replan(coordinator, day.career_day)
    new = {s.id for s in late.students}
    assert {a.student_id for a in draft.assignments} >= new
    assert draft.based_on_id == first.id
    _version, why = late_changes.who_changes(draft, late_changes.pending(day.career_day))
    assert {item.change.student_id for item in why} == new  # room enough: nobody else's programme changes
    assert all(item.reasons == ((late_changes.REASON_NEW, {}),) for item in why)


def test_students_added_late_raise_the_headcount_and_are_pending(db_session, published):
    day, _first, coordinator = published
    nine = day.classes[0]
    assert nine.headcount == len(nine.students) == 6

    added = late_changes.add_students(coordinator, nine, ["Neu A.", "Neu B."], LATER)

    assert [s.display_name for s in added] == ["Neu A.", "Neu B."] and nine.headcount == 8
    [change] = late_changes.pending(day.career_day)
    assert change.kind == late_changes.STUDENTS_ADDED and change.details["student_ids"] == [s.id for s in added]


def test_a_student_marked_absent_leaves_the_next_plan_but_stays_in_the_published_version(db_session, published):
    day, first, coordinator = published
    student = day.classes[0].students[0]

    late_changes.mark_absent(coordinator, student, LATER)

    assert f"P{student.id}" not in {s["id"] for s in build_instance(day.career_day)["students"]}
    assert student.id in published_plan(day.career_day).by_student
    with pytest.raises(DomainError, match="already marked absent"):
        late_changes.mark_absent(coordinator, student, LATER)
    draft = _replan(coordinator, day.career_day)
    assert student.id not in {a.student_id for a in draft.assignments}
    _version, why = late_changes.who_changes(draft, late_changes.pending(day.career_day))
    mine = next(item for item in why if item.change.student_id == student.id)
    assert all(r.after is None for r in mine.change.rounds) and mine.reasons == ((late_changes.REASON_ABSENT, {}),)


def test_a_withdrawn_offer_leaves_the_next_plan_and_its_students_learn_why(db_session, published):
    day, first, coordinator = published
    offer = day.offers[0]
    attendees = {a.student_id for a in first.assignments if a.offer_id == offer.id}
    assert attendees

    late_changes.withdraw_offer(coordinator, offer, LATER)

    instance = build_instance(day.career_day, previous=first)
    assert f"O{offer.id}" not in {o["id"] for o in instance["offers"]}
    assert not any(p["slot"] in {f"S{s.id}" for s in offer.slots} for p in instance["rules"]["previous"])
    draft = _replan(coordinator, day.career_day)
    assert offer.id not in {a.offer_id for a in draft.assignments}
    _version, why = late_changes.who_changes(draft, late_changes.pending(day.career_day))
    moved = {item.change.student_id: item.reasons for item in why}
    assert attendees <= set(moved)
    assert all((late_changes.REASON_WITHDRAWN, {"offer": offer.title}) in moved[s] for s in attendees)
    assert any(o.id == offer.id for o in published_plan(day.career_day).offers)  # version 1 still shows it


def test_wishes_corrected_late_are_recorded_with_before_and_after(db_session, published):
    day, _first, coordinator = published
    student = day.classes[0].students[0]
    before = [p.offer_id for p in student.preferences]
    wanted = list(reversed(before))

    late_changes.correct_wishes(coordinator, student, wanted, LATER)

    assert [p.offer_id for p in student.preferences] == wanted
    [change] = late_changes.pending(day.career_day)
    assert change.kind == late_changes.WISHES_CORRECTED
    titles = {o.id: o.title for o in day.offers}
    assert change.details["before"] == [titles[o] for o in before] and change.details["after"] == [titles[o] for o in wanted]
    late_changes.correct_wishes(coordinator, student, wanted, LATER)  # the same wishes again: nothing new to record
    assert len(late_changes.pending(day.career_day)) == 1


def test_late_changes_are_for_the_days_coordinators_and_only_after_publishing(db_session, published):
    day, _first, coordinator = published
    teacher = make_school_contact(school=day.classes[0].school)
    stranger = make_coordinator()
    for actor in (teacher, stranger):
        with pytest.raises(NotAllowed):
            late_changes.add_students(actor, day.classes[0], ["X Y."], LATER)
        with pytest.raises(NotAllowed):
            late_changes.withdraw_offer(actor, day.offers[0], LATER)
    unpublished = make_career_day(day.career_day.programme)  # the same agency's, not yet published
    with pytest.raises(DomainError, match="not published"):
        late_changes.mark_absent(coordinator, make_school_class(unpublished, students=1).students[0], LATER)
    with pytest.raises(DomainError, match="No late changes"):
        late_changes.replan(coordinator, day.career_day, LATER)
    assert late_changes.pending(day.career_day) == []


def test_publishing_the_replan_makes_version_two_mails_what_changed_and_empties_the_pending_list(db_session, published):
    day, first, coordinator = published
    school = day.classes[0].school
    teacher = make_school_contact(school=school, email="lehrkraft@schule.example")
    late = late_changes.register_class(coordinator, day.career_day, school, name="9c", grade=9, first_round=None,
                                       last_round=None, teacher_name=None, names=["Mia L."], now=LATER)
    mia = late.students[0]
    make_preference(mia, day.offers[1], 1)
    draft = _replan(coordinator, day.career_day)
    given = db_session.scalars(select(Assignment).where(Assignment.allocation_id == draft.id,
                                                        Assignment.student_id == mia.id)).all()
    company = next(o for o in day.offers if o.id == given[0].offer_id).company
    company_contact = make_company_contact(company=company, email="betrieb@firma.example")
    version_one = route_sheets(day.career_day)

    publication = publish(coordinator, draft, LATER)

    assert publication.version == 2 and late_changes.pending(day.career_day) == []
    assert db_session.scalar(select(LateChange.publication_id)) == publication.id
    assert route_sheets(day.career_day, version=1) == version_one  # version 1 stays readable
    assert "Mia L." in {sheet.student for sheet in route_sheets(day.career_day)}
    mails = {m.recipient: m for m in db_session.scalars(select(OutgoingMail).where(OutgoingMail.template == "plan_changed"))}
    assert {teacher.email, company_contact.email} <= set(mails)
    position = {r.id: r.position for r in day.career_day.rounds}
    offers = {o.id: o for o in day.offers}
    lines = [f"Runde {position[a.round_id]}: frei → {offers[a.offer_id].title} ({offers[a.offer_id].company.name})"
             for a in given]
    for mail in (mails[teacher.email], mails[company_contact.email]):
        assert "Fassung 2" in mail.subject and "Mia L. (9c, Realschule Bramsche)" in mail.body
    assert all(line in mails[teacher.email].body for line in lines)  # the teacher: Mia's whole new programme
    assert lines[0] in mails[company_contact.email].body  # the company: at least the round Mia comes to them


def test_a_change_accepted_while_the_replan_ran_stays_pending_after_publishing(db_session, published):
    day, _first, coordinator = published
    late_changes.add_students(coordinator, day.classes[0], ["Neu A."], LATER)
    draft = _replan(coordinator, day.career_day)
    late_changes.mark_absent(coordinator, day.classes[1].students[0], LATER + timedelta(minutes=5))
    assert late_changes.replan_of(day.career_day) is None  # the re-plan did not see the newest change

    publish(coordinator, draft, LATER + timedelta(minutes=6))

    assert [c.kind for c in late_changes.pending(day.career_day)] == [late_changes.STUDENT_ABSENT]


def test_the_review_of_a_published_version_reads_the_students_and_wishes_it_was_published_with(db_session, published):
    day, first, coordinator = published
    from scheduler_app.domain.allocation import load_allocation

    before = review(load_allocation(first))
    student = day.classes[0].students[0]
    late_changes.correct_wishes(coordinator, student, list(reversed([p.offer_id for p in student.preferences])), LATER)
    late_changes.add_students(coordinator, day.classes[0], ["Neu A.", "Neu B."], LATER)
    late_changes.mark_absent(coordinator, day.classes[1].students[0], LATER)
    db_session.flush()

    after = review(load_allocation(first))

    assert after.students == before.students == 12
    assert after.histogram == before.histogram and after.fully_served == before.fully_served
    assert [w.code for w in after.warnings] == [w.code for w in before.warnings]


def test_the_pending_list_and_details_name_no_student_after_the_retention_deletion(db_session, published):
    from scheduler_app.domain.retention import delete_students

    day, _first, coordinator = published
    late_changes.mark_absent(coordinator, day.classes[0].students[0], LATER)
    delete_students(day.career_day, LATER)
    [change] = late_changes.pending(day.career_day)
    assert change.details == {} and late_changes.describe(change) == (late_changes.DETAILS_DELETED, {})


def test_a_late_class_for_a_school_the_agency_does_not_work_with_is_refused(db_session, published):
    day, _first, coordinator = published
    foreign = make_organisation(OrganisationKind.school, name="Fremde Schule")
    with pytest.raises(NotAllowed):
        late_changes.register_class(coordinator, day.career_day, foreign, name="5a", grade=9, first_round=None,
                                    last_round=None, teacher_name=None, names=["A B."], now=LATER)


def test_withdrawing_an_offer_with_a_fixed_assignment_releases_it_and_the_replan_stays_valid(db_session, published):
    from scheduler_app.domain.allocation import USABLE_STATUSES

    day, first, coordinator = published
    offer = day.offers[0]
    fixed = next(a for a in first.assignments if a.offer_id == offer.id)
    fixed.locked = True  # fixed by hand before publishing
    db_session.commit()

    late_changes.withdraw_offer(coordinator, offer, LATER)

    [change] = late_changes.pending(day.career_day)
    message, params = late_changes.describe(change)
    assert message == late_changes.WITHDRAWN_LOCKS and params["released_locks"] == 1
    assert "locked_slots" not in next(s for s in build_instance(day.career_day, previous=first)["students"]
                                      if s["id"] == f"P{fixed.student_id}")
    draft = _replan(coordinator, day.career_day)
    assert draft.solver_status in USABLE_STATUSES
    assert offer.id not in {a.offer_id for a in draft.assignments if a.student_id == fixed.student_id}


def test_a_pending_absence_is_undone_and_a_replan_made_before_the_undo_is_no_longer_offered(db_session, published):
    day, _first, coordinator = published
    student, other = day.classes[0].students[:2]
    late_changes.add_students(coordinator, day.classes[0], ["Neu A."], LATER)
    late_changes.mark_absent(coordinator, student, LATER + timedelta(minutes=1))
    draft = _replan(coordinator, day.career_day, LATER + timedelta(minutes=2))
    assert late_changes.replan_of(day.career_day) == draft and student.id not in {a.student_id for a in draft.assignments}

    late_changes.mark_present(coordinator, student, LATER + timedelta(minutes=3))

    assert student.absent_at is None
    assert [c.kind for c in late_changes.pending(day.career_day)] == [late_changes.STUDENTS_ADDED]  # undone, not recorded
    assert late_changes.replan_of(day.career_day) is None  # that re-plan left the student out: re-plan again
    assert f"P{student.id}" in {s["id"] for s in build_instance(day.career_day)["students"]}
    with pytest.raises(DomainError, match="is not marked absent"):
        late_changes.mark_present(coordinator, other, LATER + timedelta(minutes=4))


def test_an_absence_published_in_a_version_is_taken_back_as_a_late_change_present_again(db_session, published):
    day, _first, coordinator = published
    student = day.classes[0].students[0]
    late_changes.mark_absent(coordinator, student, LATER)
    publish(coordinator, _replan(coordinator, day.career_day), LATER + timedelta(minutes=1))
    assert student.id not in {a.student_id for a in day.career_day.published_allocation.assignments}

    late_changes.mark_present(coordinator, student, LATER + timedelta(minutes=2))

    [change] = late_changes.pending(day.career_day)
    assert change.kind == late_changes.STUDENT_PRESENT
    message, params = late_changes.describe(change)
    assert message % params == f"{student.display_name} (class 9a, Realschule Bramsche) reported present again"
    draft = _replan(coordinator, day.career_day, LATER + timedelta(minutes=3))
    assert student.id in {a.student_id for a in draft.assignments}
    _version, why = late_changes.who_changes(draft, late_changes.pending(day.career_day))
    assert next(item for item in why if item.change.student_id == student.id).reasons == ((late_changes.REASON_PRESENT, {}),)


def test_a_withdrawal_is_undone_while_pending_and_taken_back_as_offered_again_once_published(db_session, published):
    day, _first, coordinator = published
    offer = day.offers[0]
    late_changes.withdraw_offer(coordinator, offer, LATER)

    late_changes.restore_offer(coordinator, offer, LATER + timedelta(minutes=1))

    assert offer.withdrawn_at is None and late_changes.pending(day.career_day) == []
    with pytest.raises(DomainError, match="is not withdrawn"):
        late_changes.restore_offer(coordinator, offer, LATER + timedelta(minutes=2))
    late_changes.withdraw_offer(coordinator, offer, LATER + timedelta(minutes=2))
    publish(coordinator, _replan(coordinator, day.career_day, LATER + timedelta(minutes=3)), LATER + timedelta(minutes=4))

    late_changes.restore_offer(coordinator, offer, LATER + timedelta(minutes=5))

    [change] = late_changes.pending(day.career_day)
    assert change.kind == late_changes.OFFER_RESTORED and offer.withdrawn_at is None
    assert f"O{offer.id}" in {o["id"] for o in build_instance(day.career_day)["offers"]}
    message, params = late_changes.describe(change)
    assert message % params == f"{offer.title} ({offer.company.name}) offered again"


def test_a_replans_review_leaves_a_withdrawn_offer_out_and_the_published_versions_review_keeps_it(db_session, published):
    day, first, coordinator = published
    offer = day.offers[0]
    late_changes.withdraw_offer(coordinator, offer, LATER)

    draft = _replan(coordinator, day.career_day)

    shown = review(draft)
    assert offer.id not in {fill.offer.id for fill in shown.offers}
    assert {fill.offer.id for fill in shown.offers} == {o.id for o in day.offers if o.id != offer.id}
    assert not any(offer in w.subjects for w in shown.warnings)
    assert offer.id in {fill.offer.id for fill in review(first).offers}  # version 1 was published with it
