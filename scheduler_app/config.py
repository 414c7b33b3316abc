"""Configuration: the one place that reads the environment.

``create_app`` receives a config class or mapping; only :func:`config_from_environment` looks at
``os.environ``, so tests never need to touch it.
"""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRET_KEY = "dev-only-not-secret"  # production refuses to start with this value
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "instance" / "scheduler.sqlite"
# OWASP's least Argon2id cost (Password Storage Cheat Sheet): 19 MiB, 2 passes
OWASP_MIN_ARGON2_MEMORY_COST = 19456  # KiB
OWASP_MIN_ARGON2_TIME_COST = 2


class Config:
    """Defaults shared by every environment; safe for development on one machine."""

    ENV_NAME = "development"
    SECRET_KEY = DEFAULT_SECRET_KEY
    SQLALCHEMY_DATABASE_URI = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    # Errors are logged without their bound parameters: those hold students' names and personal codes.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"hide_parameters": True}
    BABEL_DEFAULT_LOCALE = "de"
    BABEL_DEFAULT_TIMEZONE = "Europe/Berlin"
    LANGUAGES = ("de", "en")
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"
    # Private calendar-feed links are derived from FEED_TOKEN_KEY (default: SECRET_KEY; changing it
    # changes every private feed link).
    FEED_TOKEN_KEY: str | None = None
    # Outgoing mail (Flask-Mail's names). No MAIL_SERVER: the job process writes each mail to its log
    # and keeps it in the outbox as "not sent (no mail server)" (the demo).
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False  # STARTTLS after connecting (port 587)
    MAIL_USE_SSL = False  # TLS from the start (port 465)
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "scheduler@localhost"
    MAIL_TIMEOUT = 30  # seconds the mail server may take for one answer
    # Students' data of a career day is deleted RETENTION_DAYS after the day unless the coordinator
    # sets another date, at most RETENTION_MAX_DAYS after it (the legal maximum the agency sets).
    RETENTION_DAYS = 90
    RETENTION_MAX_DAYS = 365
    INVITATION_TTL = timedelta(days=14)
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # a form left open over lunch still submits; the token is still per session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SECURE = False
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    MAX_CONTENT_LENGTH = 5 * 1024 * 1024  # uploads (rosters, contact lists) stay small
    RATELIMIT_STORAGE_URI = "memory://"  # one process only; production refuses it (see check_settings)
    RATELIMIT_ENABLED = True
    LOGIN_RATE_LIMIT = "10 per minute;50 per hour"
    WISHES_SIGN_IN_RATE_LIMIT = "20 per minute"  # students sign in with class code + personal code
    EVENT_REGISTRATION_RATE_LIMIT = "10 per minute;60 per hour"  # public registration forms, per client address
    HSTS = False
    # Argon2id cost for new password hashes: argon2-cffi's defaults (RFC 9106's low-memory profile,
    # 3 passes over 64 MiB with 4 lanes), above OWASP's minimum of 2 passes over 19 MiB.
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536  # KiB
    ARGON2_PARALLELISM = 4
    PROXY_COUNT = 0  # reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted
    JOB_LEASE_SECONDS = 60  # a job process that has not renewed its lease for this long counts as stopped
    JOB_HEARTBEAT_SECONDS = 10  # how often a job process renews the leases it holds


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    HSTS = True


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    PUBLIC_BASE_URL = "http://localhost"
    # the cheapest Argon2id: a test that signs in does not need an expensive hash
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8
    ARGON2_PARALLELISM = 1


