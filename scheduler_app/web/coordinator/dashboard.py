"""The coordinator dashboard."""
from flask import render_template
from flask_login import current_user

from scheduler_app.web.coordinator import bp
from scheduler_app.web.access import coordinator_required

@bp.route("/")
@coordinator_required
def dashboard():
    return render_template("coordinator/dashboard.html", user=current_user)
