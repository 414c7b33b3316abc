"""Who may see what: decorators and lookups that answer 403/404 for other people's data."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from scheduler_app.extensions import db


def coordinator_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_coordinator:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def school_contact_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.schools:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def company_contact_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.companies:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def get_owned_or_404(model, object_id: int, organisation_id_of):
    """Load ``model`` by id; 404 unless the signed-in contact belongs to its organisation.

    404 rather than 403 so that ids of other schools' or companies' data are not confirmed to exist.
    """
    obj = db.session.get(model, object_id)
    if obj is None or not current_user.is_contact_of(organisation_id_of(obj)):
        abort(404)
    return obj
