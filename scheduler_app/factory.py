"""Application factory: wiring only. No database writes, threads or network here."""
from __future__ import annotations

from collections.abc import Mapping

from flask import Flask

from scheduler_app.config import PROJECT_ROOT, check_settings, config_from_environment


def create_app(config: type | Mapping | None = None) -> Flask:
    """Build the app from a config class, a settings mapping, or (None) the environment."""
    app = Flask(
        "scheduler_app",
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(PROJECT_ROOT / "instance"),
    )
    if config is None:
        config = config_from_environment()
    if isinstance(config, Mapping):
        from scheduler_app.config import Config

        app.config.from_object(Config)
        app.config.update(config)
    else:
        app.config.from_object(config)
    check_settings(app.config)

    register_proxies(app)
    register_extensions(app)
    configure_domain(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_request_hooks(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def register_proxies(app: Flask) -> None:
    """Behind ``PROXY_COUNT`` reverse proxies, take the client's address and scheme from their
    X-Forwarded-For/-Proto headers (rate limits count per client, not per proxy); with 0, as by
    default, those headers are ignored, since anyone can send them."""
    count = app.config["PROXY_COUNT"]
    if count:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)


def register_extensions(app: Flask) -> None:
    from scheduler_app import models  # noqa: F401  (registers the tables on the metadata)
    from scheduler_app.extensions import babel, csrf, db, limiter, login_manager, migrate
    from scheduler_app.web.i18n import select_locale

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)


def configure_domain(app: Flask) -> None:
    """Hand the domain the settings it needs (it never reads the app's config itself)."""
    from scheduler_app.domain.accounts import HashingParameters, configure_password_hashing
    from scheduler_app.domain.career_days import configure_retention

    configure_retention(app.config["RETENTION_DAYS"], app.config["RETENTION_MAX_DAYS"])

    configure_password_hashing(HashingParameters(time_cost=app.config["ARGON2_TIME_COST"],
                                                 memory_cost=app.config["ARGON2_MEMORY_COST"],
                                                 parallelism=app.config["ARGON2_PARALLELISM"]))


def register_blueprints(app: Flask) -> None:
    from scheduler_app.web import blueprints, inputs

    inputs.register(app)  # the id converter must be in place before the first route is added
    for blueprint in blueprints():
        app.register_blueprint(blueprint)


def register_errorhandlers(app: Flask) -> None:
    from scheduler_app.web.errors import register

    register(app)


def register_request_hooks(app: Flask) -> None:
    from scheduler_app.web.security import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from scheduler_app.web.templating import register

    register(app)


def register_commands(app: Flask) -> None:
    from scheduler_app.cli import register

    register(app)
