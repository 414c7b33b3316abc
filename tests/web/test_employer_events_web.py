"""Employer events on the web: a company contact creates, publishes and runs an event; the public
finds it, registers a group without an account and manages it through the personal link."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import select

from scheduler_app.domain import employer_events as ev
from scheduler_app.extensions import db
from scheduler_app.models import EmployerEvent, EventRegistration, OutgoingMail, RegistrationStatus
from scheduler_app.models_base import utc_now
from tests.factories import make_company_contact, make_employer_event

SOON = (utc_now() + timedelta(days=30)).replace(hour=15, minute=0, second=0, microsecond=0)


def _event(app, capacity: int = 5, **fields) -> int:
    with app.app_context():
        event = make_employer_event(capacity=capacity, starts_at=SOON, published_at=utc_now(), address="Hafenstraße 1, Osnabrück",
                                    max_places_per_registration=10, **fields)
        db.session.commit()
        return event.id


def _form(event_id: int, **overrides) -> dict:
    data = {"name": "Frau Lehmann", "email": "lehmann@schule.example", "places": "3", "organisation": "Realschule",
            "comment": "Klasse 9b", "consent": "y"}
    data.update(overrides)
    return data


def _link(app, email: str) -> str:
    with app.app_context():
        body = db.session.scalars(select(OutgoingMail.body).where(OutgoingMail.recipient == email)
                                  .order_by(OutgoingMail.id.desc())).first()
    return re.search(r"http://localhost(/registration/\S+)", body).group(1)


def test_a_company_contact_creates_publishes_and_sees_a_registration(app, client, auth):
    with app.app_context():
        company_id = make_company_contact(email="firma@example.org").companies[0].id
        db.session.commit()
    auth.login("firma@example.org")
    start = SOON.strftime("%Y-%m-%dT%H:%M")
    end = (SOON + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    form = {"kind": "open_day", "title": "Tag der offenen Tür", "description": "Werkstatt", "occupational_field": "Metall",
            "min_grade": "0", "max_grade": "0", "address": "Hafenstraße 1, Osnabrück", "room_name": "", "starts_at": start,
            "ends_at": end, "capacity": "20", "registration_deadline": "", "max_places_per_registration": "30",
            "waitlist_enabled": "y"}
    response = client.post("/company/events/new", data=form)
    assert response.status_code == 302
    with app.app_context():
        event = db.session.scalars(select(EmployerEvent)).one()
        event_id = event.id
        assert event.published_at is None and event.company_id == company_id
    assert client.get(f"/events/{event_id}").status_code == 404  # a draft is invisible
    assert client.post(f"/company/events/{event_id}/publish").status_code == 302
    page = client.get(f"/events/{event_id}/tag-der-offenen-tuer")
    assert page.status_code == 200 and "Tag der offenen Tür" in page.text and "noch 20 Plätze frei" in page.text

    assert client.post(f"/events/{event_id}/register", data=_form(event_id)).status_code == 302
    detail = client.get(f"/company/events/{event_id}")
    assert "Frau Lehmann" in detail.text and "Realschule" in detail.text


def test_bad_event_input_keeps_what_was_typed_and_writes_nothing(app, client, auth):
    with app.app_context():
        make_company_contact(email="firma@example.org")
        db.session.commit()
    auth.login("firma@example.org")
    form = {"kind": "info_session", "title": "Infoabend Zerspanung", "address": "Hafenstraße 1", "min_grade": "0",
            "max_grade": "0", "starts_at": SOON.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (SOON - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"), "capacity": "20",
            "max_places_per_registration": "10"}
    response = client.post("/company/events/new", data=form)
    assert response.status_code == 422
    assert "Das Ende muss nach dem Beginn liegen." in response.text and "Infoabend Zerspanung" in response.text
    with app.app_context():
        assert db.session.scalars(select(EmployerEvent)).all() == []


def test_a_group_of_three_for_two_free_places_waits_and_moves_up_when_someone_cancels(app, client):
    event_id = _event(app, capacity=4)
    assert client.post(f"/events/{event_id}/register", data=_form(event_id, email="a@example.org", places="2")).status_code == 302
    response = client.post(f"/events/{event_id}/register", data=_form(event_id, places="3"))
    own_page = client.get(response.headers["Location"])
    assert "Warteliste" in own_page.text and "Position 1" in own_page.text

    first = _link(app, "a@example.org")
    assert client.post(f"{first}/cancel").status_code == 302
    assert client.get(first).status_code == 404  # a used link opens nothing
    with app.app_context():
        group = db.session.scalars(select(EventRegistration).where(EventRegistration.email == "lehmann@schule.example")).one()
        assert group.status is RegistrationStatus.confirmed
        assert db.session.scalars(select(OutgoingMail).where(OutgoingMail.template == "event_promoted")).one().recipient == \
            "lehmann@schule.example"


def test_the_same_address_twice_registers_once_and_mails_the_link_again(app, client):
    event_id = _event(app)
    client.post(f"/events/{event_id}/register", data=_form(event_id, places="1"))
    response = client.post(f"/events/{event_id}/register", data=_form(event_id, places="1"))
    assert response.status_code == 302
    assert "bereits angemeldet" in client.get(response.headers["Location"]).text
    with app.app_context():
        assert len(db.session.scalars(select(EventRegistration)).all()) == 1
        assert db.session.scalars(select(OutgoingMail).where(OutgoingMail.template == "event_link_again")).one()


def test_bad_registrations_answer_with_a_message_next_to_the_field(app, client):
    event_id = _event(app, capacity=5)
    for data, message in (
        (_form(event_id, places="0"), "Bitte geben Sie eine Zahl von 1 bis 50 ein."),
        (_form(event_id, places="6"), "5 Plätze"),
        (_form(event_id, consent=""), "Bitte stimmen Sie der Verarbeitung Ihrer Daten zu."),
        (_form(event_id, email=""), "Bitte geben Sie eine E-Mail-Adresse ein."),
        (_form(event_id, email="lehmann(at)schule"), "Bitte geben Sie eine gültige E-Mail-Adresse ein."),
    ):
        response = client.post(f"/events/{event_id}/register", data=data)
        assert response.status_code == 422, data
        assert message in response.text and 'value="Frau Lehmann"' in response.text
    with app.app_context():
        assert db.session.scalars(select(EventRegistration)).all() == []


def test_a_filled_honeypot_writes_nothing(app, client):
    event_id = _event(app)
    response = client.post(f"/events/{event_id}/register", data=_form(event_id, website="http://spam.example"))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(EventRegistration)).all() == []


def test_after_the_deadline_or_for_a_cancelled_event_the_form_is_closed(app, client):
    closed = _event(app, registration_deadline=datetime(2020, 1, 1))
    response = client.post(f"/events/{closed}/register", data=_form(closed))
    assert response.status_code == 422 and "Die Anmeldung für diese Veranstaltung ist geschlossen." in response.text
    cancelled = _event(app, cancelled_at=utc_now())
    assert "Abgesagt" in client.get(f"/events/{cancelled}").text
    assert client.post(f"/events/{cancelled}/register", data=_form(cancelled)).status_code == 422


def test_the_list_filters_by_kind_and_free_places(app, client):
    full = _event(app, capacity=1, title="Volle Werkstatt")
    _event(app, capacity=3, title="Freier Infoabend")
    with app.app_context():
        event = db.session.get(EmployerEvent, full)
        event.booked = 1
        db.session.commit()
    page = client.get("/events/?free=y").text
    assert "Freier Infoabend" in page and "Volle Werkstatt" not in page
    assert "Volle Werkstatt" in client.get("/events/").text
    assert "ausgebucht – Warteliste" in client.get(f"/events/{full}").text
    assert "Freier Infoabend" not in client.get("/events/?kind=workshop").text


def test_the_personal_link_lowers_and_raises_places(app, client):
    event_id = _event(app, capacity=5)
    client.post(f"/events/{event_id}/register", data=_form(event_id, places="3"))
    link = _link(app, "lehmann@schule.example")
    assert client.post(f"{link}/places", data={"places": "5"}).status_code == 302
    response = client.post(f"{link}/places", data={"places": "6"})
    assert response.status_code == 422
    assert client.post(f"{link}/places", data={"places": "1"}).status_code == 302
    with app.app_context():
        assert db.session.get(EmployerEvent, event_id).booked == 1
    assert client.get("/registration/" + "x" * 43).status_code == 404


def test_check_in_and_attendance_exports_show_names_and_group_sizes_only(app, client, auth):
    with app.app_context():
        contact = make_company_contact(email="firma@example.org")
        event = make_employer_event(company=contact.companies[0], starts_at=SOON, published_at=utc_now(), capacity=10,
                                    max_places_per_registration=10)
        site = ev.Site("http://localhost", "testing-secret")
        registration = ev.register(event, name="Frau Lehmann", email="geheim@example.org", places=4, now=utc_now(),
                                   site=site).registration
        db.session.commit()
        event_id, registration_id = event.id, registration.id
    auth.login("firma@example.org")
    assert client.post(f"/company/registrations/{registration_id}/attendance", data={"attended": "yes"}).status_code == 302
    csv_text = client.get(f"/company/events/{event_id}/attendance.csv").data.decode("utf-8-sig")
    assert "Frau Lehmann;4;ja" in csv_text and "geheim@example.org" not in csv_text
    assert client.get(f"/company/events/{event_id}/attendance.xlsx").data[:2] == b"PK"
    assert "Frau Lehmann" in client.get(f"/company/events/{event_id}/check-in").text
