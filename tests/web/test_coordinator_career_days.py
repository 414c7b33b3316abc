"""The coordinator's career-day screens: create and change a day (bad input shown at the field,
nothing written), follow its progress in charts, invite contacts from a contact list."""
from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from scheduler_app.extensions import db
from scheduler_app.models import CareerDay, Invitation, Organisation, OrganisationKind, Programme, Round, Venue
from tests import factories

DAY = date.today() + timedelta(days=60)
COORDINATOR = "coordinator@example.org"


def _setup(app) -> dict:
    """A coordinator with a programme; another agency's programme beside it."""
    with app.app_context():
        coordinator = factories.make_coordinator(email=COORDINATOR)
        programme = factories.make_programme(agency=coordinator.memberships[0].organisation, name="BO-Tage 2027")
        other = factories.make_programme(name="Fremdes Programm")
        venue = Venue(agency_id=programme.agency_id, name="Schulzentrum Bramsche", city="Bramsche")
        other_venue = Venue(agency_id=other.agency_id, name="Fremde Halle", city="Melle")
        db.session.add_all([venue, other_venue])
        db.session.commit()
        return {"programme": programme.id, "other_programme": other.id, "venue": venue.id, "other_venue": other_venue.id}


def _form(**overrides) -> dict:
    data = {
        "name": "BO-Tag Bramsche", "date": DAY.isoformat(), "venue": "0",
        "venue_name": "", "venue_street": "", "venue_postcode": "", "venue_city": "",
        "rounds-0-starts_at": "08:30", "rounds-0-ends_at": "09:15",
        "rounds-1-starts_at": "09:30", "rounds-1-ends_at": "10:15",
        "rounds-2-starts_at": "10:30", "rounds-2-ends_at": "11:15",
        "booking_deadline": f"{DAY - timedelta(days=30)}T18:00",
        "registration_deadline": f"{DAY - timedelta(days=21)}T18:00",
        "wishes_deadline": f"{DAY - timedelta(days=7)}T18:00",
        "wishes_count": "5", "slots_per_student": "3", "max_students": "", "retention_until": "",
    }
    data.update(overrides)
    return data


def test_a_coordinator_chooses_only_among_their_agencys_venues(app, client, auth):
    ids = _setup(app)
    auth.login(COORDINATOR)
    form_page = client.get(f"/coordinator/programmes/{ids['programme']}/career-days/new").text
    assert "Schulzentrum Bramsche" in form_page and "Fremde Halle" not in form_page

    response = client.post(f"/coordinator/programmes/{ids['programme']}/career-days/new",
                           data=_form(venue=str(ids["other_venue"])))

    assert response.status_code == 422
    assert _career_day_count(app) == 0


def _career_day_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(CareerDay.id)))


def test_coordinator_creates_a_career_day_with_rounds_and_deadlines_and_lands_on_its_page(app, client, auth):
    ids = _setup(app)
    auth.login(COORDINATOR)

    response = client.post(f"/coordinator/programmes/{ids['programme']}/career-days/new",
                           data=_form(venue=str(ids["venue"]), max_students="180"))

    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert "<h1>BO-Tag Bramsche</h1>" in page.text
    assert "BO-Tag „BO-Tag Bramsche“ angelegt." in page.text or "„BO-Tag Bramsche“" in page.text
    with app.app_context():
        career_day = db.session.scalar(select(CareerDay))
        assert (career_day.date, career_day.venue_id, career_day.max_students) == (DAY, ids["venue"], 180)
        assert [(r.position, r.starts_at, r.ends_at) for r in career_day.rounds] == [
            (1, time(8, 30), time(9, 15)), (2, time(9, 30), time(10, 15)), (3, time(10, 30), time(11, 15))]
        assert career_day.wishes_deadline.date() == DAY - timedelta(days=7)


def test_a_new_venue_is_created_with_the_career_day(app, client, auth):
    ids = _setup(app)
    auth.login(COORDINATOR)

    response = client.post(f"/coordinator/programmes/{ids['programme']}/career-days/new",
                           data=_form(venue="-1", venue_name="Stadthalle Melle", venue_city="Melle"))

    assert response.status_code == 302
    with app.app_context():
        career_day = db.session.scalar(select(CareerDay))
        assert (career_day.venue.name, career_day.venue.city) == ("Stadthalle Melle", "Melle")


