"""The coordinator's alliance pages: create an alliance, add members and delegates (bad input shown at
the field with what was typed, nothing written), pass a personal link on, import a member list, and
the pages other coordinators and contacts cannot reach."""
from __future__ import annotations

import io

from sqlalchemy import func, select

from scheduler_app.extensions import db
from scheduler_app.models import Alliance, AllianceDelegate, AllianceMember, Organisation, OrganisationKind, OutgoingMail
from tests import factories
from tests.meeting_data import meeting_world

COORDINATOR = "koordination@example.org"


def _coordinator(app):
    with app.app_context():
        coordinator = factories.make_coordinator(email=COORDINATOR)
        agency = factories.agency_of(coordinator)
        alliance = factories.make_alliance(agency, name="Fachkräftebündnis Nord", federal_state="NI")
        company = factories.make_organisation(OrganisationKind.company, name="Stadtwerke Nord", partner_of=agency)
        db.session.commit()
        return alliance.id, company.id


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_a_coordinator_creates_an_alliance_and_lands_on_its_page(app, client, auth):
    _coordinator(app)
    auth.login(COORDINATOR)

    response = client.post("/coordinator/alliances/new", data={"name": "Bündnis Süd", "region": "Kreis Süd", "federal_state": "BY"})

    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert "<h1>Bündnis Süd</h1>" in page.text and "Feiertage: Bayern" in page.text
    assert "Bündnisse" in client.get("/coordinator/").text  # in the main navigation
    duplicate = client.post("/coordinator/alliances/new", data={"name": "bündnis süd", "region": "", "federal_state": ""})
    assert duplicate.status_code == 422 and "Ein Bündnis mit diesem Namen gibt es bereits." in duplicate.text
    assert 'value="bündnis süd"' in duplicate.text


def test_members_are_chosen_from_the_agencys_organisations_or_registered_on_the_way(app, client, auth):
    alliance_id, company_id = _coordinator(app)
    auth.login(COORDINATOR)

    chosen = client.post(f"/coordinator/alliances/{alliance_id}/members", data={"organisation": company_id, "kind": "company",
                                                                                 "required": "y"})
    new = client.post(f"/coordinator/alliances/{alliance_id}/members", data={"organisation": 0, "kind": "chamber",
                                                                              "name": "IHK Nord", "city": "Nordstadt"})

    assert chosen.status_code == new.status_code == 302
    page = client.get(f"/coordinator/alliances/{alliance_id}").text
    assert "IHK Nord" in page and "Kammer oder Innung" in page and "Pflichtmitglied" in page
    with app.app_context():
        chamber = db.session.scalar(select(Organisation).where(Organisation.name == "IHK Nord"))
        assert chamber.kind is OrganisationKind.chamber


def test_a_member_without_a_name_or_twice_is_shown_at_the_field_and_nothing_is_written(app, client, auth):
    alliance_id, company_id = _coordinator(app)
    auth.login(COORDINATOR)
    client.post(f"/coordinator/alliances/{alliance_id}/members", data={"organisation": company_id, "kind": "company"})

    empty = client.post(f"/coordinator/alliances/{alliance_id}/members", data={"organisation": 0, "kind": "chamber", "name": " "})
    twice = client.post(f"/coordinator/alliances/{alliance_id}/members", data={"organisation": 0, "kind": "company",
                                                                                "name": "stadtwerke nord"})

    assert empty.status_code == twice.status_code == 422
    assert "Bitte wählen Sie eine Organisation oder geben Sie den Namen einer neuen ein." in empty.text
    assert "„Stadtwerke Nord“ ist bereits Mitglied dieses Bündnisses." in twice.text and 'value="stadtwerke nord"' in twice.text
    assert _count(app, AllianceMember) == 1


def test_an_organisation_only_another_agency_works_with_is_listed_without_a_link_to_its_page(app, client, auth):
    alliance_id, _company_id = _coordinator(app)
    with app.app_context():
        other_agency = factories.agency_of(factories.make_coordinator())
        elsewhere = factories.make_organisation(OrganisationKind.agency, name="Jobcenter Süd", partner_of=other_agency)
        db.session.commit()
        elsewhere_id = elsewhere.id
    auth.login(COORDINATOR)

    client.post(f"/coordinator/alliances/{alliance_id}/members", data={"organisation": 0, "kind": "agency", "name": "Jobcenter Süd"})

    page = client.get(f"/coordinator/alliances/{alliance_id}").text
    assert "Jobcenter Süd" in page and "arbeitet mit einer anderen Stelle zusammen" in page
    assert f"/coordinator/organisations/{elsewhere_id}" not in page
    assert client.get(f"/coordinator/organisations/{elsewhere_id}").status_code == 404


