"""Programmes: a coordinator creates one (bad input is shown at the field, nothing written) and sees
everything it holds."""
from datetime import datetime

import pytest
from sqlalchemy import func, select

from scheduler_app.domain.errors import DomainError, NotAllowed
from scheduler_app.domain.programmes import create_programme
from scheduler_app.extensions import db
from scheduler_app.models import AuditEntry, Membership, Organisation, OrganisationKind, Programme, Role
from tests import factories

NOW = datetime(2026, 11, 2, 9, 0)


def _coordinator(app, email="coordinator@example.org"):
    with app.app_context():
        user = factories.make_coordinator(email=email)
        agency_id = user.memberships[0].organisation_id
        db.session.commit()
        return agency_id


def _programme_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Programme.id)))


def test_coordinator_creates_programme_and_lands_on_its_page(app, client, auth):
    agency_id = _coordinator(app)
    auth.login("coordinator@example.org")

    response = client.post("/coordinator/programmes/new", data={"name": "  BO-Tage Landkreis Osnabrück 2027 ", "description": "Frühjahr"})

    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert "<h1>BO-Tage Landkreis Osnabrück 2027</h1>" in page.text
    assert "Programm „BO-Tage Landkreis Osnabrück 2027“ angelegt." in page.text
    with app.app_context():
        programme = db.session.scalar(select(Programme))
        assert (programme.name, programme.description, programme.agency_id) == ("BO-Tage Landkreis Osnabrück 2027", "Frühjahr", agency_id)
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "programme.create"))
        assert entry.object_id == programme.id and entry.actor.email == "coordinator@example.org"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Bitte geben Sie einen Namen ein."),
        ("   ", "Bitte geben Sie einen Namen ein."),
        ("x" * 300, "Feld kann nicht länger als 200 Zeichen sein."),
    ],
    ids=["empty", "blank", "300 characters"],
)
def test_bad_programme_name_is_shown_at_the_field_and_nothing_is_written(app, client, auth, name, message):
    _coordinator(app)
    auth.login("coordinator@example.org")

    response = client.post("/coordinator/programmes/new", data={"name": name, "description": "Meine Beschreibung"})

    assert response.status_code == 200
    assert f'<p class="error" id="name-error">{message}</p>' in response.text
    assert 'aria-invalid="true"' in response.text
    assert "Meine Beschreibung" in response.text
    assert _programme_count(app) == 0


def test_duplicate_programme_name_is_shown_at_the_field_and_kept(app, client, auth):
    agency_id = _coordinator(app)
    with app.app_context():
        factories.make_programme(db.session.get(Organisation, agency_id), name="BO-Tage 2027")
        db.session.commit()
    auth.login("coordinator@example.org")

    response = client.post("/coordinator/programmes/new", data={"name": "bo-tage 2027", "description": ""})

    assert response.status_code == 200
    assert "Ein Programm mit diesem Namen gibt es bereits." in response.text
    assert 'id="name-error"' in response.text
    assert 'value="bo-tage 2027"' in response.text
    assert _programme_count(app) == 1


def test_programme_page_lists_events_of_all_three_kinds(app, client, auth):
    agency_id = _coordinator(app)
    with app.app_context():
        agency = db.session.get(Organisation, agency_id)
        programme = factories.make_programme(agency, name="Woche der Jobcenter 2027")
        factories.make_career_day(programme, name="Azubi-Speed-Dating Nord")
        factories.make_employer_event(programme=programme, title="Tag der offenen Tür Bäckerei")
        alliance = factories.make_alliance(coordinating_agency=agency)
        factories.make_alliance_meeting(alliance, programme=programme, title="Frühjahrstreffen")
        programme_id = programme.id
        db.session.commit()
    auth.login("coordinator@example.org")

    page = client.get(f"/coordinator/programmes/{programme_id}").text

    for title in ("Azubi-Speed-Dating Nord", "Tag der offenen Tür Bäckerei", "Frühjahrstreffen"):
        assert title in page
    assert "Noch kein" not in page


def test_empty_programme_page_says_what_to_do_for_each_kind(app, client, auth):
    agency_id = _coordinator(app)
    with app.app_context():
        programme_id = factories.make_programme(db.session.get(Organisation, agency_id)).id
        db.session.commit()
    auth.login("coordinator@example.org")

    page = client.get(f"/coordinator/programmes/{programme_id}").text

    assert "Noch kein Berufsorientierungstag. Fügen Sie einen Berufsorientierungstag mit seinen Runden hinzu" in page
    assert "Noch keine Arbeitgeberveranstaltung in diesem Programm." in page
    assert "Noch kein Bündnistreffen in diesem Programm." in page
    assert 'id="career-day-actions"' in page


def test_programme_of_another_agency_is_not_found(app, client, auth):
    _coordinator(app)
    with app.app_context():
        other_id = factories.make_programme(name="Fremdes Programm").id
        db.session.commit()
    auth.login("coordinator@example.org")

    response = client.get(f"/coordinator/programmes/{other_id}")

    assert response.status_code == 404
    assert "Fremdes Programm" not in response.text


def test_school_contact_may_not_open_the_programme_form(app, client, auth):
    with app.app_context():
        factories.make_school_contact(email="teacher@example.org")
        db.session.commit()
    auth.login("teacher@example.org")

    assert client.get("/coordinator/programmes/new").status_code == 403
    assert client.post("/coordinator/programmes/new", data={"name": "X"}).status_code == 403
    assert _programme_count(app) == 0


def test_create_programme_refuses_an_agency_the_actor_does_not_coordinate(db_session):
    actor = factories.make_coordinator()
    other_agency = factories.make_organisation(OrganisationKind.agency)

    with pytest.raises(NotAllowed):
        create_programme(actor, other_agency, "Fremd", None, NOW)
    assert db_session.scalar(select(func.count(Programme.id))) == 0


def test_create_programme_rejects_a_name_longer_than_200_characters(db_session):
    actor = factories.make_coordinator()

    with pytest.raises(DomainError) as raised:
        create_programme(actor, actor.memberships[0].organisation, "x" * 201, None, NOW)
    assert raised.value.field == "name"


def test_coordinator_of_two_agencies_chooses_the_agency(app, client, auth):
    with app.app_context():
        user = factories.make_coordinator(email="coordinator@example.org")
        second = factories.make_organisation(OrganisationKind.agency, name="Jobcenter Süd")
        db.session.add(Membership(user=user, organisation=second, role=Role.coordinator))
        second_id = second.id
        db.session.commit()
    auth.login("coordinator@example.org")

    form = client.get("/coordinator/programmes/new").text
    response = client.post("/coordinator/programmes/new", data={"agency": str(second_id), "name": "Süd 2027"})

    assert '<label for="agency">Koordinierungsstelle</label>' in form and "Jobcenter Süd" in form
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Programme.agency_id)) == second_id
