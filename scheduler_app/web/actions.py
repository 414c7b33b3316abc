"""Running one domain call as the request's transaction, for POST views that answer with a redirect."""
from flask import abort, flash
from flask_babel import gettext as _

from scheduler_app.domain.errors import DomainError, NotAllowed, each
from scheduler_app.extensions import db


def commit_or_flash(action):
    """Run ``action`` (one domain call) and commit it: ``(True, result)``. On a rule violation roll back,
    flash its message and return ``(False, None)``; NotAllowed answers 403."""
    try:
        result = action()
    except NotAllowed:
        db.session.rollback()
        abort(403)
    except DomainError as error:
        db.session.rollback()
        flash(_(error.message, **error.params), "error")
        return False, None
    db.session.commit()
    return True, result


def show_error(form, error: DomainError, default_field: str) -> None:
    """Put each rule violation's message next to its field (or ``default_field`` when the form has no such field)."""
    for single in each(error):
        field = getattr(form, single.field or default_field, None) or getattr(form, default_field)
        field.errors = [*field.errors, _(single.message, **single.params)]


def commit_or_show(form, action, default_field: str):
    """Like :func:`commit_or_flash` for a form: on a rule violation roll back and show the message next
    to its field; returns ``(True, result)`` after committing, ``(False, None)`` otherwise."""
    try:
        result = action()
    except NotAllowed:
        db.session.rollback()
        abort(403)
    except DomainError as error:
        db.session.rollback()
        show_error(form, error, default_field)
        return False, None
    db.session.commit()
    return True, result
