"""The coordinator dashboard: the agency's programmes with their career days, and what comes up next."""
from flask import render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from scheduler_app.domain.dashboards import coordinator_overview
from scheduler_app.domain.programmes import agencies_of, programmes_of
from scheduler_app.models_base import utc_now
from scheduler_app.web.access import coordinator_required
from scheduler_app.models import FeedKind
from scheduler_app.web.coordinator import bp
from scheduler_app.web.feeds import links_for, renew_and_return


@bp.route("/")
@coordinator_required
def dashboard():
    agencies = agencies_of(current_user)
    overview = coordinator_overview(agencies, programmes_of(agencies), utc_now())
    calendar = links_for(FeedKind.coordinator, current_user.id, _("Coordination"))
    return render_template("coordinator/dashboard.html", overview=overview, calendar=calendar)


@bp.route("/calendar/renew", methods=["POST"])
@coordinator_required
def renew_calendar():
    return renew_and_return(FeedKind.coordinator, current_user.id, url_for("coordinator.dashboard", _anchor="calendar-heading"))