def normalise_database_url(url: str) -> str:
    """Accept the ``postgres://`` and ``postgresql://`` forms hosting providers hand out."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def config_from_environment(environ: os._Environ | dict | None = None) -> dict:
    """Build the settings mapping for ``create_app`` from environment variables.

    ``APP_ENV=production`` selects :class:`ProductionConfig`; every other setting is optional.
    """
    env = os.environ if environ is None else environ
    base = ProductionConfig if env.get("APP_ENV", "development") == "production" else Config
    settings = {key: getattr(base, key) for key in dir(base) if key.isupper()}
    if env.get("SECRET_KEY"):
        settings["SECRET_KEY"] = env["SECRET_KEY"]
    if env.get("DATABASE_URL"):
        settings["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(env["DATABASE_URL"])
    if env.get("PUBLIC_BASE_URL"):
        settings["PUBLIC_BASE_URL"] = env["PUBLIC_BASE_URL"].rstrip("/")
    if env.get("DEFAULT_LOCALE"):
        settings["BABEL_DEFAULT_LOCALE"] = env["DEFAULT_LOCALE"]
    if env.get("FEED_TOKEN_KEY"):
        settings["FEED_TOKEN_KEY"] = env["FEED_TOKEN_KEY"]
    if env.get("RATELIMIT_STORAGE_URI"):
        settings["RATELIMIT_STORAGE_URI"] = env["RATELIMIT_STORAGE_URI"]
    for key in ("PROXY_COUNT", "JOB_LEASE_SECONDS", "JOB_HEARTBEAT_SECONDS", "MAIL_PORT", "MAIL_TIMEOUT",
                "RETENTION_DAYS", "RETENTION_MAX_DAYS"):
        if env.get(key):
            settings[key] = int(env[key])
    for key in ("MAIL_SERVER", "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_DEFAULT_SENDER"):
        if env.get(key):
            settings[key] = env[key]
    for key in ("ARGON2_TIME_COST", "ARGON2_MEMORY_COST", "ARGON2_PARALLELISM"):
        if env.get(key):
            settings[key] = int(env[key])
    for key in ("MAIL_USE_TLS", "MAIL_USE_SSL"):
        if env.get(key):
            settings[key] = env[key].lower() in ("1", "true", "yes", "on")
    return settings


def check_settings(settings) -> None:
    """Refuse settings that must never reach production, and settings that cannot work anywhere."""
    if settings.get("PROXY_COUNT", 0) < 0:
        raise RuntimeError("PROXY_COUNT is the number of reverse proxies in front of the app (0 or more).")
    if settings.get("JOB_HEARTBEAT_SECONDS", 1) <= 0 or \
            settings.get("JOB_LEASE_SECONDS", 2) < 2 * settings.get("JOB_HEARTBEAT_SECONDS", 1):
        raise RuntimeError("JOB_LEASE_SECONDS must be at least twice JOB_HEARTBEAT_SECONDS (and that above 0), "
                           "or a live job process would lose its work to another.")
    if settings.get("MAIL_USE_TLS") and settings.get("MAIL_USE_SSL"):
        raise RuntimeError("Set MAIL_USE_TLS (STARTTLS, port 587) or MAIL_USE_SSL (port 465), not both.")
    if not 1 <= settings.get("RETENTION_DAYS", 90) <= settings.get("RETENTION_MAX_DAYS", 365):
        raise RuntimeError("RETENTION_DAYS must be at least 1 and at most RETENTION_MAX_DAYS.")
    if settings.get("ENV_NAME") == "production":
        secret = settings.get("SECRET_KEY")
        if not secret or secret == DEFAULT_SECRET_KEY or len(secret) < 16:
            raise RuntimeError(
                "SECRET_KEY must be set to a long random value in production "
                "(e.g. python -c 'import secrets; print(secrets.token_hex(32))')."
            )
        if (settings.get("ARGON2_MEMORY_COST", 0) < OWASP_MIN_ARGON2_MEMORY_COST
                or settings.get("ARGON2_TIME_COST", 0) < OWASP_MIN_ARGON2_TIME_COST):
            raise RuntimeError(
                f"ARGON2_MEMORY_COST must be at least {OWASP_MIN_ARGON2_MEMORY_COST} (KiB) and ARGON2_TIME_COST "
                f"at least {OWASP_MIN_ARGON2_TIME_COST} in production (OWASP's minimum for Argon2id)."
            )
        if str(settings.get("RATELIMIT_STORAGE_URI", "memory://")).startswith("memory://"):
            raise RuntimeError(
                "RATELIMIT_STORAGE_URI must name a storage all workers share in production, e.g. "
                "redis://127.0.0.1:6379 (with memory:// every worker counts sign-in attempts alone)."
            )