def test_delegates_are_added_and_a_duplicate_email_is_shown_next_to_the_field(app, client, auth):
    alliance_id, company_id = _coordinator(app)
    auth.login(COORDINATOR)
    client.post(f"/coordinator/alliances/{alliance_id}/members", data={"organisation": company_id, "kind": "company"})
    with app.app_context():
        member_id = db.session.scalar(select(AllianceMember.id))
    prefix = f"member-{member_id}-"

    added = client.post(f"/coordinator/members/{member_id}/delegates", data={
        prefix + "name": "Eva Schulte", prefix + "email": "Eva@Stadtwerke.example", prefix + "function": "Personal"})
    again = client.post(f"/coordinator/members/{member_id}/delegates", data={
        prefix + "name": "Eva Zwei", prefix + "email": "eva@stadtwerke.example", prefix + "function": ""})

    assert added.status_code == 302
    assert again.status_code == 422
    assert "eva@stadtwerke.example ist bereits Delegierte/r dieser Organisation." in again.text
    assert 'value="Eva Zwei"' in again.text and "<details open>" in again.text
    assert _count(app, AllianceDelegate) == 1


def test_a_personal_link_is_shown_once_works_and_can_be_withdrawn(app, client, auth):
    with app.app_context():
        world = meeting_world(coordinator=factories.make_coordinator(email=COORDINATOR))
        db.session.commit()
        delegate_id, alliance_id = world.chamber.id, world.alliance.id
    auth.login(COORDINATOR)

    shown = client.post(f"/coordinator/delegates/{delegate_id}/link")

    assert shown.status_code == 200 and "Persönlicher Link von Ines Kammer" in shown.text
    link = shown.text.split("<code>")[1].split("</code>")[0].replace("http://localhost", "")
    assert client.get(link).status_code == 200
    withdrawn = client.post(f"/coordinator/delegates/{delegate_id}/withdraw-links")
    assert withdrawn.status_code == 302 and client.get(link).status_code == 404
    assert client.get(f"/coordinator/alliances/{alliance_id}").status_code == 200


def test_required_members_are_toggled_and_removed_members_take_their_delegates_links_along(app, client, auth):
    with app.app_context():
        world = meeting_world(coordinator=factories.make_coordinator(email=COORDINATOR))
        token = factories.make_link(world.company)
        db.session.commit()
        member_id = world.company.member_id
    auth.login(COORDINATOR)

    client.post(f"/coordinator/members/{member_id}/required", data={"required": "1"})
    with app.app_context():
        assert db.session.get(AllianceMember, member_id).required
    client.post(f"/coordinator/members/{member_id}/remove")

    assert client.get(f"/delegate/{token}").status_code == 404
    with app.app_context():
        assert db.session.get(AllianceMember, member_id) is None


MEMBER_LIST = ("Organisation;Art;Delegierte/r;E-Mail;Funktion;Pflichtmitglied\r\n"
               "IHK Nord;Kammer;Dana Meyer;dana@ihk.example;Ausbildungsberaterin;ja\r\n"
               "Bildungswerk Nord;Bildungsträger;Bo Berg;bo@bildungswerk.example;;nein\r\n")


def test_a_member_list_is_imported_or_every_bad_row_is_listed_and_nothing_kept(app, client, auth):
    alliance_id, _company_id = _coordinator(app)
    auth.login(COORDINATOR)
    url = f"/coordinator/alliances/{alliance_id}/import"


    bad = client.post(url, data={"file": (io.BytesIO((MEMBER_LIST + "Firma;Zirkus;X;x@example.org;;\r\nFirma;Unternehmen;Y;kaputt;;\r\n")
                                                     .encode()), "liste.csv")}, content_type="multipart/form-data")
    assert bad.status_code == 422
    assert "Bitte korrigieren Sie 2 Zeilen in der Datei." in bad.text
    assert ">4</th>" in bad.text and ">5</th>" in bad.text and "„Zirkus“" in bad.text
    assert _count(app, AllianceMember) == 0

    good = client.post(url, data={"file": (io.BytesIO(MEMBER_LIST.encode("cp1252")), "liste.csv")},
                       content_type="multipart/form-data")
    assert good.status_code == 302
    page = client.get(good.headers["Location"]).text
    assert "2 Mitglieder und 2 Delegierte wurden hinzugefügt." in page and "Bildungswerk Nord" in page
    with app.app_context():
        assert db.session.scalar(select(func.count(OutgoingMail.id))) == 0  # no meeting under way, nothing to send


def test_other_coordinators_get_404_and_contacts_403_for_an_alliance(app, client, auth):
    alliance_id, _company_id = _coordinator(app)
    with app.app_context():
        factories.make_coordinator(email="andere@agentur.example")
        factories.make_school_contact(email="lehrkraft@schule.example")
        db.session.commit()

    auth.login("andere@agentur.example")
    assert client.get(f"/coordinator/alliances/{alliance_id}").status_code == 404
    assert "Fachkräftebündnis Nord" not in client.get("/coordinator/alliances").text
    assert client.post(f"/coordinator/alliances/{alliance_id}/members", data={"organisation": 0, "kind": "chamber",
                                                                               "name": "Fremd"}).status_code == 404
    auth.logout()
    auth.login("lehrkraft@schule.example")
    assert client.get(f"/coordinator/alliances/{alliance_id}").status_code == 403
    assert _count(app, AllianceMember) == 0 and _count(app, Alliance) == 1
