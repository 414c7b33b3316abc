"""The teacher's career-day screens: register classes, enter rosters (typed or uploaded), print the
class sheet, enter wishes for a student, and after publication the class list and route sheets.
Bad input is shown at the field with what was typed, and nothing is half-saved."""
from __future__ import annotations

import io
import re
from datetime import datetime

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from scheduler_app.extensions import db
from scheduler_app.models import CareerDay, OrganisationKind, Preference, SchoolClass, Student
from tests import factories
from tests.web.career_day_helpers import make_day, publish_by_hand

TEACHER = "lehrkraft@schule.example"


@pytest.fixture
def day(app):
    """A day with three rounds, room for 30 students, two offers (one only for grades 11-13) and a teacher."""
    with app.app_context():
        career_day = make_day(max_students=30)
        factories.make_offer(career_day, title="Mechatronik")
        factories.make_offer(career_day, title="Pflege")
        factories.make_offer(career_day, title="Studium Informatik", min_grade=11)
        school = factories.make_organisation(OrganisationKind.school, name="Realschule Bramsche")
        factories.make_school_contact(school, email=TEACHER)
        db.session.commit()
        return {"id": career_day.id, "school": school.id}


@pytest.fixture
def teacher(client, auth, day):
    auth.login(TEACHER)
    return client


def _class(app, day, students: int = 0, **fields) -> int:
    with app.app_context():
        school_class = factories.make_school_class(db.session.get(CareerDay, day["id"]), school=db.session.get(
            factories.Organisation, day["school"]), students=students, headcount=fields.pop("headcount", max(students, 5)),
            **fields)
        db.session.commit()
        return school_class.id


def _error_at(html: str, field_id: str) -> str:
    """The error message shown next to the field, or "" when there is none."""
    found = re.search(rf'<p class="error" id="{re.escape(field_id)}-error">(.*?)</p>', html, re.S)
    return found.group(1) if found else ""


def _students(app, class_id) -> list[str]:
    with app.app_context():
        return [s.display_name for s in db.session.scalars(select(Student).where(Student.class_id == class_id)
                                                           .order_by(Student.id))]


def test_teacher_registers_a_class_present_from_round_two_and_lands_on_its_roster(app, teacher, day):
    response = teacher.post(f"/school/career-days/{day['id']}/classes/new", data={
        "name": " 9b ", "grade": "9", "headcount": "24", "first_round": "2", "last_round": "3", "teacher_name": "Frau Meyer"})

    assert response.status_code == 302
    page = teacher.get(response.headers["Location"])
    assert "<h1>Klasse 9b</h1>" in page.text
    assert "Die Klasse 9b ist angemeldet." in page.text
    with app.app_context():
        school_class = db.session.scalar(select(SchoolClass))
        assert (school_class.grade, school_class.headcount, school_class.first_round, school_class.last_round) == (9, 24, 2, None)
        assert db.session.get(CareerDay, day["id"]).registered_students == 24


def test_a_class_larger_than_the_places_left_is_refused_at_the_field_and_nothing_is_written(app, teacher, day):
    response = teacher.post(f"/school/career-days/{day['id']}/classes/new", data={
        "name": "10a", "grade": "10", "headcount": "31", "first_round": "1", "last_round": "3"})

    assert response.status_code == 422
    assert "30" in _error_at(response.text, "headcount")
    assert 'value="10a"' in response.text
    with app.app_context():
        assert db.session.scalar(select(func.count(SchoolClass.id))) == 0
        assert db.session.get(CareerDay, day["id"]).registered_students == 0


def test_leaving_before_arriving_is_refused_at_the_departure_field(app, teacher, day):
    response = teacher.post(f"/school/career-days/{day['id']}/classes/new", data={
        "name": "10a", "grade": "10", "headcount": "20", "first_round": "3", "last_round": "1"})

    assert response.status_code == 422
    assert _error_at(response.text, "last_round")
    with app.app_context():
        assert db.session.scalar(select(func.count(SchoolClass.id))) == 0


def test_teacher_types_names_one_per_line_and_each_student_gets_a_personal_code(app, teacher, day):
    class_id = _class(app, day)

    response = teacher.post(f"/school/classes/{class_id}/students", data={"names": "Lena K.\n\n  Ben S. \nAyşe T."})

    assert response.status_code == 302
    assert _students(app, class_id) == ["Lena K.", "Ben S.", "Ayşe T."]
    page = teacher.get(f"/school/classes/{class_id}")
    with app.app_context():
        for student in db.session.scalars(select(Student)):
            assert f"<code>{student.personal_code}</code>" in page.text


