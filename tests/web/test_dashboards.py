"""Each role's dashboard: counts from the database when there is data, and empty states (in German)
that say what to do next when there is none."""
from datetime import date, datetime

from scheduler_app.extensions import db
from scheduler_app.models import EventRegistration, Preference, RegistrationStatus
from scheduler_app.models_base import utc_now
from tests import factories

# Dates far ahead, so that "upcoming" and "open for registration" stay true whenever the suite runs.
FUTURE_DAY = date(utc_now().year + 2, 3, 10)
FUTURE_EVENT = datetime(utc_now().year + 2, 4, 20, 15, 0)


def _login(client, email):
    response = client.post("/auth/login", data={"email": email, "password": factories.PASSWORD})
    assert response.status_code == 302


def test_coordinator_without_programme_is_told_to_create_one(app, client):
    with app.app_context():
        factories.make_coordinator(email="c@example.org")
        db.session.commit()
    _login(client, "c@example.org")

    page = client.get("/coordinator/").text

    assert "Noch kein Programm vorhanden. Legen Sie ein Programm an und fügen Sie ihm dann einen Berufsorientierungstag hinzu." in page
    assert 'href="/coordinator/programmes/new"' in page
    assert "Keine Arbeitgeberveranstaltung geplant." in page
    assert "Kein Bündnistreffen geplant." in page
    assert "Noch keine Schule und kein Unternehmen." in page


def test_coordinator_sees_career_day_counts_and_what_comes_up(app, client):
    with app.app_context():
        coordinator = factories.make_coordinator(email="c@example.org")
        agency = coordinator.memberships[0].organisation
        programme = factories.make_programme(agency, name="BO-Tage Kreis 2027")
        day = factories.make_career_day(programme, name="BO-Tag Realschule", day=FUTURE_DAY)
        offers = [factories.make_offer(day, title=f"Angebot {i}") for i in range(3)]
        first = factories.make_school_class(day, students=4)
        factories.make_school_class(day, school=first.school, students=2)
        for student in first.students[:2]:  # two students ranked wishes, one of them twice
            db.session.add(Preference(student=student, offer=offers[0], rank=1))
        db.session.add(Preference(student=first.students[0], offer=offers[1], rank=2))
        factories.make_employer_event(programme=programme, title="Infoabend Pflege", starts_at=FUTURE_EVENT)
        factories.make_employer_event(programme=factories.make_programme(name="Fremd"), title="Fremder Infoabend", starts_at=FUTURE_EVENT)
        factories.make_employer_event(title="Vergangener Infoabend", starts_at=datetime(2020, 1, 1, 15, 0))
        alliance = factories.make_alliance(coordinating_agency=agency)
        factories.make_alliance_meeting(alliance, title="Herbsttreffen", candidates=[FUTURE_EVENT], chosen=0)
        factories.make_alliance_meeting(alliance, title="Umfragetreffen", candidates=[FUTURE_EVENT])
        db.session.commit()
    _login(client, "c@example.org")

    page = client.get("/coordinator/").text

    row = page[page.index("BO-Tag Realschule"):page.index("</tr>", page.index("BO-Tag Realschule"))]
    assert [cell.split(">")[1].split("<")[0] for cell in row.split('<td class="num"')[1:]] == ["3", "2", "2"]
    assert "Infoabend Pflege" in page
    assert "Fremder Infoabend" not in page
    assert "Vergangener Infoabend" not in page
    assert "Herbsttreffen" in page
    assert "Umfragetreffen" in page and "Terminumfrage läuft" in page
    assert "Noch kein Programm" not in page


def test_coordinator_dashboard_counts_schools_and_companies(app, client):
    with app.app_context():
        agency = factories.agency_of(factories.make_coordinator(email="c@example.org"))
        for _ in range(2):
            factories.make_organisation(factories.OrganisationKind.school, partner_of=agency)
        factories.make_organisation(factories.OrganisationKind.company, partner_of=agency)
        factories.make_organisation(factories.OrganisationKind.school)  # works with another agency only
        db.session.commit()
    _login(client, "c@example.org")

    page = client.get("/coordinator/").text

    assert "<dt>Schulen</dt><dd>2</dd>" in page
    assert "<dt>Unternehmen</dt><dd>1</dd>" in page


def test_school_without_class_is_told_how_and_until_when_to_register(app, client):
    with app.app_context():
        factories.make_school_contact(email="t@example.org")
        factories.make_career_day(name="BO-Tag Frühjahr", day=FUTURE_DAY,
                                  registration_deadline=datetime(FUTURE_DAY.year, 2, 1, 12, 0))
        db.session.commit()
    _login(client, "t@example.org")

    page = client.get("/school/").text

    assert "Noch keine Klasse angemeldet." in page
    assert "Melden Sie Ihre Klassen für „BO-Tag Frühjahr“" in page
    assert f"Anmeldeschluss ist am 01.02.{FUTURE_DAY.year}, 12:00." in page


