"""Teachers register classes (holding places on the day) and enter their rosters."""
import threading
from datetime import datetime

import pytest
from sqlalchemy import func, select

from scheduler_app.domain.classes import (
    CODE_ALPHABET,
    add_students,
    class_sheet,
    register_class,
    remove_class,
    remove_student,
    rename_student,
    update_class,
)
from scheduler_app.domain.errors import DomainError, NotAllowed
from scheduler_app.extensions import db
from scheduler_app.models import CareerDay, Organisation, OrganisationKind, Preference, Role, SchoolClass, Student, User
from tests import factories as f
from tests.conftest import settings

NOW = datetime(2027, 1, 10, 9, 0)
AFTER_REGISTRATION = datetime(2027, 2, 26, 9, 0)
AFTER_WISHES = datetime(2027, 3, 4, 9, 0)


def fields(**overrides) -> dict:
    values = dict(name="9a", grade=9, headcount=24, first_round=2, last_round=3, teacher_name="Frau Meyer", now=NOW)
    values.update(overrides)
    return values


@pytest.fixture
def setup(db_session):
    day = f.make_career_day(registration_deadline=datetime(2027, 2, 25, 18, 0),
                            wishes_deadline=datetime(2027, 3, 3, 18, 0), max_students=50)
    school = f.make_organisation(OrganisationKind.school)
    return day, school, f.make_school_contact(school)


def registered(day: CareerDay) -> int:
    return db.session.scalar(select(CareerDay.registered_students).where(CareerDay.id == day.id))


def test_registering_a_class_takes_its_places_and_gives_it_an_unambiguous_code(setup):
    day, school, teacher = setup
    school_class = register_class(teacher, day, school, **fields())
    assert (school_class.name, school_class.grade, school_class.first_round, school_class.last_round) == ("9a", 9, 2, 3)
    assert len(school_class.class_code) == 8 and set(school_class.class_code) <= set(CODE_ALPHABET)
    assert not set("0O1I") & set(CODE_ALPHABET)
    assert registered(day) == 24


def test_a_teacher_of_another_school_may_not_register_or_change_its_classes(setup):
    day, school, teacher = setup
    stranger = f.make_school_contact()
    with pytest.raises(NotAllowed):
        register_class(stranger, day, school, **fields())
    school_class = register_class(teacher, day, school, **fields())
    with pytest.raises(NotAllowed):
        update_class(stranger, school_class, **fields(headcount=10))
    with pytest.raises(NotAllowed):
        add_students(stranger, school_class, ["Anna"], NOW)
    assert registered(day) == 24 and school_class.students == []


def test_registration_after_the_deadline_writes_nothing(setup):
    day, school, teacher = setup
    with pytest.raises(DomainError, match="registering classes has passed"):
        register_class(teacher, day, school, **fields(now=AFTER_REGISTRATION))
    assert db.session.scalar(select(func.count(SchoolClass.id))) == 0
    assert registered(day) == 0


def test_more_students_than_places_left_is_refused_with_the_number_left(setup):
    day, school, teacher = setup
    register_class(teacher, day, school, **fields(headcount=30))
    with pytest.raises(DomainError, match="Only 20 places are left") as error:
        register_class(teacher, day, school, **fields(name="9b", headcount=21))
    assert error.value.field == "headcount"
    assert registered(day) == 30
    register_class(teacher, day, school, **fields(name="9b", headcount=20))
    assert registered(day) == 50


@pytest.mark.parametrize("overrides, field", [
    ({"name": ""}, "name"),
    ({"grade": 14}, "grade"),
    ({"headcount": 0}, "headcount"),
    ({"headcount": 61}, "headcount"),
    ({"first_round": 4}, "first_round"),
    ({"first_round": 3, "last_round": 2}, "last_round"),
])
def test_bad_class_fields_are_refused_at_their_field(setup, overrides, field):
    day, school, teacher = setup
    with pytest.raises(DomainError) as error:
        register_class(teacher, day, school, **fields(**overrides))
    assert error.value.field == field
    assert registered(day) == 0


