"""The school dashboard: career days open for registration, the school's registered classes, and its calendar."""
from flask import abort, render_template, url_for
from flask_login import current_user

from scheduler_app.domain.dashboards import school_overview
from scheduler_app.models import FeedKind
from scheduler_app.models_base import utc_now
from scheduler_app.web.access import school_contact_required
from scheduler_app.web.feeds import links_for, renew_and_return
from scheduler_app.web.school import bp


@bp.route("/")
@school_contact_required
def dashboard():
    now = utc_now()
    return render_template("school/dashboard.html", overviews=[
        (school_overview(school, now), links_for(FeedKind.school, school.id, school.name)) for school in current_user.schools])


@bp.route("/<int:school_id>/calendar/renew", methods=["POST"])
@school_contact_required
def renew_calendar(school_id: int):
    if not current_user.is_contact_of(school_id):
        abort(404)
    return renew_and_return(FeedKind.school, school_id, url_for("school.dashboard", _anchor=f"calendar-{school_id}-heading"))
