"""Employer events for coordinators (every event of the agency's companies, unpublish, gather into a
programme, charts, export) and teachers (register a class with its headcount)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from scheduler_app.domain import employer_events as ev
from scheduler_app.extensions import db
from scheduler_app.models import EmployerEvent, EventRegistration, OrganisationKind, RegistrationStatus
from scheduler_app.models_base import utc_now
from tests.factories import (
    agency_of,
    make_career_day,
    make_coordinator,
    make_employer_event,
    make_organisation,
    make_programme,
    make_school_class,
    make_school_contact,
)

SOON = (utc_now() + timedelta(days=30)).replace(hour=15, minute=0, second=0, microsecond=0)
SITE = ev.Site("http://localhost", "testing-secret")


def _world(app):
    with app.app_context():
        coordinator = make_coordinator(email="koordination@example.org")
        agency = agency_of(coordinator)
        company = make_organisation(OrganisationKind.company, name="Partnerbetrieb", partner_of=agency)
        stranger = make_organisation(OrganisationKind.company, name="Fremder Betrieb")
        programme = make_programme(agency, name="Woche der kommunalen Jobcenter 2027")
        event = make_employer_event(company=company, title="Infoabend Partner", starts_at=SOON, published_at=utc_now(),
                                    capacity=4, max_places_per_registration=10)
        make_employer_event(company=stranger, title="Infoabend Fremd", starts_at=SOON, published_at=utc_now())
        ev.register(event, name="Schule A", email="a@schule.example", places=3, now=utc_now(), site=SITE,
                    organisation_name="Realschule Melle")
        ev.register(event, name="Schule B", email="b@schule.example", places=2, now=utc_now(), site=SITE,
                    organisation_name="IGS Melle")
        db.session.commit()
        return {"event": event.id, "programme": programme.id, "agency": agency.id}


def test_a_coordinator_sees_only_the_events_of_companies_the_agency_works_with(app, client, auth):
    world = _world(app)
    auth.login("koordination@example.org")
    page = client.get("/coordinator/events/").text
    assert "Infoabend Partner" in page and "Infoabend Fremd" not in page
    with app.app_context():
        stranger_event = db.session.scalars(select(EmployerEvent).where(EmployerEvent.title == "Infoabend Fremd")).one().id
    assert client.post(f"/coordinator/events/{stranger_event}/unpublish").status_code == 404
    assert client.post(f"/coordinator/events/{world['event']}/programme",
                       data={"programme": str(world["programme"])}).status_code == 302
    charts = client.get(f"/coordinator/programmes/{world['programme']}/event-charts").text
    assert "Infoabend Partner" in charts and "Realschule Melle" in charts
    export = client.get(f"/coordinator/programmes/{world['programme']}/registrations.csv").data.decode("utf-8-sig")
    assert "Realschule Melle" in export and "IGS Melle" in export and "Warteliste" in export
    assert client.get(f"/coordinator/programmes/{world['programme']}/registrations.xlsx").data[:2] == b"PK"
    assert "Infoabend Partner" in client.get(f"/programmes/{world['programme']}").text
    assert client.post(f"/coordinator/events/{world['event']}/unpublish").status_code == 302
    assert client.get(f"/events/{world['event']}").status_code == 404


def test_a_teacher_registers_a_class_with_its_headcount(app, client, auth):
    world = _world(app)
    with app.app_context():
        teacher = make_school_contact(email="lehrkraft@example.org")
        school_class = make_school_class(make_career_day(), school=teacher.schools[0], headcount=1, name="9b")
        db.session.commit()
        class_id = school_class.id
    auth.login("lehrkraft@example.org")
    assert "Infoabend Partner" in client.get("/school/events/").text
    assert client.post(f"/school/events/{world['event']}/register", data={"class": str(class_id)}).status_code == 302
    with app.app_context():
        registration = db.session.scalars(select(EventRegistration).where(EventRegistration.class_id == class_id)).one()
        assert registration.places == 1 and registration.status is RegistrationStatus.confirmed
    assert "9b" in client.get("/school/events/").text
    assert client.post(f"/school/events/{world['event']}/register", data={"class": "999"}).status_code == 404


def test_a_coordinator_creates_and_publishes_an_event_on_a_companys_behalf_and_edits_the_privacy_notice(app, client, auth):
    world = _world(app)
    with app.app_context():
        company_id = db.session.get(EmployerEvent, world["event"]).company_id
        stranger_id = db.session.scalars(select(EmployerEvent).where(EmployerEvent.title == "Infoabend Fremd")).one().company_id
    auth.login("koordination@example.org")
    assert client.get(f"/coordinator/companies/{stranger_id}/events/new").status_code == 404
    form = {"kind": "workshop", "title": "Workshop im Auftrag", "address": "Hafenstraße 1", "min_grade": "0", "max_grade": "0",
            "starts_at": SOON.strftime("%Y-%m-%dT%H:%M"), "ends_at": (SOON + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "capacity": "12", "max_places_per_registration": "10"}
    assert client.post(f"/coordinator/companies/{company_id}/events/new", data=form).status_code == 302
    with app.app_context():
        event = db.session.scalars(select(EmployerEvent).where(EmployerEvent.title == "Workshop im Auftrag")).one()
        assert event.company_id == company_id and event.published_at is None
        event_id = event.id
    assert client.post(f"/coordinator/events/{event_id}/publish").status_code == 302
    assert client.get(f"/events/{event_id}").status_code == 200

    assert client.get("/coordinator/privacy-notice").status_code == 200
    assert client.post("/coordinator/privacy-notice", data={"agency": str(world["agency"]),
                                                            "text": "Verantwortlich ist das Jobcenter."}).status_code == 302
    assert "Verantwortlich ist das Jobcenter." in client.get(f"/events/{event_id}/privacy").text


def test_a_coordinator_holds_a_companys_event_again_as_a_draft_and_a_bad_start_keeps_the_form(app, client, auth):
    world = _world(app)
    with app.app_context():
        stranger_event = db.session.scalars(select(EmployerEvent).where(EmployerEvent.title == "Infoabend Fremd")).one().id
    auth.login("koordination@example.org")
    assert f"/coordinator/events/{world['event']}/duplicate" in client.get("/coordinator/events/").text
    assert client.get(f"/coordinator/events/{stranger_event}/duplicate").status_code == 404

    refused = client.post(f"/coordinator/events/{world['event']}/duplicate", data={"starts_at": "2001-01-01T10:00"})
    assert refused.status_code == 422 and 'value="2001-01-01T10:00"' in refused.text  # a start in the past: what was typed stays

    later = SOON + timedelta(days=14)
    assert client.post(f"/coordinator/events/{world['event']}/duplicate",
                       data={"starts_at": later.strftime("%Y-%m-%dT%H:%M")}).status_code == 302
    with app.app_context():
        copies = db.session.scalars(select(EmployerEvent).where(EmployerEvent.title == "Infoabend Partner")
                                    .order_by(EmployerEvent.id)).all()
        assert len(copies) == 2
        original, copy = copies
        assert copy.starts_at == later and copy.published_at is None and copy.registrations == []
        assert copy.company_id == original.company_id and copy.capacity == original.capacity
