"""The company dashboard: the company's offers per career day and its employer events."""
from flask import render_template
from flask_login import current_user

from scheduler_app.domain.dashboards import company_overview
from scheduler_app.web.access import company_contact_required
from scheduler_app.web.company import bp


@bp.route("/")
@company_contact_required
def dashboard():
    return render_template("company/dashboard.html", overviews=[company_overview(company) for company in current_user.companies])
