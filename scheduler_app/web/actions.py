"""The web layer's transaction boundary: every change a request makes goes through here.

A view hands its one domain call to :func:`commit_or_show` (a form: each message goes next to its
field) or :func:`commit_or_flash` (a button: the message is flashed). Either commits on success,
rolls back on a rule violation (:class:`DomainError`) and answers 403 to :class:`NotAllowed`, so no
view commits, rolls back or turns a domain error into a message itself. Both return ``(True,
result)`` after committing, or ``(False, error)`` with the error that was shown (for what a view
shows besides the message, such as an upload's bad rows).
"""
from flask import abort, flash
from flask_babel import gettext as _

from scheduler_app.domain.errors import DomainError, NotAllowed, each
from scheduler_app.extensions import db


def _commit(action, show):
    try:
        result = action()
    except NotAllowed:
        db.session.rollback()
        abort(403)
    except DomainError as error:
        db.session.rollback()
        show(error)
        return False, error
    db.session.commit()
    return True, result


def commit_or_flash(action):
    """Run ``action`` (one domain call) and commit it; on a rule violation roll back and flash its message."""
    return _commit(action, lambda error: flash(_(error.message, **error.params), "error"))


def commit_or_show(form, action, default_field: str):
    """Run ``action`` (one domain call) and commit it; on a rule violation roll back and show each
    message on the form (:func:`show_error`)."""
    return _commit(action, lambda error: show_error(form, error, default_field))


def show_error(form, error: DomainError, default_field: str) -> None:
    """Put each rule violation's message next to its field (or ``default_field`` when the form has no such
    field; above the form when it has neither). A form that shows some messages elsewhere (a table's, the
    whole form's) says where with ``errors_for(field)``: the list to add the message to, or None for the
    field itself."""
    errors_for = getattr(form, "errors_for", None)
    for single in each(error):
        message = _(single.message, **single.params)
        elsewhere = errors_for(single.field) if errors_for is not None else None
        if elsewhere is not None:
            elsewhere.append(message)
            continue
        field = getattr(form, single.field or default_field, None) or getattr(form, default_field, None)
        if field is None:  # the view took both fields off this form (e.g. the password for an existing account)
            form.form_errors.append(message)
        else:
            field.errors = [*field.errors, message]
