"""The application factory and configuration."""
import subprocess
import sys

import pytest

from scheduler_app.config import DEFAULT_SECRET_KEY, ProductionConfig, config_from_environment
from scheduler_app.factory import create_app
from tests.conftest import settings


def test_create_app_accepts_a_mapping_and_has_no_side_effects(tmp_path):
    database = tmp_path / "never-created.sqlite"
    app = create_app(settings(SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}"))
    assert app.config["TESTING"] is True
    assert not database.exists()


def test_create_app_accepts_a_config_class():
    class Custom(ProductionConfig):
        SECRET_KEY = "a-long-random-production-secret"
        RATELIMIT_STORAGE_URI = "redis://127.0.0.1:6379"

    app = create_app(Custom)
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_production_refuses_the_default_secret_key():
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(config_from_environment({"APP_ENV": "production"}))
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(config_from_environment({"APP_ENV": "production", "SECRET_KEY": DEFAULT_SECRET_KEY}))


def test_production_refuses_a_rate_limit_storage_each_worker_keeps_alone():
    environment = {"APP_ENV": "production", "SECRET_KEY": "x" * 32}
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI must name a storage all workers share"):
        create_app(config_from_environment(environment))
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI"):
        create_app(config_from_environment({**environment, "RATELIMIT_STORAGE_URI": "memory://"}))
    app = create_app(config_from_environment({**environment, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379"}))
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379"


@pytest.mark.parametrize("values, problem", [
    ({"PROXY_COUNT": -1}, "PROXY_COUNT"),
    ({"JOB_LEASE_SECONDS": 15, "JOB_HEARTBEAT_SECONDS": 10}, "JOB_LEASE_SECONDS must be at least twice"),
    ({"JOB_HEARTBEAT_SECONDS": 0}, "JOB_LEASE_SECONDS must be at least twice"),
])
def test_settings_that_cannot_work_are_refused(values, problem):
    with pytest.raises(RuntimeError, match=problem):
        create_app(settings(**values))


def test_environment_settings_are_read_in_one_place():
    values = config_from_environment({
        "APP_ENV": "production", "SECRET_KEY": "x" * 32, "DATABASE_URL": "postgres://u@db/prod",
        "PUBLIC_BASE_URL": "https://termine.example.de/", "MAIL_PORT": "587", "DEFAULT_LOCALE": "en",
        "RATELIMIT_STORAGE_URI": "redis://cache:6379/2", "PROXY_COUNT": "1",
        "JOB_LEASE_SECONDS": "120", "JOB_HEARTBEAT_SECONDS": "15",
    })
    assert values["RATELIMIT_STORAGE_URI"] == "redis://cache:6379/2"
    assert (values["PROXY_COUNT"], values["JOB_LEASE_SECONDS"], values["JOB_HEARTBEAT_SECONDS"]) == (1, 120, 15)
    assert values["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/prod"
    assert values["PUBLIC_BASE_URL"] == "https://termine.example.de"
    assert values["MAIL_PORT"] == 587
    assert values["BABEL_DEFAULT_LOCALE"] == "en"
    assert values["HSTS"] is True


def test_package_root_does_not_import_flask():
    code = "import sys, scheduler_app; assert 'flask' not in sys.modules, sorted(m for m in sys.modules if 'flask' in m)"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_security_headers_on_every_page(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_in_production():
    class Production(ProductionConfig):
        SECRET_KEY = "a-long-random-production-secret"
        SQLALCHEMY_DATABASE_URI = "sqlite://"
        RATELIMIT_STORAGE_URI = "redis://127.0.0.1:6379"

    app = create_app(Production)
    response = app.test_client().get("/")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_argon2_cost_comes_from_the_settings_cheap_in_tests_owasp_or_more_in_production():
    from scheduler_app.domain.accounts import hash_password

    create_app(settings())
    assert hash_password("a test password").startswith("$argon2id$v=19$m=8,t=1,p=1$")
    production = config_from_environment({"APP_ENV": "production", "SECRET_KEY": "x" * 32,
                                          "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379"})
    assert (production["ARGON2_TIME_COST"], production["ARGON2_MEMORY_COST"], production["ARGON2_PARALLELISM"]) == (3, 65536, 4)
    create_app(production)
    try:
        assert hash_password("a test password").startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    finally:
        create_app(settings())  # back to the cheap cost for the tests that follow


def test_argon2_cost_is_read_from_the_environment_and_production_refuses_less_than_owasp():
    values = config_from_environment({"ARGON2_TIME_COST": "2", "ARGON2_MEMORY_COST": "19456", "ARGON2_PARALLELISM": "1"})
    assert (values["ARGON2_TIME_COST"], values["ARGON2_MEMORY_COST"], values["ARGON2_PARALLELISM"]) == (2, 19456, 1)
    cheap = {"APP_ENV": "production", "SECRET_KEY": "x" * 32, "ARGON2_MEMORY_COST": "8",
             "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379"}
    with pytest.raises(RuntimeError, match="ARGON2_MEMORY_COST"):
        create_app(config_from_environment(cheap))
    with pytest.raises(RuntimeError, match="ARGON2_MEMORY_COST"):
        create_app(config_from_environment({**cheap, "ARGON2_MEMORY_COST": "19456", "ARGON2_TIME_COST": "1"}))
