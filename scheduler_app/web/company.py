"""The company contact's screens."""
from flask import Blueprint, render_template
from flask_login import current_user

from scheduler_app.web.access import company_contact_required

bp = Blueprint("company", __name__, url_prefix="/company")


@bp.route("/")
@company_contact_required
def dashboard():
    return render_template("company/dashboard.html", companies=current_user.companies)
