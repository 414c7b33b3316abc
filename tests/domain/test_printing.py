"""Print data: nothing before publication; afterwards route sheets, door lists and class lists."""
from __future__ import annotations

from dataclasses import fields
from datetime import datetime

import pytest

from scheduler_app.domain.allocation import publish, remove_assignment
from scheduler_app.domain.errors import DomainError
from scheduler_app.domain.printing import Attendee, class_lists, door_lists, route_sheets
from tests.domain.allocation_data import allocate, make_small_day, require_solver
from tests.factories import make_school_class

NOW = datetime(2027, 2, 3, 10, 0)


@pytest.fixture
def published(db_session):
    require_solver()
    day = make_small_day()
    db_session.commit()
    allocation = allocate(day.career_day)
    publish(None, allocation, NOW, close_early=True)
    db_session.flush()
    return day, allocation


def test_nothing_can_be_printed_before_an_allocation_is_published(db_session):
    require_solver()
    day = make_small_day()
    db_session.commit()
    allocate(day.career_day)  # done, but not published
    for build in (route_sheets, door_lists, class_lists):
        with pytest.raises(DomainError, match="not been published"):
            build(day.career_day)


def test_route_sheets_list_each_present_round_with_time_offer_company_and_room(db_session, published):
    day, allocation = published

    sheets = route_sheets(day.career_day)

    assert len(sheets) == 12
    nine = next(s for s in sheets if s.class_name == "9a")
    ten = next(s for s in sheets if s.class_name == "10b")
    assert [e.round for e in nine.entries] == [1, 2, 3] and [e.round for e in ten.entries] == [2, 3]
    assert nine.school == "Realschule Bramsche" and nine.career_day == "BO-Tag Bramsche"
    titles = {o.title for o in day.offers}
    assert all(e.offer in titles and e.company and not e.free for s in sheets for e in s.entries)


def test_a_round_without_assignment_shows_as_free_on_the_route_sheet(db_session):
    require_solver()
    day = make_small_day()
    db_session.commit()
    allocation = allocate(day.career_day)
    student = day.classes[0].students[0]
    first_round = next(a for a in allocation.assignments if a.student_id == student.id and a.round_id == day.career_day.rounds[0].id)
    remove_assignment(None, first_round, NOW)
    publish(None, allocation, NOW, close_early=True)

    sheet = route_sheets(day.career_day, school_class=day.classes[0])[0:6]
    mine = next(s for s in sheet if s.student == student.display_name)
    assert mine.entries[0].free and mine.entries[0].offer is None
    assert not mine.entries[1].free


def test_door_lists_name_only_display_name_and_class_of_each_attendee(db_session, published):
    day, allocation = published

    lists = door_lists(day.career_day, company=day.offers[0].company)

    assert [d.round for d in lists] == [1, 2, 3] and {d.offer for d in lists} == {day.offers[0].title}
    assert sum(len(d.attendees) for d in lists) == sum(1 for a in allocation.assignments if a.offer_id == day.offers[0].id)
    assert [f.name for f in fields(Attendee)] == ["student", "class_name"]


def test_class_lists_show_every_students_programme_per_present_round(db_session, published):
    day, allocation = published

    lists = class_lists(day.career_day)

    assert [c.class_name for c in lists] == ["10b", "9a"]
    ten = lists[0]
    assert [r.position for r in ten.rounds] == [2, 3]
    assert len(ten.rows) == 6 and all(len(row.entries) == 2 for row in ten.rows)


def test_printed_sheets_stay_as_published_whatever_changes_later(db_session, published):
    day, allocation = published
    before = (route_sheets(day.career_day), door_lists(day.career_day), class_lists(day.career_day))
    offer, student = day.offers[0], day.classes[0].students[0]
    title, name = offer.title, student.display_name

    offer.title = "Umbenannt"
    student.display_name = "Neu N."
    late = make_school_class(day.career_day, school=day.classes[0].school, grade=9, students=3, name="9z")
    (first,) = [a for a in allocation.assignments if a.student_id == student.id][:1]
    db_session.delete(first)
    db_session.flush()

    after = (route_sheets(day.career_day), door_lists(day.career_day), class_lists(day.career_day))
    assert after == before
    assert any(entry.offer == title for sheet in after[0] for entry in sheet.entries)
    assert name in {sheet.student for sheet in after[0]} and late.name not in {c.class_name for c in after[2]}