def test_duplicate_names_are_named_in_the_message_and_no_name_is_added(app, teacher, day):
    class_id = _class(app, day)

    response = teacher.post(f"/school/classes/{class_id}/students", data={"names": "Lena K.\nBen S.\nlena k."})

    assert response.status_code == 422
    assert "lena k." in _error_at(response.text, "names")
    assert "Lena K.\nBen S.\nlena k.</textarea>" in response.text  # what was typed is kept
    assert _students(app, class_id) == []


def test_uploaded_csv_from_german_excel_adds_the_students(app, teacher, day):
    class_id = _class(app, day)
    data = "Nr;Name\r\n1;Jonas W.\r\n2;Müller, Lea\r\n".encode("cp1252")

    response = teacher.post(f"/school/classes/{class_id}/roster-file", data={"file": (io.BytesIO(data), "9b.csv")},
                            content_type="multipart/form-data")

    assert response.status_code == 302
    assert _students(app, class_id) == ["Jonas W.", "Müller, Lea"]


def test_uploaded_xlsx_adds_the_students(app, teacher, day):
    class_id = _class(app, day)
    workbook = Workbook()
    workbook.active.append(["Anzeigename"])
    workbook.active.append(["Mia"])
    workbook.active.append(["Noah"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    response = teacher.post(f"/school/classes/{class_id}/roster-file", data={"file": (io.BytesIO(buffer.getvalue()), "9b.xlsx")},
                            content_type="multipart/form-data")

    assert response.status_code == 302
    assert _students(app, class_id) == ["Mia", "Noah"]


@pytest.mark.parametrize(("filename", "content", "message"), [
    ("liste.txt", b"Name\nMia\n", ".csv"),
    ("liste.csv", b"Vorname;Nachname\nMia;K\n", "Name"),
    ("liste.xlsx", b"not a workbook", "Excel"),
    ("liste.csv", b"Name\n" + b"x" * (1024 * 1024 + 10), "1 MB"),
    ("liste.csv", "Name\nMia\nNoah\nmia\n".encode(), "mia"),
], ids=["wrong format", "wrong columns", "broken xlsx", "oversized", "duplicate names"])
def test_a_bad_roster_file_is_refused_at_the_file_field_and_nothing_is_added(app, teacher, day, filename, content, message):
    class_id = _class(app, day)

    # encoded here, in memory: the test client would spool a large body to a temporary file it never closes
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(content), filename=filename)})
    response = teacher.post(f"/school/classes/{class_id}/roster-file", data=body,
                            content_type=f"multipart/form-data; boundary={boundary}")

    assert response.status_code == 422
    assert message in _error_at(response.text, "file")
    assert _students(app, class_id) == []


def test_a_roster_file_with_a_too_long_name_lists_the_row_to_correct(app, teacher, day):
    class_id = _class(app, day)
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(("Name\nMia\n" + "x" * 61).encode()), filename="l.csv")})

    response = teacher.post(f"/school/classes/{class_id}/roster-file", data=body,
                            content_type=f"multipart/form-data; boundary={boundary}")

    assert response.status_code == 422
    assert "1" in _error_at(response.text, "file")
    assert '<li class="error">Zeile 3: Der Name darf höchstens 60 Zeichen lang sein.</li>' in response.text
    assert _students(app, class_id) == []


def test_more_names_than_the_class_holds_adds_none_of_them(app, teacher, day):
    class_id = _class(app, day, headcount=2)

    response = teacher.post(f"/school/classes/{class_id}/students", data={"names": "A\nB\nC"})

    assert response.status_code == 422
    assert _students(app, class_id) == []


def test_teacher_renames_and_removes_a_student(app, teacher, day):
    class_id = _class(app, day, students=2)
    with app.app_context():
        first, second = db.session.scalars(select(Student.id).order_by(Student.id)).all()

    assert teacher.post(f"/school/students/{first}/rename", data={"display_name": "Lena K."}).status_code == 302
    assert teacher.post(f"/school/students/{second}/remove").status_code == 302

    assert _students(app, class_id) == ["Lena K."]


