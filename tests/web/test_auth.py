"""Sign-in, sign-out, invitation links, password change, and who sees which organisation's pages."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from scheduler_app.domain import accounts, invitations
from scheduler_app.extensions import db
from scheduler_app.factory import create_app
from scheduler_app.models import AgencyPartner, AuditEntry, Invitation, Organisation, OrganisationKind, OutgoingMail, Role, User
from scheduler_app.models_base import utc_now
from tests.conftest import TEST_DATABASE_URL, settings
from tests.factories import PASSWORD, agency_of, make_coordinator, make_organisation, make_school_contact, make_user


def _make(app, factory, *args, **kwargs):
    """Run a factory in its own context and commit; returns the new object's id."""
    with app.app_context():
        obj = factory(*args, **kwargs)
        db.session.commit()
        return obj.id


def _invite(app, email="lehrer@schule.example", name="Herr Schulz", organisation_name="Realschule Süd",
            now=None, ttl=timedelta(days=14)):
    """An invitation of a new school contact; returns (invitation id, raw token)."""
    with app.app_context():
        coordinator = make_coordinator()
        school = make_organisation(OrganisationKind.school, name=organisation_name, partner_of=agency_of(coordinator))
        invitation, token = invitations.invite(coordinator, school, email, name, now or utc_now(), ttl, "http://localhost")
        db.session.commit()
        return invitation.id, token


# --- sign-in and sign-out -------------------------------------------------------------------------

