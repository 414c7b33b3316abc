"""Students rank the offers open to their class with two codes; teachers may enter wishes for them."""
from datetime import datetime

import pytest
from sqlalchemy import func, select

from scheduler_app.domain.errors import DomainError, NotAllowed
from scheduler_app.domain.wishes import eligible_offers, find_student, submit_wishes
from scheduler_app.extensions import db
from scheduler_app.models import AuditEntry, OrganisationKind, Preference, Role
from tests import factories as f

NOW = datetime(2027, 2, 1, 9, 0)
AFTER_WISHES = datetime(2027, 3, 4, 9, 0)


@pytest.fixture
def setup(db_session):
    """A day with wishes_count 3 and a grade-9 class present in rounds 2–3."""
    day = f.make_career_day(wishes_deadline=datetime(2027, 3, 3, 18, 0), wishes_count=3)
    school = f.make_organisation(OrganisationKind.school)
    school_class = f.make_school_class(day, school, grade=9, students=2, first_round=2, last_round=3, class_code="ABCD2345")
    offers = [f.make_offer(day, title=title) for title in ("Bank", "Kfz", "Pflege", "Zoll")]
    return day, school_class, offers


def test_find_student_accepts_codes_in_any_case_and_with_spaces(setup):
    _, school_class, _ = setup
    student = school_class.students[0]
    student.personal_code = "XY7K9P"
    assert find_student(" abcd 2345 ", "xy7-k9p") is student
    assert find_student("ABCD2345", "XY7K9Q") is None
    assert find_student("ABCD2346", "XY7K9P") is None
    assert find_student("", "") is None


def test_eligible_offers_are_open_to_the_grade_and_held_while_the_class_is_there(setup):
    day, school_class, offers = setup
    f.make_offer(day, title="Nur Klasse 10", min_grade=10)
    f.make_offer(day, title="Nur früh", rounds=[1])
    late = f.make_offer(day, title="Abends", rounds=[1, 3], max_grade=9)
    assert eligible_offers(school_class.students[0]) == sorted([*offers, late], key=lambda offer: offer.title)


def test_a_student_ranks_exactly_the_days_number_of_offers(setup):
    _, school_class, offers = setup
    student = school_class.students[0]
    chosen = [offers[2].id, offers[0].id, offers[3].id]
    submit_wishes(student, student, chosen, NOW)
    assert [(p.rank, p.offer_id) for p in student.preferences] == [(1, chosen[0]), (2, chosen[1]), (3, chosen[2])]
    assert student.wishes_submitted_at == NOW
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "student.submit_wishes"))
    assert entry.actor_id is None and entry.details["by_student"] is True


@pytest.mark.parametrize("count", [2, 4])
def test_too_few_or_too_many_wishes_are_refused(setup, count):
    _, school_class, offers = setup
    student = school_class.students[0]
    with pytest.raises(DomainError, match="exactly 3 offers") as error:
        submit_wishes(student, student, [offer.id for offer in offers[:count]], NOW)
    assert error.value.field == "offers"
    assert student.preferences == [] and student.wishes_submitted_at is None


def test_fewer_offers_open_than_the_days_number_means_ranking_all_of_them(db_session):
    day = f.make_career_day(wishes_count=5)
    school_class = f.make_school_class(day, students=1)
    offers = [f.make_offer(day) for _ in range(2)]
    student = school_class.students[0]
    submit_wishes(student, student, [offers[1].id, offers[0].id], NOW)
    assert [p.offer_id for p in student.preferences] == [offers[1].id, offers[0].id]


def test_the_same_offer_twice_is_refused(setup):
    _, school_class, offers = setup
    student = school_class.students[0]
    with pytest.raises(DomainError, match="only once"):
        submit_wishes(student, student, [offers[0].id, offers[0].id, offers[1].id], NOW)


def test_an_offer_closed_to_the_grade_is_refused_naming_it(setup):
    day, school_class, offers = setup
    closed = f.make_offer(day, title="Steuerfachangestellte/r", min_grade=10)
    student = school_class.students[0]
    with pytest.raises(DomainError) as error:
        submit_wishes(student, student, [offers[0].id, closed.id, offers[1].id], NOW)
    assert str(error.value) == "This offer is not open to grade 9: Steuerfachangestellte/r"
    assert db.session.scalar(select(func.count(Preference.id))) == 0


