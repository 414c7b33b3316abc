"""Each cause of a 500 that the hardening review found, now a 4xx with a message and nothing
written: ids beyond the integer columns, wish ranks and numbers of hundreds or thousands of
digits, NUL and other control characters, a career day in the year 9999, a workbook with a
DOCTYPE, bodies that are not form data. ``test_fuzz.py`` sends thousands of such inputs to every
route; these tests name the cases."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from flask import request
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter

from scheduler_app.extensions import db
from scheduler_app.models import CareerDay, Invitation, Preference, Programme, SchoolClass
from scheduler_app.web.inputs import MAX_ID, IdConverter
from tests import hostile_files as hostile
from tests.web.fuzzing import build_world, client_for


@pytest.fixture
def world(app):
    return build_world(app)


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_every_id_in_a_url_is_bounded_by_the_integer_columns(app):
    id_converters = [converter for rule in app.url_map.iter_rules() for converter in rule._converters.values()
                     if isinstance(converter, IntegerConverter)]
    assert id_converters and all(isinstance(c, IdConverter) and c.max == MAX_ID == 2**31 - 1 for c in id_converters)


@pytest.mark.parametrize("id_text", ["2147483648", "9223372036854775808", "1" + "0" * 40, "9" * 5000, "\u0663"])
def test_ids_beyond_the_integer_columns_answer_404(app, world, id_text):
    coordinator, teacher = client_for(app, world, "coordinator"), client_for(app, world, "school")
    assert coordinator.get(f"/coordinator/career-days/{id_text}").status_code == 404
    assert coordinator.post(f"/coordinator/allocations/{id_text}/publish").status_code == 404
    assert teacher.post(f"/school/students/{id_text}/rename", data={"display_name": "Anna"}).status_code == 404
    assert coordinator.get(f"/coordinator/career-days/{MAX_ID}").status_code == 404  # in range, no such row


def test_control_characters_are_removed_from_form_fields_before_anything_is_stored(app, world):
    coordinator = client_for(app, world, "coordinator")
    response = coordinator.post("/coordinator/programmes/new", data={"name": "BO-Tage\x00 2027\x1b", "description": "a\x00b\tc"})
    assert response.status_code == 302
    with app.app_context():
        programme = db.session.scalar(select(Programme).order_by(Programme.id.desc()))
        assert (programme.name, programme.description) == ("BO-Tage 2027", "ab\tc")


def test_query_strings_form_keys_and_upload_file_names_lose_their_control_characters(app):
    data = {"na\x00me": "x\x01y", "file": (io.BytesIO(b"Name\nAnna\n"), "9b\x00.csv")}
    with app.test_request_context("/?class=AB\x00CD\x7f", method="POST", data=data, content_type="multipart/form-data"):
        assert request.args["class"] == "ABCD"
        assert request.form["name"] == "xy"
        assert request.files["file"].filename == "9b.csv"


def test_wish_ranks_that_cannot_be_offer_ids_are_a_message(app, world):
    student = client_for(app, world, "student")
    with app.app_context():
        before = db.session.scalars(select(Preference.offer_id).order_by(Preference.id)).all()
    for ranks in (["9" * 5000, "1"], ["2147483648", "9223372036854775808"], ["\u00b2", "\u0663"]):
        response = student.post("/wishes/choose", data={"rank_1": ranks[0], "rank_2": ranks[1]})
        assert response.status_code == 422
        assert "Dieses Angebot gibt es an diesem Tag nicht." in response.text or "nur einmal" in response.text
    with app.app_context():
        assert db.session.scalars(select(Preference.offer_id).order_by(Preference.id)).all() == before


@pytest.mark.parametrize("value", ["9" * 300, "9" * 5000, "-4", "1.5", "1e3", "zwanzig"])
def test_a_number_field_with_any_other_text_says_which_numbers_it_takes(app, world, value):
    teacher = client_for(app, world, "school")
    response = teacher.post(f"/school/career-days/{world.ids['career_day_id']}/classes/new",
                            data={"name": "10c", "grade": "10", "headcount": value, "first_round": "1", "last_round": "3"})
    assert response.status_code == 422
    assert "Bitte geben Sie eine Zahl von 1 bis 60 ein." in response.text
    assert _count(app, SchoolClass) == 1  # the world's class only


def _career_day_form(day: date, **overrides) -> dict:
    return {"name": "BO-Tag Melle", "date": day.isoformat(), "venue": "0", "rounds-0-starts_at": "08:30",
            "rounds-0-ends_at": "09:15", "wishes_count": "3", "slots_per_student": "1", **overrides}


@pytest.mark.parametrize("overrides, message", [
    ({"date": "9999-12-31"}, "höchstens 5 Jahre im Voraus"),
    ({"retention_until": "9999-12-31"}, "höchstens 365 Tage nach dem Tag"),
    ({"booking_deadline": "0001-01-01T00:00"}, "im Jahr vor dem Tag"),
], ids=["the day", "retention", "a deadline"])
def test_dates_a_coordinator_cannot_mean_are_a_field_error(app, world, overrides, message):
    coordinator = client_for(app, world, "coordinator")
    day = date.today() + timedelta(days=30)
    response = coordinator.post(f"/coordinator/programmes/{world.ids['programme_id']}/career-days/new",
                                data=_career_day_form(day, **overrides))
    assert response.status_code == 422
    assert message in response.text
    assert _count(app, CareerDay) == 1


def test_a_workbook_with_a_doctype_is_not_a_valid_spreadsheet(app, world):
    teacher = client_for(app, world, "school")
    response = teacher.post(f"/school/classes/{world.ids['class_id']}/roster-file",
                            data={"file": (io.BytesIO(hostile.doctype()), "9b.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "konnte nicht als Excel-Arbeitsmappe" in response.text


def test_json_and_unreadable_bodies_are_refused_and_the_invitation_stays_open(app, world):
    client = client_for(app, world, "anonymous")
    url = f"/auth/invitation/{world.token}"
    assert client.post(url, json={"password": 12, "confirm": [1, 2]}).status_code == 415
    assert client.post(url, data=b"password=\xff\xfe&confirm=", content_type="application/x-www-form-urlencoded").status_code == 400
    assert client.post(url, data=b"--x\r\nbroken", content_type="multipart/form-data; boundary=x").status_code == 400
    with app.app_context():
        assert db.session.scalar(select(Invitation)).used_at is None
