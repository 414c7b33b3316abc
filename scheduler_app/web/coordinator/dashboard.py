"""The coordinator dashboard: the agency's programmes with their career days, and what comes up next."""
from flask import render_template
from flask_login import current_user

from scheduler_app.domain.dashboards import coordinator_overview
from scheduler_app.domain.programmes import agencies_of, programmes_of
from scheduler_app.models_base import utc_now
from scheduler_app.web.access import coordinator_required
from scheduler_app.web.coordinator import bp


@bp.route("/")
@coordinator_required
def dashboard():
    agencies = agencies_of(current_user)
    overview = coordinator_overview(agencies, programmes_of(agencies), utc_now())
    return render_template("coordinator/dashboard.html", overview=overview)
