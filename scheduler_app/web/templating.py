"""Template globals and filters: navigation by role, dates in the user's language."""
from flask import Flask, request
from flask_babel import get_locale
from flask_login import current_user

from scheduler_app.domain import dates
from scheduler_app.web.navigation import navigation_for

# One format for every date and time a page or mail shows (scheduler_app.domain.dates): the filters
# take no format argument.
DATE_FILTERS = {
    "date": dates.date,  # 19.01.2027
    "weekday_date": dates.weekday_date,  # Dienstag, 19.01.2027
    "time": dates.time,  # 23:59 (wall clock)
    "time_span": dates.time_span,  # 08:30–09:15 (wall clock)
    "datetime": dates.moment,  # 19.01.2027, 23:59 (stored in UTC, shown in the app's time zone)
    "wallclock": dates.wallclock,  # 19.01.2027, 23:59 (stored as Berlin wall-clock time)
    "wallclock_span": dates.wallclock_span,  # Dienstag, 19.01.2027, 14:00–16:00
}


def register(app: Flask) -> None:
    app.jinja_env.filters.update(DATE_FILTERS)
    app.jinja_env.globals["main_navigation"] = lambda: navigation_for(current_user, request.endpoint, app.view_functions)

    @app.context_processor
    def inject_globals():
        return {
            "current_locale": str(get_locale()),
            "languages": app.config["LANGUAGES"],
            "current_user": current_user,
        }
