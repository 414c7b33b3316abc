"""The coordinator's screens, one module per topic; each module adds its views to ``bp``."""
from flask import Blueprint

bp = Blueprint("coordinator", __name__, url_prefix="/coordinator")

from scheduler_app.web.coordinator import dashboard  # noqa: E402,F401
from scheduler_app.web.coordinator import programmes  # noqa: E402,F401
from scheduler_app.web.coordinator import organisations  # noqa: E402,F401
from scheduler_app.web.coordinator import career_days  # noqa: E402,F401
from scheduler_app.web.coordinator import allocations  # noqa: E402,F401
from scheduler_app.web.coordinator import alliances  # noqa: E402,F401
from scheduler_app.web.coordinator import meetings  # noqa: E402,F401
from scheduler_app.web.coordinator import jobs  # noqa: E402,F401
from scheduler_app.web.coordinator import events  # noqa: E402,F401
from scheduler_app.web.coordinator import late_changes  # noqa: E402,F401