@pytest.mark.parametrize(
    ("overrides", "error_id", "message"),
    [
        ({"rounds-1-ends_at": "09:00"}, "rounds-error", "Runde 2 muss nach ihrem Beginn enden."),
        ({"wishes_deadline": f"{DAY + timedelta(days=1)}T08:00"}, "wishes_deadline-error",
         "Fristen müssen vor Beginn des Tages liegen."),
        ({"name": "x" * 300}, "name-error", "Feld kann nicht länger als 200 Zeichen sein."),
        ({"rounds-0-ends_at": ""}, "rounds-0-ends_at-error", None),
        ({"venue": "-1"}, "venue_name-error", None),
    ],
    ids=["round ends before it starts", "deadline after the day", "300-character name", "start without end",
         "new venue without a name"],
)
def test_bad_career_day_input_is_shown_at_the_field_input_kept_nothing_written(app, client, auth, overrides, error_id,
                                                                               message):
    ids = _setup(app)
    auth.login(COORDINATOR)

    response = client.post(f"/coordinator/programmes/{ids['programme']}/career-days/new",
                           data=_form(**overrides, wishes_count="7"))

    assert response.status_code == 422
    assert f'id="{error_id}"' in response.text
    if message:
        assert message in response.text
    assert 'value="7"' in response.text  # what the user typed is kept
    assert _career_day_count(app) == 0
    with app.app_context():
        assert db.session.scalar(select(func.count(Venue.id))) == 2  # no new venue: the two from _setup


def test_a_career_day_in_another_agencys_programme_is_not_found(app, client, auth):
    ids = _setup(app)
    auth.login(COORDINATOR)

    assert client.get(f"/coordinator/programmes/{ids['other_programme']}/career-days/new").status_code == 404
    assert client.post(f"/coordinator/programmes/{ids['other_programme']}/career-days/new", data=_form()).status_code == 404
    assert _career_day_count(app) == 0


def test_editing_shows_the_current_settings_and_saves_changed_rounds(app, client, auth):
    ids = _setup(app)
    with app.app_context():
        career_day = factories.make_career_day(db.session.get(Programme, ids["programme"]), rounds=2, day=DAY,
                                               name="BO-Tag Melle")
        db.session.commit()
        day_id = career_day.id
    auth.login(COORDINATOR)

    form = client.get(f"/coordinator/career-days/{day_id}/edit")
    assert form.status_code == 200
    assert 'value="BO-Tag Melle"' in form.text and 'value="08:30"' in form.text and 'value="09:30"' in form.text

    response = client.post(f"/coordinator/career-days/{day_id}/edit",
                           data=_form(name="BO-Tag Melle", booking_deadline="", registration_deadline="", wishes_deadline=""))

    assert response.status_code == 302
    with app.app_context():
        rounds = db.session.scalars(select(Round).where(Round.career_day_id == day_id).order_by(Round.position)).all()
        assert [(r.starts_at, r.ends_at) for r in rounds] == [(time(8, 30), time(9, 15)), (time(9, 30), time(10, 15)),
                                                             (time(10, 30), time(11, 15))]


def test_progress_page_shows_offers_classes_and_wishes_as_charts_with_their_numbers(app, client, auth):
    ids = _setup(app)
    with app.app_context():
        programme = db.session.get(Programme, ids["programme"])
        career_day = factories.make_career_day(programme, rounds=2, day=DAY, name="BO-Tag Bramsche")
        factories.make_offer(career_day, capacity=17)
        factories.make_offer(career_day, capacity=13, rounds=[1])
        school = factories.make_organisation(OrganisationKind.school, name="Realschule Bramsche")
        school_class = factories.make_school_class(career_day, school=school, students=4, headcount=25)
        school_class.students[0].wishes_submitted_at = datetime(2027, 1, 1)
        db.session.commit()
        day_id = career_day.id
    auth.login(COORDINATOR)

    page = client.get(f"/coordinator/career-days/{day_id}")

    assert page.status_code == 200
    text = page.text
    assert '<svg class="chart-svg" role="img" aria-labelledby="chart-rounds-title chart-rounds-desc"' in text
    assert '<th scope="row">Runde 1 (08:30)</th><td class="num">30</td><td class="num">25</td>' in text
    assert '<th scope="row">Runde 2 (09:30)</th><td class="num">17</td><td class="num">25</td>' in text
    assert '<th scope="row">Realschule Bramsche</th><td class="num">25</td><td class="num">4</td><td class="num">1</td>' in text
    assert "1 von 4 (25 %)" in text
    assert "Zuteilung starten" in text
    assert "style=" not in text


