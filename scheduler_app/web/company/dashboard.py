"""The company dashboard."""
from flask import render_template
from flask_login import current_user

from scheduler_app.web.company import bp
from scheduler_app.web.access import company_contact_required

@bp.route("/")
@company_contact_required
def dashboard():
    return render_template("company/dashboard.html", companies=current_user.companies)
