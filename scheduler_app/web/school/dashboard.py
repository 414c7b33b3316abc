"""The school dashboard."""
from flask import render_template
from flask_login import current_user

from scheduler_app.web.school import bp
from scheduler_app.web.access import school_contact_required

@bp.route("/")
@school_contact_required
def dashboard():
    return render_template("school/dashboard.html", schools=current_user.schools)
