"""The school dashboard: career days open for registration and the school's registered classes."""
from flask import render_template
from flask_login import current_user

from scheduler_app.domain.dashboards import school_overview
from scheduler_app.models_base import utc_now
from scheduler_app.web.access import school_contact_required
from scheduler_app.web.school import bp


@bp.route("/")
@school_contact_required
def dashboard():
    now = utc_now()
    return render_template("school/dashboard.html", overviews=[school_overview(school, now) for school in current_user.schools])
