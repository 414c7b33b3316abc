"""The school contact's (teacher's) screens, one module per topic; each module adds its views to ``bp``."""
from flask import Blueprint

bp = Blueprint("school", __name__, url_prefix="/school")

from scheduler_app.web.school import career_days, dashboard, events  # noqa: E402,F401