def test_empty_career_day_explains_the_next_steps_and_offers_no_allocation(app, client, auth):
    ids = _setup(app)
    with app.app_context():
        career_day = factories.make_career_day(db.session.get(Programme, ids["programme"]), day=DAY)
        db.session.commit()
        day_id = career_day.id
    auth.login(COORDINATOR)

    page = client.get(f"/coordinator/career-days/{day_id}")

    assert page.status_code == 200
    assert "Noch keine Schule hat eine Klasse angemeldet." in page.text
    assert "Zuteilung starten" not in page.text


def test_the_programme_page_links_to_its_career_days_and_to_a_new_one(app, client, auth):
    ids = _setup(app)
    with app.app_context():
        career_day = factories.make_career_day(db.session.get(Programme, ids["programme"]), day=DAY)
        db.session.commit()
        day_id = career_day.id
    auth.login(COORDINATOR)

    page = client.get(f"/coordinator/programmes/{ids['programme']}")

    assert f'href="/coordinator/career-days/{day_id}"' in page.text
    assert f'href="/coordinator/programmes/{ids["programme"]}/career-days/new"' in page.text


# ---------------------------------------------------------------------------------------------
# contact lists


def _career_day(app, ids) -> int:
    with app.app_context():
        career_day = factories.make_career_day(db.session.get(Programme, ids["programme"]), day=DAY)
        db.session.commit()
        return career_day.id


def _xlsx(rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_good_contact_list_registers_organisations_and_queues_one_invitation_per_row(app, client, auth):
    ids = _setup(app)
    day_id = _career_day(app, ids)
    auth.login(COORDINATOR)
    data = _xlsx([["Organisation", "Art", "Ansprechperson", "E-Mail"],
                  ["Realschule Bramsche", "Schule", "Frau Meyer", "meyer@rs-bramsche.example"],
                  ["Melle Antriebstechnik", "Unternehmen", "Herr Kaya", "kaya@melle-antrieb.example"]])

    response = client.post(f"/coordinator/career-days/{day_id}/contacts",
                           data={"file": (io.BytesIO(data), "kontakte.xlsx")}, content_type="multipart/form-data")

    assert response.status_code == 302
    assert "2 Einladungen wurden verschickt." in client.get(response.headers["Location"]).text
    with app.app_context():
        assert sorted(db.session.scalars(select(Invitation.email))) == ["kaya@melle-antrieb.example", "meyer@rs-bramsche.example"]
        assert db.session.scalar(select(func.count(Organisation.id)).where(Organisation.name == "Realschule Bramsche")) == 1


def test_a_contact_list_with_bad_rows_shows_every_bad_row_and_imports_nothing(app, client, auth):
    ids = _setup(app)
    day_id = _career_day(app, ids)
    auth.login(COORDINATOR)
    csv = ("Organisation;Art;Ansprechperson;E-Mail\r\n"
           "Realschule Bramsche;Schule;Frau Meyer;meyer@rs-bramsche.example\r\n"
           "Gymnasium Melle;Verein;Herr Brandt;brandt@gym-melle.example\r\n"
           "Oberschule Bohmte;Schule;Frau Sommer;keine-adresse\r\n").encode("utf-8")

    response = client.post(f"/coordinator/career-days/{day_id}/contacts",
                           data={"file": (io.BytesIO(csv), "kontakte.csv")}, content_type="multipart/form-data")

    assert response.status_code == 422
    assert "Bitte korrigieren Sie 2 Zeilen in der Datei." in response.text
    assert '<th scope="row" class="num">3</th>' in response.text and '<th scope="row" class="num">4</th>' in response.text
    assert "Verein" in response.text and "keine-adresse" in response.text
    with app.app_context():
        assert db.session.scalar(select(func.count(Invitation.id))) == 0
        assert db.session.scalar(select(func.count(Organisation.id)).where(Organisation.name == "Realschule Bramsche")) == 0


def test_a_contact_list_that_is_not_csv_or_xlsx_is_refused_at_the_field(app, client, auth):
    ids = _setup(app)
    day_id = _career_day(app, ids)
    auth.login(COORDINATOR)

    response = client.post(f"/coordinator/career-days/{day_id}/contacts",
                           data={"file": (io.BytesIO(b"hello"), "kontakte.txt")}, content_type="multipart/form-data")

    assert response.status_code == 422
    assert 'id="file-error"' in response.text
