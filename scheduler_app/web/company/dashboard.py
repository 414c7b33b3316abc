"""The company dashboard: the company's offers per career day, its employer events, and its calendar."""
from flask import abort, render_template, url_for
from flask_login import current_user

from scheduler_app.domain.dashboards import company_overview
from scheduler_app.models import FeedKind
from scheduler_app.web.access import company_contact_required
from scheduler_app.web.company import bp
from scheduler_app.web.feeds import links_for, renew_and_return


@bp.route("/")
@company_contact_required
def dashboard():
    return render_template("company/dashboard.html", overviews=[
        (company_overview(company), links_for(FeedKind.company, company.id, company.name)) for company in current_user.companies])


@bp.route("/<int:company_id>/calendar/renew", methods=["POST"])
@company_contact_required
def renew_calendar(company_id: int):
    if not current_user.is_contact_of(company_id):
        abort(404)
    return renew_and_return(FeedKind.company, company_id, url_for("company.dashboard", _anchor=f"calendar-{company_id}-heading"))
