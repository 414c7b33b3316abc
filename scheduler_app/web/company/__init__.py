"""The company contact's screens, one module per topic; each module adds its views to ``bp``."""
from flask import Blueprint

bp = Blueprint("company", __name__, url_prefix="/company")

from scheduler_app.web.company import career_days, dashboard, events  # noqa: E402,F401
