"""Error pages in the user's language; CSRF failures become a 400 page that says what to do."""
from flask import Flask, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError

from scheduler_app.extensions import db

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Please go back and try again.")),
    403: (_l("Access denied"), _l("You are not allowed to see this page. If you think you should, ask your coordinator.")),
    404: (_l("Page not found"), _l("This page does not exist, or you have no access to it.")),
    405: (_l("Method not allowed"), _l("This action is not available here.")),
    413: (_l("File too large"), _l("The file is larger than the 5 MB we accept. Please upload a smaller file.")),
    415: (_l("Unsupported request"), _l("This address only accepts forms sent from its page.")),
    429: (_l("Too many attempts"), _l("Too many attempts in a short time. Please wait a minute and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error occurred. Nothing was saved. Please try again in a moment.")),
}


def render_error(code: int, detail: str | None = None):
    title, text = MESSAGES[code]
    return render_template("errors/error.html", code=code, title=title, text=detail or text), code


def register(app: Flask) -> None:
    for code in MESSAGES:
        if code == 500:
            continue
        app.register_error_handler(code, lambda error, code=code: render_error(code))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, _("The form had expired or was sent twice. Please reload the page and submit it again."))

    @app.errorhandler(500)
    def internal_error(error):
        db.session.rollback()
        return render_error(500)
