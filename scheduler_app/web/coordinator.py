"""The coordinator's screens."""
from flask import Blueprint, render_template
from flask_login import current_user

from scheduler_app.web.access import coordinator_required

bp = Blueprint("coordinator", __name__, url_prefix="/coordinator")


@bp.route("/")
@coordinator_required
def dashboard():
    return render_template("coordinator/dashboard.html", user=current_user)