def test_school_with_nothing_open_is_told_to_wait_for_the_coordinator(app, client):
    with app.app_context():
        factories.make_school_contact(email="t@example.org")
        factories.make_career_day(name="Längst vorbei", day=date(2020, 3, 10))
        db.session.commit()
    _login(client, "t@example.org")

    page = client.get("/school/").text

    assert "Zurzeit ist für keinen Berufsorientierungstag die Anmeldung geöffnet." in page
    assert "Längst vorbei" not in page


def test_school_sees_its_classes_with_students_who_ranked_wishes(app, client):
    with app.app_context():
        teacher = factories.make_school_contact(email="t@example.org")
        school = teacher.schools[0]
        day = factories.make_career_day(name="BO-Tag Herbst", day=FUTURE_DAY)
        offer = factories.make_offer(day)
        own = factories.make_school_class(day, school=school, name="9b", grade=9, students=3)
        factories.make_school_class(day, name="Fremde 10a", grade=10, students=2)
        db.session.add(Preference(student=own.students[1], offer=offer, rank=1))
        db.session.commit()
    _login(client, "t@example.org")

    page = client.get("/school/").text

    assert '<th scope="row">9b</th>' in page
    assert "1 von 3" in page
    assert "Fremde 10a" not in page
    assert "Noch keine Klasse angemeldet." not in page


def test_company_without_offers_or_events_is_told_what_to_do(app, client):
    with app.app_context():
        factories.make_company_contact(email="k@example.org")
        db.session.commit()
    _login(client, "k@example.org")

    page = client.get("/company/").text

    assert "Noch kein Angebot gebucht. Sobald Ihre Koordinierungsstelle Sie zu einem Berufsorientierungstag einlädt" in page
    assert "Noch keine Arbeitgeberveranstaltung. Kündigen Sie eine Infoveranstaltung" in page


def test_company_sees_offers_with_rounds_and_seats_and_event_registrations(app, client):
    with app.app_context():
        contact = factories.make_company_contact(email="k@example.org")
        company = contact.companies[0]
        day = factories.make_career_day(name="Ausbildungsbörse", rounds=3, day=FUTURE_DAY)
        factories.make_offer(day, company=company, title="Werkstattführung", capacity=12, rounds=[1, 3])
        factories.make_offer(day, title="Angebot der Konkurrenz")
        event = factories.make_employer_event(company, capacity=5, title="Tag der offenen Tür", starts_at=FUTURE_EVENT)
        event.booked = 3
        db.session.add_all([
            EventRegistration(event=event, name="A", email="a@example.org", places=2, status=RegistrationStatus.confirmed),
            EventRegistration(event=event, name="B", email="b@example.org", places=1, status=RegistrationStatus.confirmed),
            EventRegistration(event=event, name="C", email="c@example.org", places=1, status=RegistrationStatus.cancelled),
            EventRegistration(event=event, name="D", email="d@example.org", places=1, status=RegistrationStatus.waitlisted, waitlist_position=1),
        ])
        db.session.commit()
    _login(client, "k@example.org")

    page = client.get("/company/").text

    offer_row = page[page.index("Werkstattführung"):page.index("</tr>", page.index("Werkstattführung"))]
    assert "<td>1, 3</td>" in offer_row and '<td class="num">24</td>' in offer_row
    assert "Angebot der Konkurrenz" not in page
    event_row = page[page.index("Tag der offenen Tür"):page.index("</tr>", page.index("Tag der offenen Tür"))]
    assert '<td class="num">3 von 5</td>' in event_row
    assert '<td class="num">1</td>' in event_row


def test_each_role_lands_on_its_own_dashboard_with_aria_current(app, client):
    with app.app_context():
        factories.make_company_contact(email="k@example.org")
        db.session.commit()
    _login(client, "k@example.org")

    page = client.get("/", follow_redirects=True).text

    assert '<a href="/company/" aria-current="page">Mein Unternehmen</a>' in page
    assert "/coordinator/" not in page


def test_coordinator_sees_meetings_of_an_alliance_run_by_another_of_their_agencies(app, client):
    """A coordinator of two agencies (job centre and economic development) sees the alliance that the
    second one coordinates, even though their programmes belong to the first."""
    with app.app_context():
        coordinator = factories.make_coordinator(email="c@example.org")
        factories.make_programme(coordinator.memberships[0].organisation)
        second_agency = factories.make_organisation(factories.OrganisationKind.agency, name="Wirtschaftsförderung")
        db.session.add(factories.Membership(user=coordinator, organisation=second_agency, role=factories.Role.coordinator))
        alliance = factories.make_alliance(coordinating_agency=second_agency)
        factories.make_alliance_meeting(alliance, title="Frühjahrstreffen", candidates=[FUTURE_EVENT])
        db.session.commit()
    _login(client, "c@example.org")

    page = client.get("/coordinator/").text

    assert "Frühjahrstreffen" in page and "Kein Bündnistreffen geplant." not in page
