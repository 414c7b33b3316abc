"""Template globals and filters: navigation by role, dates in the user's language."""
from flask import Flask, request
from flask_babel import format_date, format_datetime, format_time, get_locale
from flask_login import current_user

from scheduler_app.web.navigation import navigation_for


def wallclock_span(starts, ends=None) -> str:
    """A Berlin wall-clock event time in words, e.g. "Dienstag, 5. Januar 2027, 14:00–16:00" (no time
    zone shift, no seconds, no zone name)."""
    if not starts:
        return ""
    text = f"{format_date(starts.date(), 'full')}, {format_time(starts, 'short', rebase=False)}"
    return f"{text}–{format_time(ends, 'short', rebase=False)}" if ends else text


def register(app: Flask) -> None:
    app.jinja_env.filters["date"] = lambda value, fmt="medium": format_date(value, fmt) if value else ""
    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": format_datetime(value, fmt) if value else ""
    app.jinja_env.filters["time"] = lambda value, fmt="short": format_time(value, fmt) if value else ""
    # Event times and deadlines are stored as Berlin wall-clock times: format them without a UTC shift.
    app.jinja_env.filters["wallclock"] = (
        lambda value, fmt="medium": format_datetime(value, fmt, rebase=False) if value else ""
    )
    app.jinja_env.filters["wallclock_span"] = wallclock_span
    app.jinja_env.globals["main_navigation"] = lambda: navigation_for(current_user, request.endpoint, app.view_functions)

    @app.context_processor
    def inject_globals():
        return {
            "current_locale": str(get_locale()),
            "languages": app.config["LANGUAGES"],
            "current_user": current_user,
        }
