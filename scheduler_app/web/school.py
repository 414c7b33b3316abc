"""The school contact's (teacher's) screens."""
from flask import Blueprint, render_template
from flask_login import current_user

from scheduler_app.web.access import school_contact_required

bp = Blueprint("school", __name__, url_prefix="/school")


@bp.route("/")
@school_contact_required
def dashboard():
    return render_template("school/dashboard.html", schools=current_user.schools)