def test_a_class_name_is_registered_once_per_school_and_day(setup):
    day, school, teacher = setup
    register_class(teacher, day, school, **fields())
    with pytest.raises(DomainError, match="already registered a class with this name"):
        register_class(teacher, day, school, **fields(name=" 9A "))
    assert registered(day) == 24


def test_changing_the_headcount_takes_or_gives_back_the_difference(setup):
    day, school, teacher = setup
    school_class = register_class(teacher, day, school, **fields(headcount=20))
    update_class(teacher, school_class, **fields(headcount=28))
    assert registered(day) == 28
    update_class(teacher, school_class, **fields(headcount=5))
    assert registered(day) == 5
    with pytest.raises(DomainError, match="Only 45 places"):
        update_class(teacher, school_class, **fields(headcount=51))
    assert (school_class.headcount, registered(day)) == (5, 5)


def test_the_headcount_cannot_fall_below_the_roster(setup):
    day, school, teacher = setup
    school_class = register_class(teacher, day, school, **fields(headcount=3))
    add_students(teacher, school_class, ["Anna", "Ben", "Cem"], NOW)
    with pytest.raises(DomainError, match="3 students are already entered"):
        update_class(teacher, school_class, **fields(headcount=2))


def test_a_changed_grade_drops_wishes_for_offers_no_longer_open(setup):
    day, school, teacher = setup
    for_nine = f.make_offer(day, title="Nur Klasse 9", min_grade=9, max_grade=9)
    for_all = f.make_offer(day, title="Für alle")
    school_class = register_class(teacher, day, school, **fields())
    (anna,) = add_students(teacher, school_class, ["Anna"], NOW)
    anna.preferences.extend([Preference(offer=for_nine, rank=1), Preference(offer=for_all, rank=2)])
    anna.wishes_submitted_at = NOW
    db.session.flush()
    update_class(teacher, school_class, **fields(grade=10))
    assert [p.offer_id for p in anna.preferences] == [for_all.id]
    assert anna.wishes_submitted_at is None


def test_removing_a_class_gives_its_places_back_and_deletes_its_roster(setup):
    day, school, teacher = setup
    school_class = register_class(teacher, day, school, **fields())
    add_students(teacher, school_class, ["Anna", "Ben"], NOW)
    remove_class(teacher, school_class, NOW)
    assert registered(day) == 0
    assert db.session.scalar(select(func.count(Student.id))) == 0


def test_adding_students_gives_each_a_personal_code_unique_in_the_class(setup):
    day, school, teacher = setup
    school_class = register_class(teacher, day, school, **fields())
    students = add_students(teacher, school_class, ["  Anna  M. ", "", "Ben"], NOW)
    assert [s.display_name for s in students] == ["Anna M.", "Ben"]
    codes = [s.personal_code for s in students]
    assert len(set(codes)) == 2 and all(len(c) == 6 and set(c) <= set(CODE_ALPHABET) for c in codes)


def test_duplicate_names_in_the_list_or_the_class_are_named_and_nothing_is_added(setup):
    day, school, teacher = setup
    school_class = register_class(teacher, day, school, **fields())
    add_students(teacher, school_class, ["Anna"], NOW)
    with pytest.raises(DomainError) as error:
        add_students(teacher, school_class, ["Ben", "anna", "Cem", "Ben"], NOW)
    assert error.value.params["names"] == "anna, Ben"
    assert [s.display_name for s in school_class.students] == ["Anna"]


def test_names_longer_than_60_characters_are_refused(setup):
    day, school, teacher = setup
    school_class = register_class(teacher, day, school, **fields())
    with pytest.raises(DomainError, match="at most 60 characters"):
        add_students(teacher, school_class, ["Anna", "x" * 61], NOW)
    assert school_class.students == []