def test_coordinator_signs_in_and_lands_on_the_dashboard(app, client, auth):
    _make(app, make_coordinator, email="koordination@agentur.example")
    response = auth.login("koordination@agentur.example", PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/coordinator/"
    assert client.get("/coordinator/").status_code == 200


def test_wrong_password_shows_a_german_message_next_to_the_password_field(app, client, auth):
    _make(app, make_coordinator, email="koordination@agentur.example")
    response = auth.login("koordination@agentur.example", "falsches Passwort")
    assert response.status_code == 200
    assert 'id="password-error"' in response.text
    assert "E-Mail-Adresse oder Passwort ist nicht korrekt." in response.text
    assert 'value="koordination@agentur.example"' in response.text  # what was typed is kept
    assert client.get("/coordinator/").status_code == 302


def test_unknown_email_gets_the_same_message_as_a_wrong_password(app, client, auth):
    response = auth.login("niemand@example.org", PASSWORD)
    assert "E-Mail-Adresse oder Passwort ist nicht korrekt." in response.text


@pytest.mark.parametrize("target, expected", [
    ("/coordinator/organisations", "/coordinator/organisations"),
    ("https://evil.example/phish", "/coordinator/"),
    ("//evil.example/phish", "/coordinator/"),
    ("javascript:alert(1)", "/coordinator/"),
])
def test_next_parameter_is_followed_only_for_local_paths(app, client, target, expected):
    _make(app, make_coordinator, email="k@agentur.example")
    response = client.post("/auth/login", query_string={"next": target},
                           data={"email": "k@agentur.example", "password": PASSWORD})
    assert response.headers["Location"] == expected


def test_sign_out_makes_an_old_session_cookie_useless(app, client, auth):
    _make(app, make_coordinator, email="k@agentur.example")
    auth.login("k@agentur.example", PASSWORD)
    stolen = client.get_cookie("session").value
    assert client.get("/coordinator/").status_code == 200

    auth.logout()
    client.set_cookie("session", stolen)

    response = client.get("/coordinator/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


def test_the_eleventh_sign_in_attempt_in_a_minute_gets_a_friendly_429_page(app):
    limited = create_app(settings(RATELIMIT_ENABLED=True))
    with limited.app_context():
        if TEST_DATABASE_URL.startswith("sqlite"):
            db.create_all()
    client = limited.test_client()
    statuses = [client.post("/auth/login", data={"email": "x@example.org", "password": "falsch"}).status_code
                for _attempt in range(10)]
    eleventh = client.post("/auth/login", data={"email": "x@example.org", "password": "falsch"})

    assert statuses == [200] * 10
    assert eleventh.status_code == 429
    assert "Zu viele Versuche" in eleventh.text
    with limited.app_context():
        db.session.remove()
        db.engine.dispose()


# --- invitation links -----------------------------------------------------------------------------

def test_invitation_page_greets_the_person_and_opening_it_does_not_use_it_up(app, client):
    invitation_id, token = _invite(app)

    for _prefetch in range(2):  # a mail scanner, then the person
        page = client.get(f"/auth/invitation/{token}")
        assert page.status_code == 200
    assert "Herr Schulz" in page.text
    assert "Realschule Süd" in page.text
    with app.app_context():
        assert db.session.get(Invitation, invitation_id).used_at is None
        assert db.session.scalar(select(func.count(User.id)).where(User.email == "lehrer@schule.example")) == 0


def test_accepting_an_invitation_with_a_password_signs_in_and_the_password_works_later(app, client, auth):
    _invitation_id, token = _invite(app)

    response = client.post(f"/auth/invitation/{token}", data={"password": "Ein gutes Passwort", "confirm": "Ein gutes Passwort"})

    assert response.status_code == 302
    assert response.headers["Location"] == "/school/"
    assert client.get("/school/").status_code == 200
    auth.logout()
    assert auth.login("lehrer@schule.example", "Ein gutes Passwort").headers["Location"] == "/school/"


def test_accepting_without_a_password_signs_in_by_the_link(app, client):
    _invitation_id, token = _invite(app)
    response = client.post(f"/auth/invitation/{token}", data={})
    assert response.headers["Location"] == "/school/"


def test_a_used_invitation_link_shows_a_clear_410_page(app, client):
    _invitation_id, token = _invite(app)
    client.post(f"/auth/invitation/{token}", data={})

    for method in (client.get, client.post):
        response = method(f"/auth/invitation/{token}")
        assert response.status_code == 410
        assert "bereits verwendet" in response.text


def test_an_expired_invitation_link_shows_a_clear_410_page(app, client):
    _invitation_id, token = _invite(app, now=utc_now() - timedelta(days=15))
    response = client.get(f"/auth/invitation/{token}")
    assert response.status_code == 410
    assert "abgelaufen" in response.text
    assert client.post(f"/auth/invitation/{token}", data={}).status_code == 410


def test_a_forged_invitation_link_shows_a_404_page(app, client):
    _invite(app)
    response = client.get("/auth/invitation/" + "A" * 43)
    assert response.status_code == 404
    assert "nicht gültig" in response.text


def test_a_short_password_on_the_invitation_page_is_shown_next_to_the_field_and_keeps_the_link(app, client):
    invitation_id, token = _invite(app)
    response = client.post(f"/auth/invitation/{token}", data={"password": "kurz", "confirm": "kurz"})
    assert response.status_code == 200
    assert 'id="password-error"' in response.text
    assert "mindestens 10 Zeichen" in response.text
    with app.app_context():
        assert db.session.get(Invitation, invitation_id).used_at is None


def test_mismatched_passwords_on_the_invitation_page_are_shown_next_to_the_repeat_field(app, client):
    invitation_id, token = _invite(app)
    response = client.post(f"/auth/invitation/{token}", data={"password": "Ein gutes Passwort", "confirm": "anders"})
    assert 'id="confirm-error"' in response.text
    with app.app_context():
        assert db.session.get(Invitation, invitation_id).used_at is None


def test_invitation_for_an_account_with_a_password_adds_the_organisation_but_asks_to_sign_in(app, client):
    with app.app_context():
        make_user(make_organisation(OrganisationKind.company), email="zwei@rollen.example")
        db.session.commit()
    _invitation_id, token = _invite(app, email="zwei@rollen.example")

    page = client.get(f"/auth/invitation/{token}")
    assert 'name="password"' not in page.text
    response = client.post(f"/auth/invitation/{token}", data={})

    assert response.headers["Location"] == "/auth/login"
    assert client.get("/school/").status_code == 302  # not signed in by the link


# --- password change ------------------------------------------------------------------------------

def test_changing_the_password_ends_other_sessions_but_keeps_this_one(app):
    # Two plain clients: the ``client`` fixture keeps its last request's context (and signed-in user)
    # pushed, which a second client's requests would share.
    _make(app, make_coordinator, email="k@agentur.example")
    client, other_device = app.test_client(), app.test_client()
    for device in (client, other_device):
        device.post("/auth/login", data={"email": "k@agentur.example", "password": PASSWORD})

    response = client.post("/auth/password", data={"current_password": PASSWORD, "password": "Ganz neues Passwort",
                                                   "confirm": "Ganz neues Passwort"})

    assert response.status_code == 302
    assert client.get("/coordinator/").status_code == 200
    assert other_device.get("/coordinator/").status_code == 302
    with app.app_context():
        user = accounts.find_user_by_email("k@agentur.example")
        assert accounts.password_matches(user, "Ganz neues Passwort")


def test_changing_the_password_needs_the_current_one(app, auth, client):
    _make(app, make_coordinator, email="k@agentur.example")
    auth.login("k@agentur.example", PASSWORD)
    response = client.post("/auth/password", data={"current_password": "geraten", "password": "Ganz neues Passwort",
                                                   "confirm": "Ganz neues Passwort"})
    assert response.status_code == 200
    assert 'id="current_password-error"' in response.text
    with app.app_context():
        assert accounts.password_matches(accounts.find_user_by_email("k@agentur.example"), PASSWORD)


# --- coordinator screens: organisations and invitations -------------------------------------------

def _sign_in_coordinator(app, auth):
    _make(app, make_coordinator, email="k@agentur.example")
    auth.login("k@agentur.example", PASSWORD)


def _partner(app, kind, **fields) -> int:
    """An organisation that works with the signed-in coordinator's agency; returns its id."""
    with app.app_context():
        coordinator = db.session.scalar(select(User).where(User.email == "k@agentur.example"))
        organisation = make_organisation(kind, partner_of=agency_of(coordinator), **fields)
        db.session.commit()
        return organisation.id


def test_coordinator_registers_a_school_and_sees_it_listed(app, client, auth):
    _sign_in_coordinator(app, auth)
    response = client.post("/coordinator/organisations/new", data={"kind": "school", "name": "  Oberschule  Am See ",
                                                                   "city": "Osnabrück"})
    assert response.status_code == 302
    listing = client.get("/coordinator/organisations")
    assert "Oberschule Am See" in listing.text
    assert "Osnabrück" in listing.text


def test_a_duplicate_organisation_name_is_shown_next_to_the_name_field(app, client, auth):
    _sign_in_coordinator(app, auth)
    _partner(app, OrganisationKind.company, name="Stadtwerke Musterstadt")
    response = client.post("/coordinator/organisations/new", data={"kind": "company", "name": "stadtwerke musterstadt"})
    assert response.status_code == 422
    assert 'id="name-error"' in response.text
    assert "gibt es bereits" in response.text
    assert 'value="stadtwerke musterstadt"' in response.text
    with app.app_context():
        assert db.session.scalar(select(func.count(Organisation.id)).where(Organisation.kind == OrganisationKind.company)) == 1


def test_registering_a_name_another_agency_works_with_says_so_and_links_nothing(app, client, auth):
    """Linking by name would let any coordinator take over another agency's school."""
    _sign_in_coordinator(app, auth)
    with app.app_context():
        make_organisation(OrganisationKind.school, name="Gymnasium Carolinum",
                          partner_of=make_organisation(OrganisationKind.agency))
        db.session.commit()
    response = client.post("/coordinator/organisations/new", data={"kind": "school", "name": "Gymnasium Carolinum"})
    assert response.status_code == 422
    assert "anderen Koordinierungsstelle" in response.text
    with app.app_context():
        assert db.session.scalar(select(func.count(AgencyPartner.id))) == 1
    assert "Gymnasium Carolinum" not in client.get("/coordinator/organisations").text


@pytest.mark.parametrize("data, field", [
    ({"kind": "school", "name": ""}, "name"),
    ({"kind": "school", "name": "N" * 300}, "name"),
    ({"kind": "school", "name": "Gute Schule", "city": "C" * 300}, "city"),
    ({"kind": "agency", "name": "Gute Schule"}, "kind"),
    ({"name": "Gute Schule"}, "kind"),
])
def test_bad_input_when_registering_an_organisation_is_shown_next_to_the_field(app, client, auth, data, field):
    _sign_in_coordinator(app, auth)
    with app.app_context():
        before = db.session.scalar(select(func.count(Organisation.id)))
    response = client.post("/coordinator/organisations/new", data=data)
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text
    if data.get("name"):
        assert f'value="{data["name"]}"' in response.text
    with app.app_context():
        assert db.session.scalar(select(func.count(Organisation.id))) == before


def test_coordinator_invites_a_contact_sees_the_link_once_and_a_mail_is_queued(app, client, auth):
    _sign_in_coordinator(app, auth)
    school_id = _partner(app, OrganisationKind.school, name="Grundschule Ost")

    response = client.post(f"/coordinator/organisations/{school_id}/invitations",
                           data={"name": "Frau Lange", "email": "lange@grundschule.example"})

    assert response.status_code == 200
    assert "http://localhost/auth/invitation/" in response.text
    token = response.text.split("http://localhost/auth/invitation/")[1].split("<")[0]
    with app.app_context():
        mail = db.session.scalar(select(OutgoingMail))
        assert mail.recipient == "lange@grundschule.example"
        assert token in mail.body
    detail = client.get(f"/coordinator/organisations/{school_id}")
    assert "lange@grundschule.example" in detail.text
    assert token not in detail.text  # shown once, stored nowhere


@pytest.mark.parametrize("data, field", [
    ({"name": "Frau Lange", "email": ""}, "email"),
    ({"name": "Frau Lange", "email": "keine-adresse"}, "email"),
    ({"name": "", "email": "lange@grundschule.example"}, "name"),
    ({"name": "N" * 300, "email": "lange@grundschule.example"}, "name"),
    ({"name": "Frau Lange", "email": "a" * 250 + "@example.org"}, "email"),
])
def test_bad_input_when_inviting_is_shown_next_to_the_field_and_nothing_is_written(app, client, auth, data, field):
    _sign_in_coordinator(app, auth)
    school_id = _partner(app, OrganisationKind.school)
    response = client.post(f"/coordinator/organisations/{school_id}/invitations", data=data)
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text
    for value in data.values():
        if value:
            assert f'value="{value}"' in response.text
    with app.app_context():
        assert db.session.scalar(select(func.count(Invitation.id))) == 0
        assert db.session.scalar(select(func.count(OutgoingMail.id))) == 0


def test_coordinator_withdraws_a_pending_invitation_and_its_link_stops_working(app, client, auth):
    invitation_id, token = _invite(app)
    with app.app_context():
        invitation = db.session.get(Invitation, invitation_id)
        make_user(agency_of(invitation.invited_by), Role.coordinator, email="k@agentur.example")
        db.session.commit()
    auth.login("k@agentur.example", PASSWORD)
    response = client.post(f"/coordinator/invitations/{invitation_id}/revoke")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "invitation.revoke")) is not None
    assert client.get(f"/auth/invitation/{token}").status_code == 410


# --- contacts see only their own organisation ----------------------------------------------------

def test_school_contact_sees_only_their_own_school_on_the_dashboard(app, client, auth):
    with app.app_context():
        own = make_organisation(OrganisationKind.school, name="Eigene Schule")
        make_organisation(OrganisationKind.school, name="Fremde Schule")
        make_school_contact(own, email="lehrer@eigene.example")
        db.session.commit()
    auth.login("lehrer@eigene.example", PASSWORD)
    page = client.get("/school/")
    assert "Eigene Schule" in page.text
    assert "Fremde Schule" not in page.text


@pytest.mark.parametrize("path", ["/coordinator/", "/coordinator/organisations", "/coordinator/organisations/new",
                                  "/company/"])
def test_a_school_contact_is_refused_coordinator_and_company_pages(app, client, auth, path):
    _make(app, make_school_contact, email="lehrer@schule.example")
    auth.login("lehrer@schule.example", PASSWORD)
    assert client.get(path).status_code == 403
