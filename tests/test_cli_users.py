"""`flask users create-coordinator`: the way the first coordinator gets an account."""
from sqlalchemy import func, select

from scheduler_app.domain import accounts
from scheduler_app.extensions import db
from scheduler_app.models import AuditEntry, User


def _create(runner, email="koordination@agentur.example", password="ein langes Passwort", agency="Servicestelle Nord"):
    return runner.invoke(args=["users", "create-coordinator", "--email", email, "--name", "Frau Koordinatorin",
                               "--agency", agency, "--password", password])


def test_create_coordinator_makes_an_account_that_can_sign_in(app, runner, auth):
    result = _create(runner)

    assert result.exit_code == 0, result.output
    assert "koordination@agentur.example" in result.output
    with app.app_context():
        user = accounts.find_user_by_email("koordination@agentur.example")
        assert user.is_coordinator
        assert user.memberships[0].organisation.name == "Servicestelle Nord"
        assert db.session.scalar(select(AuditEntry.action)) == "user.create_coordinator"
    assert auth.login("koordination@agentur.example", "ein langes Passwort").headers["Location"] == "/coordinator/"


def test_create_coordinator_refuses_an_email_that_already_has_an_account(app, runner):
    assert _create(runner).exit_code == 0
    result = _create(runner, email="KOORDINATION@agentur.example ")

    assert result.exit_code == 1
    assert "already exists" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 1


def test_create_coordinator_refuses_a_short_password_and_writes_nothing(app, runner):
    result = _create(runner, password="kurz")

    assert result.exit_code == 1
    assert "at least 10 characters" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0


def test_create_coordinator_without_a_terminal_names_the_options_it_needs(app, runner):
    result = runner.invoke(args=["users", "create-coordinator", "--email", "k@agentur.example"])

    assert result.exit_code != 0
    assert "--name, --password" in result.output and "COORDINATOR_PASSWORD" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_create_coordinator_takes_the_password_from_the_environment(app, runner):
    result = runner.invoke(args=["users", "create-coordinator", "--email", "k@agentur.example", "--name", "K"],
                           env={"COORDINATOR_PASSWORD": "ein langes Passwort"})

    assert result.exit_code == 0, result.output
