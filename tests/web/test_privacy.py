"""Personal data stays out of caches and logs: no-store on pages and downloads, SQL errors logged
without their parameters, class codes never in a URL the server sees."""
from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from scheduler_app.extensions import db
from scheduler_app.models import Allocation, AllocationState, Student
from tests import factories
from tests.factories import PASSWORD
from tests.web.career_day_helpers import make_day, publish_by_hand


@pytest.fixture
def world(app):
    with app.app_context():
        career_day = make_day()
        coordinator = career_day.programme.agency.memberships[0].user
        coordinator.email = "koordination@example.org"
        teacher = factories.make_school_contact(email="lehrkraft@example.org")
        school_class = factories.make_school_class(career_day, school=teacher.schools[0], students=2, class_code="ABCD2345")
        offer = factories.make_offer(career_day)
        publish_by_hand(career_day, {school_class.students[0]: [offer.slots[0]]})
        db.session.commit()
        return {"class": school_class.id, "school": teacher.schools[0].id,
                "allocation": db.session.scalar(db.select(Allocation.id).where(Allocation.state == AllocationState.done))}


@pytest.mark.parametrize("who, path", [
    ("lehrkraft@example.org", "/school/classes/{class}/sheet"),
    ("lehrkraft@example.org", "/school/classes/{class}"),
    ("koordination@example.org", "/coordinator/allocations/{allocation}/assignments.csv"),
    ("koordination@example.org", "/coordinator/allocations/{allocation}/assignments.xlsx"),
    ("koordination@example.org", "/coordinator/allocations/{allocation}/instance.json"),
    ("koordination@example.org", "/coordinator/career-days/1/print/route-sheets"),
    ("koordination@example.org", "/coordinator/"),
    (None, "/auth/login"),
])
def test_pages_and_downloads_with_personal_data_are_never_stored_by_browsers_or_proxies(app, client, auth, world, who, path):
    if who:
        auth.login(who, PASSWORD)
    response = client.get(path.format(**world))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_static_files_may_still_be_cached(client):
    response = client.get("/static/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    response.close()


def test_the_page_showing_a_new_invitation_link_is_not_stored(app, client, auth, world):
    auth.login("koordination@example.org", PASSWORD)
    response = client.post(f"/coordinator/organisations/{world['school']}/invitations",
                           data={"name": "Frau Neu", "email": "neu@schule.example"})
    assert response.status_code == 200 and "/auth/invitation/" in response.text
    assert response.headers["Cache-Control"] == "no-store"


def test_a_failing_statement_does_not_carry_students_names_or_codes_into_the_error_and_the_log(app, world):
    """SQLAlchemy puts bound parameters into error messages (which end up in the error log) unless
    the engine hides them, and PostgreSQL adds the key's values in a DETAIL line."""
    with app.app_context():
        student = db.session.scalars(db.select(Student)).first()
        name = student.display_name
        db.session.add(Student(class_id=student.class_id, display_name=name, personal_code="GEHEIM7"))
        with pytest.raises(IntegrityError) as error:
            db.session.flush()
        db.session.rollback()
    message = str(error.value)
    assert "hide_parameters" in message and "student" in message  # the constraint is still named
    assert name not in message and "GEHEIM7" not in message


def test_a_request_that_fails_in_the_database_logs_no_personal_data(app, world, caplog):
    with app.app_context():
        student = db.session.scalars(db.select(Student)).first()
        class_id, name = student.class_id, student.display_name

    def clash():
        db.session.add(Student(class_id=class_id, display_name=name, personal_code="GEHEIM7"))
        db.session.flush()

    app.add_url_rule("/test-only/clash", "clash", clash)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with caplog.at_level("ERROR"):
        response = app.test_client().get("/test-only/clash")
    assert response.status_code == 500
    assert "IntegrityError" in caplog.text
    assert name not in caplog.text and "GEHEIM7" not in caplog.text


def test_the_class_sheet_puts_the_class_code_where_no_server_sees_it(app, client, auth, world):
    auth.login("lehrkraft@example.org", PASSWORD)
    page = client.get(f"/school/classes/{world['class']}/sheet").text
    assert "/wishes/#ABCD2345" in page
    assert "class=ABCD2345" not in page