def test_publishing_twice_keeps_each_version_and_the_sheets_follow_the_latest(db_session, published):
    from scheduler_app.allocation_runs import run_allocation
    from scheduler_app.domain.allocation import resolve_with_minimal_changes
    from scheduler_app.domain.publication import publications, read_plan

    day, first = published
    version_one = route_sheets(day.career_day)
    second = resolve_with_minimal_changes(None, first, NOW)
    db_session.commit()
    second = run_allocation(second.id, lambda: NOW)
    remove_assignment(None, second.assignments[0], NOW)  # the draft differs from version 1

    publication = publish(None, second, NOW)  # wishes are closed since the first publication: no confirmation

    assert route_sheets(day.career_day, version=1) == version_one != route_sheets(day.career_day)
    assert route_sheets(day.career_day, version=2) == route_sheets(day.career_day)

    versions = publications(day.career_day)
    assert [p.version for p in versions] == [2, 1] and versions[0] is publication
    assert [p.allocation_id for p in versions] == [second.id, first.id]
    assert read_plan(versions[1].snapshot).by_student.keys() == {s.id for s in day.students}


def test_a_published_allocation_takes_no_manual_change(db_session, published):
    day, allocation = published
    assignment = allocation.assignments[0]
    with pytest.raises(DomainError, match="published"):
        remove_assignment(None, assignment, NOW)


def test_the_published_allocations_csv_says_what_was_published(db_session, published):
    from scheduler_app.domain.exports import assignment_rows

    day, allocation = published
    before = assignment_rows(allocation)
    day.offers[0].title = "Umbenannt"
    day.classes[0].students[0].display_name = "Neu N."
    db_session.flush()

    assert assignment_rows(allocation) == before
    assert "Umbenannt" not in {row.offer for row in before} and len(before) == len(allocation.assignments)


def test_a_new_version_lists_who_changes_and_mails_the_schools_and_companies_concerned(db_session, published):
    from sqlalchemy import select

    from scheduler_app.allocation_runs import run_allocation
    from scheduler_app.domain.allocation import move_student, resolve_with_minimal_changes
    from scheduler_app.domain.publication import changes_against_published
    from scheduler_app.models import Assignment, OutgoingMail
    from tests.factories import make_company_contact, make_school_contact

    day, first = published
    teacher = make_school_contact(school=day.classes[0].school, email="lehrkraft@schule.example")
    draft = resolve_with_minimal_changes(None, first, NOW)
    db_session.commit()
    draft = run_allocation(draft.id, lambda: NOW)
    student = day.classes[1].students[0]  # 10b, present in rounds 2 and 3
    mine = db_session.scalars(select(Assignment).where(Assignment.allocation_id == draft.id,
                                                       Assignment.student_id == student.id)).all()
    round_two = next(a for a in mine if a.round_id == day.career_day.rounds[1].id)
    taken = {a.offer_id for a in mine}
    target = next(s for o in day.offers for s in o.slots if s.round_id == round_two.round_id and o.id not in taken)
    for other in [a for a in draft.assignments if a.slot_id == target.id][:1]:
        db_session.delete(other)  # make room (the draft is not published: a coordinator could do the same)
    db_session.flush()
    db_session.execute(sa_update_loads(draft.id, target.id))
    company_contact = make_company_contact(company=target.offer.company, email="betrieb@firma.example")
    move_student(None, draft, student, target, NOW)

    version, changed = changes_against_published(draft)
    assert version.version == 1
    mine_changed = next(c for c in changed if c.student == student.display_name)
    assert [(r.round, r.after.id) for r in mine_changed.rounds if r.after is not None and r.round == 2] == [(2, target.id)]

    publish(None, draft, NOW)

    mails = {m.recipient: m for m in db_session.scalars(select(OutgoingMail))}
    assert {teacher.email, company_contact.email} <= set(mails)
    assert student.display_name in mails[teacher.email].body and "Fassung 2" in mails[teacher.email].subject
    assert mails[teacher.email].personal_data


def sa_update_loads(allocation_id: int, slot_id: int):
    """The seat given back by the deleted assignment (the test deletes a row directly)."""
    from sqlalchemy import update

    from scheduler_app.models import AllocationSlot

    return (update(AllocationSlot).where(AllocationSlot.allocation_id == allocation_id, AllocationSlot.slot_id == slot_id,
                                         AllocationSlot.assigned > 0)
            .values(assigned=AllocationSlot.assigned - 1))
