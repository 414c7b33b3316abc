"""Every form that changes something needs the CSRF token: without it, a 400 page that says what to do."""
import pytest
from werkzeug.routing import IntegerConverter

from scheduler_app.extensions import db
from scheduler_app.factory import create_app
from scheduler_app.models import OrganisationKind
from tests.conftest import TEST_DATABASE_URL, settings
from tests.factories import make_coordinator, make_organisation

# URL variables that are not integer ids.
URL_VALUES = {"public.set_language": {"code": "en"}, "auth.invitation": {"token": "any-token"},
              **{f"delegate.{name}": {"token": "any-token"} for name in ("answer_poll", "reply", "send_substitute",
                                                                         "renew_calendar")},
              **{f"events.{name}": {"token": "any-token"} for name in ("change_places", "cancel_registration",
                                                                          "renew_calendar")}}
GERMAN_CSRF_MESSAGE = "Das Formular war abgelaufen oder wurde doppelt gesendet."


@pytest.fixture
def csrf_app(app):
    """The ``app`` fixture prepares (and later empties) the database; this app shares its settings
    except that CSRF protection is on, as in production."""
    protected = create_app(settings(WTF_CSRF_ENABLED=True))
    with protected.app_context():
        if TEST_DATABASE_URL.startswith("sqlite"):
            db.create_all()
    yield protected
    with protected.app_context():
        db.session.remove()
        db.engine.dispose()


def _post_rules(app):
    return sorted((rule for rule in app.url_map.iter_rules() if "POST" in rule.methods), key=lambda rule: rule.endpoint)


def _url(app, rule) -> str:
    values = {}
    for name, converter in rule._converters.items():
        value = URL_VALUES.get(rule.endpoint, {}).get(name)
        assert value is not None or isinstance(converter, IntegerConverter), f"add <{name}> of {rule.endpoint} to URL_VALUES"
        values[name] = value if value is not None else 1
    return app.url_map.bind("localhost").build(rule.endpoint, values, method="POST")


def test_every_post_without_a_csrf_token_is_refused_with_a_friendly_german_page(csrf_app):
    with csrf_app.app_context():
        make_organisation(OrganisationKind.school)
        coordinator = make_coordinator()
        db.session.commit()
        session_id = coordinator.get_id()
    client = csrf_app.test_client()
    with client.session_transaction() as session:  # the sign-in form itself needs a token
        session["_user_id"] = session_id
        session["_fresh"] = True

    rules = _post_rules(csrf_app)
    assert {"auth.login", "auth.logout", "coordinator.invitation_create"} <= {rule.endpoint for rule in rules}
    accepted = []
    for rule in rules:
        response = client.post(_url(csrf_app, rule), data={"name": "x", "email": "x@example.org"})
        if response.status_code != 400 or GERMAN_CSRF_MESSAGE not in response.text:
            accepted.append(f"{rule.endpoint}: {response.status_code}")
    assert not accepted, f"POST without CSRF token not refused: {accepted}"
    assert client.get("/coordinator/").status_code == 200  # still signed in: nothing above signed out


def test_a_post_with_the_token_from_the_form_is_accepted(csrf_app):
    client = csrf_app.test_client()
    page = client.get("/auth/login")
    token = page.text.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/auth/login", data={"csrf_token": token, "email": "x@example.org", "password": "falsch"})
    assert response.status_code == 200
    assert "E-Mail-Adresse oder Passwort ist nicht korrekt." in response.text