def test_renaming_to_a_classmates_name_is_refused_next_to_that_students_name_field(app, teacher, day):
    class_id = _class(app, day, students=2)
    with app.app_context():
        first = db.session.scalar(select(Student.id).order_by(Student.id))

    response = teacher.post(f"/school/students/{first}/rename", data={"display_name": "student 2"})

    assert response.status_code == 422
    assert "student 2" in _error_at(response.text, f"display_name-{first}")
    assert 'value="student 2"' in response.text
    assert _students(app, class_id) == ["Student 1", "Student 2"]


def test_roster_cannot_change_after_the_wishes_deadline(app, teacher, day):
    with app.app_context():
        db.session.get(CareerDay, day["id"]).wishes_deadline = datetime(2020, 1, 1, 12, 0)
        db.session.commit()
    class_id = _class(app, day)

    response = teacher.post(f"/school/classes/{class_id}/students", data={"names": "Mia"})

    assert response.status_code == 422
    assert "01.01.2020, 12:00" in _error_at(response.text, "names")
    assert _students(app, class_id) == []


def test_class_sheet_shows_the_wishes_address_its_qr_code_and_every_personal_code(app, teacher, day):
    class_id = _class(app, day, students=2, class_code="ABCD2345")

    page = teacher.get(f"/school/classes/{class_id}/sheet")

    assert page.status_code == 200
    assert "http://localhost/wishes/#ABCD2345" in page.text  # a fragment: never sent to the server
    assert '<svg' in page.text and 'class="qr-code"' in page.text and "<title>QR-Code zur Wunschseite" in page.text
    assert "P0001" in page.text and "P0002" in page.text
    assert "style=" not in page.text  # the CSP forbids inline styles


def test_teacher_enters_wishes_for_a_student_who_cannot(app, teacher, day):
    class_id = _class(app, day, students=1)
    with app.app_context():
        student_id = db.session.scalar(select(Student.id))
        offers = {o.title: o.id for o in db.session.get(CareerDay, day["id"]).offers}

    page = teacher.get(f"/school/students/{student_id}/wishes")
    assert "Studium Informatik" not in page.text  # closed to grade 9
    response = teacher.post(f"/school/students/{student_id}/wishes",
                            data={"rank_1": offers["Pflege"], "rank_2": offers["Mechatronik"]})

    assert response.status_code == 302
    with app.app_context():
        ranked = db.session.scalars(select(Preference.offer_id).order_by(Preference.rank)).all()
    assert ranked == [offers["Pflege"], offers["Mechatronik"]]
    assert response.headers["Location"].endswith(f"/school/classes/{class_id}")


def test_another_schools_class_and_students_answer_404(app, teacher, day):
    with app.app_context():
        other = factories.make_school_class(db.session.get(CareerDay, day["id"]), students=1)
        db.session.commit()
        other_id, student_id = other.id, other.students[0].id

    for url in (f"/school/classes/{other_id}", f"/school/classes/{other_id}/sheet", f"/school/classes/{other_id}/edit",
                f"/school/students/{student_id}/wishes", f"/school/classes/{other_id}/route-sheets"):
        assert teacher.get(url).status_code == 404, url
    assert teacher.post(f"/school/students/{student_id}/remove").status_code == 404
    assert _students(app, other_id) == ["Student 1"]


def test_class_list_and_route_sheets_wait_for_publication(app, teacher, day):
    class_id = _class(app, day, students=1)

    for page in ("route-sheets", "class-list"):
        response = teacher.get(f"/school/classes/{class_id}/{page}")

        assert response.status_code == 302 and response.headers["Location"] == f"/school/classes/{class_id}"
        assert "Die Zuteilung dieses BO-Tags ist noch nicht veröffentlicht." in teacher.get(response.headers["Location"]).text


def test_after_publication_the_teacher_prints_the_class_list_and_route_sheets(app, teacher, day):
    class_id = _class(app, day, students=2)
    with app.app_context():
        career_day = db.session.get(CareerDay, day["id"])
        mechatronik = next(o for o in career_day.offers if o.title == "Mechatronik")
        students = db.session.scalars(select(Student).order_by(Student.id)).all()
        publish_by_hand(career_day, {students[0]: [mechatronik.slots[0]]})
        db.session.commit()

    sheets = teacher.get(f"/school/classes/{class_id}/route-sheets")
    class_list = teacher.get(f"/school/classes/{class_id}/class-list")

    assert sheets.status_code == 200 and class_list.status_code == 200
    assert "Student 1" in sheets.text and "Student 2" in sheets.text and "Mechatronik" in sheets.text
    assert "Student 1" in class_list.text and "Mechatronik" in class_list.text
