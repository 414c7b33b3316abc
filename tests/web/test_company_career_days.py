"""The company contact's career-day screens: book, change and withdraw offers until the deadline;
after publication the door lists (print page and CSV, display name and class only)."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime

import pytest
from sqlalchemy import func, select

from scheduler_app.extensions import db
from scheduler_app.models import CareerDay, Offer, OrganisationKind, Room, Student, Venue
from tests import factories
from tests.web.career_day_helpers import make_day, publish_by_hand

CONTACT = "ausbildung@betrieb.example"


@pytest.fixture
def day(app):
    with app.app_context():
        career_day = make_day()
        company = factories.make_organisation(OrganisationKind.company, name="Hydraulik Nord GmbH")
        factories.make_company_contact(company, email=CONTACT)
        db.session.commit()
        return {"id": career_day.id, "company": company.id}


@pytest.fixture
def contact(client, auth, day):
    auth.login(CONTACT)
    return client


def _offer_form(**overrides) -> dict:
    data = {"title": "Mechatronik erleben", "description": "Wir bauen eine kleine Hydraulik.", "occupational_field": "Metall",
            "round_positions": ["1", "3"], "seats": "12", "min_size": "4", "min_grade": "8", "max_grade": "0",
            "room_wish": "Werkbank"}
    data.update(overrides)
    return data


def _error_at(html: str, field_id: str) -> str:
    found = re.search(rf'<p class="error" id="{re.escape(field_id)}-error">(.*?)</p>', html, re.S)
    return found.group(1) if found else ""


def _offers(app) -> list[Offer]:
    with app.app_context():
        offers = db.session.scalars(select(Offer).order_by(Offer.id)).all()
        return [(o.title, sorted((s.round.position, s.capacity, s.min_size) for s in o.slots), o.min_grade, o.max_grade)
                for o in offers]


def test_company_books_an_offer_in_two_rounds_and_sees_it_on_the_day(app, contact, day):
    assert "Mechatronik" not in contact.get("/company/career-days/").text

    response = contact.post(f"/company/career-days/{day['id']}/offers/new", data=_offer_form())

    assert response.status_code == 302
    page = contact.get(response.headers["Location"])
    assert "„Mechatronik erleben“ ist gebucht." in page.text
    assert _offers(app) == [("Mechatronik erleben", [(1, 12, 4), (3, 12, 4)], 8, None)]


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"round_positions": []}, "round_positions", "Runde"),
    ({"round_positions": ["7"]}, "round_positions", "7"),
    ({"min_size": "13"}, "min_size", "Mindest"),
    ({"seats": "0"}, "seats", "1"),
    ({"min_grade": "10", "max_grade": "8"}, "max_grade", "Klassenstufe"),
    ({"title": ""}, "title", "Titel"),
], ids=["no round", "unknown round", "minimum above seats", "no seats", "grades reversed", "no title"])
def test_bad_offer_input_is_shown_at_the_field_with_the_input_kept_and_nothing_booked(app, contact, day, overrides, field,
                                                                                        message):
    response = contact.post(f"/company/career-days/{day['id']}/offers/new", data=_offer_form(**overrides))

    assert response.status_code == 422
    assert message in _error_at(response.text, field)
    assert "Wir bauen eine kleine Hydraulik.</textarea>" in response.text
    assert _offers(app) == []


def test_the_same_offer_form_submitted_twice_books_once(app, contact, day):
    contact.post(f"/company/career-days/{day['id']}/offers/new", data=_offer_form())

    again = contact.post(f"/company/career-days/{day['id']}/offers/new", data=_offer_form())

    assert again.status_code == 422
    assert "Titel" in _error_at(again.text, "title")
    assert len(_offers(app)) == 1


def test_company_changes_rounds_and_seats_of_its_offer(app, contact, day):
    contact.post(f"/company/career-days/{day['id']}/offers/new", data=_offer_form())
    offer_id = _offer_id(app)
    form = contact.get(f"/company/offers/{offer_id}/edit").text
    assert 'value="12"' in form and re.search(r'value="3"\s+checked|checked[^>]*value="3"', form)

    response = contact.post(f"/company/offers/{offer_id}/edit", data=_offer_form(round_positions=["2"], seats="20"))

    assert response.status_code == 302
    assert _offers(app) == [("Mechatronik erleben", [(2, 20, 4)], 8, None)]


def _offer_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Offer.id))


def test_more_seats_than_the_assigned_room_holds_are_refused(app, contact, day):
    contact.post(f"/company/career-days/{day['id']}/offers/new", data=_offer_form())
    with app.app_context():
        venue = Venue(name="BBS Bramsche", street="Schulstr. 1", postcode="49565", city="Bramsche")
        room = Room(venue=venue, name="A 101", capacity=15)
        db.session.add_all([venue, room])
        db.session.scalar(select(Offer)).room = room
        db.session.commit()

    response = contact.post(f"/company/offers/{_offer_id(app)}/edit", data=_offer_form(seats="16"))

    assert response.status_code == 422
    assert "A 101" in _error_at(response.text, "seats") and "15" in _error_at(response.text, "seats")
    assert _offers(app)[0][1] == [(1, 12, 4), (3, 12, 4)]


def test_company_withdraws_its_offer(app, contact, day):
    contact.post(f"/company/career-days/{day['id']}/offers/new", data=_offer_form())

    response = contact.post(f"/company/offers/{_offer_id(app)}/withdraw")

    assert response.status_code == 302
    assert "zurückgezogen" in contact.get(response.headers["Location"]).text
    assert _offers(app) == []


def test_after_the_booking_deadline_nothing_can_be_booked(app, contact, day):
    with app.app_context():
        db.session.get(CareerDay, day["id"]).booking_deadline = datetime(2020, 5, 4, 18, 0)
        db.session.commit()

    page = contact.get(f"/company/career-days/{day['id']}")
    response = contact.post(f"/company/career-days/{day['id']}/offers/new", data=_offer_form())

    assert "Angebot buchen" not in page.text
    assert response.status_code == 422
    assert "04.05.2020, 18:00" in _error_at(response.text, "title")
    assert _offers(app) == []


def test_another_companys_offer_answers_404_and_stays(app, contact, day):
    with app.app_context():
        other = factories.make_offer(db.session.get(CareerDay, day["id"]), title="Fremdes Angebot")
        db.session.commit()
        other_id = other.id

    assert contact.get(f"/company/offers/{other_id}/edit").status_code == 404
    assert contact.post(f"/company/offers/{other_id}/withdraw").status_code == 404
    assert "Fremdes Angebot" not in contact.get(f"/company/career-days/{day['id']}").text
    with app.app_context():
        assert db.session.scalar(select(func.count(Offer.id))) == 1


def _published_day(app, day):
    """The company's offer in round 1 with two students of class 9b; another company's offer with a third."""
    with app.app_context():
        career_day = db.session.get(CareerDay, day["id"])
        own = factories.make_offer(career_day, company=db.session.get(factories.Organisation, day["company"]),
                                   title="Mechatronik", rounds=[1])
        other = factories.make_offer(career_day, title="Pflege", rounds=[1])
        school_class = factories.make_school_class(career_day, name="9b", students=3)
        first, second, third = sorted(school_class.students, key=lambda s: s.display_name)
        first.display_name = "=HYPERLINK(1)"
        publish_by_hand(career_day, {first: [own.slots[0]], second: [own.slots[0]], third: [other.slots[0]]})
        db.session.commit()


def test_door_lists_wait_for_publication(app, contact, day):
    response = contact.get(f"/company/career-days/{day['id']}/door-lists.csv")

    assert response.status_code == 302
    assert "noch nicht veröffentlicht" in contact.get(response.headers["Location"]).text


def test_door_list_shows_only_the_companys_attendees_with_name_and_class(app, contact, day):
    _published_day(app, day)

    page = contact.get(f"/company/career-days/{day['id']}/door-lists")

    assert page.status_code == 200
    assert "Mechatronik – Runde 1" in page.text and "Pflege" not in page.text
    assert "Student 2" in page.text and "Student 3" not in page.text
    with app.app_context():
        codes = db.session.scalars(select(Student.personal_code)).all()
    assert not any(code in page.text for code in codes)


def test_door_list_csv_opens_in_german_excel_and_keeps_names_as_text(app, contact, day):
    _published_day(app, day)

    response = contact.get(f"/company/career-days/{day['id']}/door-lists.csv")

    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Angebot", "Runde", "Uhrzeit", "Raum", "Schüler/in", "Klasse"]
    assert sorted(row[4] for row in rows[1:]) == ["'=HYPERLINK(1)", "Student 2"]
    assert {row[5] for row in rows[1:]} == {"9b"}
    assert {row[0] for row in rows[1:]} == {"Mechatronik"}
