"""Which language a page is shown in: the user's choice (session), else the configured default (German)."""
from flask import current_app, request, session


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    requested = request.args.get("lang")
    if requested in languages:
        return requested
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]