def test_the_roster_may_not_exceed_the_headcount(setup):
    day, school, teacher = setup
    school_class = register_class(teacher, day, school, **fields(headcount=2))
    with pytest.raises(DomainError, match="registered with 2 students"):
        add_students(teacher, school_class, ["Anna", "Ben", "Cem"], NOW)
    assert school_class.students == []


def test_rosters_change_until_the_wishes_deadline_not_after(setup):
    day, school, teacher = setup
    school_class = register_class(teacher, day, school, **fields())
    add_students(teacher, school_class, ["Anna"], AFTER_REGISTRATION)
    with pytest.raises(DomainError, match="ranking wishes has passed"):
        add_students(teacher, school_class, ["Ben"], AFTER_WISHES)
    with pytest.raises(DomainError, match="ranking wishes has passed"):
        remove_student(teacher, school_class.students[0], AFTER_WISHES)
    assert [s.display_name for s in school_class.students] == ["Anna"]


def test_rename_refuses_a_name_taken_in_the_class_and_remove_deletes_the_student(setup):
    day, school, teacher = setup
    school_class = register_class(teacher, day, school, **fields())
    anna, ben = add_students(teacher, school_class, ["Anna", "Ben"], NOW)
    with pytest.raises(DomainError, match="more than once"):
        rename_student(teacher, ben, "ANNA", NOW)
    rename_student(teacher, ben, "Ben K.", NOW)
    remove_student(teacher, anna, NOW)
    assert [s.display_name for s in school_class.students] == ["Ben K."]
    assert db.session.scalar(select(func.count(Student.id))) == 1


def test_class_sheet_lists_codes_and_a_qr_code_for_the_wishes_page(setup):
    day, school, teacher = setup
    school_class = register_class(teacher, day, school, **fields())
    add_students(teacher, school_class, ["Ben", "anna"], NOW)
    sheet = class_sheet(teacher, school_class, f"https://example.org/wuensche?klasse={school_class.class_code}", "QR-Code")
    assert sheet.class_code == school_class.class_code
    assert [name for name, _ in sheet.students] == ["anna", "Ben"]
    assert sheet.qr_svg.startswith("<svg") and "<title>QR-Code</title>" in sheet.qr_svg and "style=" not in sheet.qr_svg
    with pytest.raises(NotAllowed):
        class_sheet(f.make_school_contact(), school_class, "https://example.org/", "QR-Code")


def test_concurrent_registrations_never_exceed_the_days_limit(tmp_path):
    """Twelve teachers register a class of 10 at once on a day for 50: exactly five succeed."""
    from scheduler_app.factory import create_app

    app = create_app(settings(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'concurrent.sqlite'}",
                              SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"timeout": 30}}))
    with app.app_context():
        db.create_all()
        day = f.make_career_day(max_students=50)
        teachers = [f.make_user(f.make_organisation(OrganisationKind.school), Role.contact, password=None) for _ in range(12)]
        day_id, jobs = day.id, [(t.id, t.schools[0].id) for t in teachers]
        db.session.commit()

    barrier = threading.Barrier(len(jobs))
    outcomes: list[str] = []

    def register(teacher_id: int, school_id: int) -> None:
        with app.app_context():
            teacher = db.session.get(User, teacher_id)
            day, school = db.session.get(CareerDay, day_id), db.session.get(Organisation, school_id)
            barrier.wait()
            try:
                register_class(teacher, day, school, **fields(headcount=10))
                db.session.commit()
                outcomes.append("registered")
            except DomainError as error:
                db.session.rollback()
                outcomes.append(error.message)

    threads = [threading.Thread(target=register, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    with app.app_context():
        day = db.session.get(CareerDay, day_id)
        headcounts = db.session.scalars(select(SchoolClass.headcount).where(SchoolClass.career_day_id == day_id)).all()
        assert sorted(outcomes) == ["Only %(n)d places are left on this day."] * 7 + ["registered"] * 5
        assert day.registered_students == sum(headcounts) == 50
        db.drop_all()
        db.engine.dispose()
