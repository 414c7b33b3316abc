"""Running one domain call as the request's transaction, for POST views that answer with a redirect."""
from flask import abort, flash
from flask_babel import gettext as _

from scheduler_app.domain.errors import DomainError, NotAllowed
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