def test_an_offer_held_only_while_the_class_is_absent_or_on_another_day_is_refused(setup):
    day, school_class, offers = setup
    early = f.make_offer(day, title="Frühstück", rounds=[1])
    elsewhere = f.make_offer(f.make_career_day())
    student = school_class.students[0]
    with pytest.raises(DomainError, match="while the class is not there: Frühstück"):
        submit_wishes(student, student, [offers[0].id, early.id, offers[1].id], NOW)
    with pytest.raises(DomainError, match="not available"):
        submit_wishes(student, student, [offers[0].id, elsewhere.id, offers[1].id], NOW)


def test_new_wishes_replace_earlier_ones_and_a_stale_resubmission_changes_nothing(setup):
    _, school_class, offers = setup
    student = school_class.students[0]
    submit_wishes(student, student, [offers[0].id, offers[1].id, offers[2].id], NOW)
    later = datetime(2027, 2, 2, 9, 0)
    submit_wishes(student, student, [offers[2].id, offers[3].id, offers[0].id], later)
    assert [p.offer_id for p in student.preferences] == [offers[2].id, offers[3].id, offers[0].id]
    submit_wishes(student, student, [offers[2].id, offers[3].id, offers[0].id], datetime(2027, 2, 3, 9, 0))
    assert student.wishes_submitted_at == later
    assert db.session.scalar(select(func.count(Preference.id))) == 3
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 2


def test_wishes_after_the_deadline_are_refused_and_earlier_ones_kept(setup):
    _, school_class, offers = setup
    student = school_class.students[0]
    submit_wishes(student, student, [offers[0].id, offers[1].id, offers[2].id], NOW)
    with pytest.raises(DomainError, match="ranking wishes has passed"):
        submit_wishes(student, student, [offers[3].id, offers[1].id, offers[2].id], AFTER_WISHES)
    assert [p.offer_id for p in student.preferences] == [offers[0].id, offers[1].id, offers[2].id]


def test_the_schools_teacher_may_enter_wishes_but_not_another_student_or_school(setup):
    _, school_class, offers = setup
    anna, ben = school_class.students
    chosen = [offers[0].id, offers[1].id, offers[2].id]
    with pytest.raises(NotAllowed):
        submit_wishes(ben, anna, chosen, NOW)
    with pytest.raises(NotAllowed):
        submit_wishes(f.make_school_contact(), anna, chosen, NOW)
    teacher = f.make_user(school_class.school, Role.contact, password=None)
    submit_wishes(teacher, anna, chosen, NOW)
    assert [p.offer_id for p in anna.preferences] == chosen
    assert ben.preferences == []


def test_a_coordinator_may_enter_wishes_after_the_deadline(setup):
    day, school_class, offers = setup
    coordinator = f.make_user(day.programme.agency, Role.coordinator, password=None)
    student = school_class.students[0]
    submit_wishes(coordinator, student, [offers[0].id, offers[1].id, offers[2].id], AFTER_WISHES)
    assert len(student.preferences) == 3


def test_arranging_wishes_adds_up_to_the_number_required_moves_and_removes():
    from scheduler_app.domain.wishes import arrange

    eligible = [11, 12, 13, 14]
    assert arrange([], "add:12", eligible, 3) == [12]
    assert arrange([12, 11], "add:13", eligible, 3) == [12, 11, 13]
    assert arrange([12, 11, 13], "add:14", eligible, 3) == [12, 11, 13]  # full
    assert arrange([12, 11, 13], "up:13", eligible, 3) == [12, 13, 11]
    assert arrange([12, 11, 13], "up:12", eligible, 3) == [12, 11, 13]  # already first
    assert arrange([12, 11, 13], "down:12", eligible, 3) == [11, 12, 13]
    assert arrange([12, 11, 13], "remove:11", eligible, 3) == [12, 13]
    assert arrange([12, 99, 12, 11], "add:99", eligible, 3) == [12, 11]  # not eligible, repeated
    assert arrange([12], "up:x", eligible, 3) == [12]
