"""Dates and times as people read them, in one format: ``19.01.2027, 23:59`` in German and its
English equivalent through Babel (``Jan 19, 2027, 11:59 PM``), in the language of the page or mail
being written (flask-babel's locale).

The templates use these functions as filters (:mod:`scheduler_app.web.templating`: ``|date``,
``|weekday_date``, ``|time``, ``|time_span``, ``|datetime``, ``|wallclock``, ``|wallclock_span``),
the domain for dates inside its messages. Machine formats (iCal, ISO columns in CSV/XLSX, JSON,
HTTP headers, file names) never go through here. tests/web/test_dates.py fails when a template
formats a date by hand (``strftime``) or asks a filter for another format.

Two kinds of values, as the app stores them:

- *moments* in UTC (``created_at``, ``expires_at``, ``published_at`` …): :func:`moment` shows them
  in the app's time zone (``BABEL_DEFAULT_TIMEZONE``, Europe/Berlin);
- *wall-clock* values, already Berlin time (deadlines, event and meeting times, rounds: what the user
  typed): :func:`wallclock`, :func:`time`, :func:`time_span` and :func:`wallclock_span` show them as
  they are, never shifted.
"""
from __future__ import annotations

from datetime import date as Date
from datetime import datetime as DateTime
from datetime import time as Time
from functools import lru_cache

from babel.dates import get_datetime_format
from flask_babel import format_date, format_time, get_locale

DATE_STYLE = "medium"  # de: 19.01.2027 (four-digit year), en: Jan 19, 2027
TIME_STYLE = "short"  # de: 23:59 (no seconds), en: 11:59 PM


def _join(day_text: str, time_text: str) -> str:
    """A date and a time joined as the language joins them (de and en: "{date}, {time}")."""
    return get_datetime_format(DATE_STYLE, locale=get_locale()).replace("{1}", day_text).replace("{0}", time_text)


def date(value: Date | DateTime | None) -> str:
    """``19.01.2027``. A UTC moment is shown on its day in the app's time zone."""
    return format_date(value, DATE_STYLE) if value else ""


def weekday_date(value: Date | None) -> str:
    """``Dienstag, 19.01.2027``: a day's heading, the weekday spelled out before the one date format."""
    if not value:
        return ""
    return f"{format_date(value, 'EEEE', rebase=False)}, {format_date(value, DATE_STYLE, rebase=False)}"


def time(value: Time | DateTime | None) -> str:
    """``23:59``: a wall-clock time (a round's start, an event's end)."""
    return _time_in(value, str(get_locale())) if value else ""


@lru_cache(maxsize=4096)
def _time_in(value: Time | DateTime, locale: str) -> str:
    """Babel formats a time in tens of microseconds, and a day's 5,000 route sheets show the same
    few round times 15,000 times: each is formatted once per language (``locale``, the current
    one, is part of the key; wall-clock times do not depend on the time zone)."""
    return format_time(value, TIME_STYLE, rebase=False)


def time_span(starts: Time | DateTime | None, ends: Time | DateTime | None) -> str:
    """``08:30–09:15``: a round or a slot, in wall-clock time."""
    return f"{time(starts)}–{time(ends)}" if starts and ends else time(starts)


def wallclock(value: DateTime | None) -> str:
    """``19.01.2027, 23:59``: a deadline or an event's time, stored as Berlin wall-clock time (not shifted)."""
    if not value:
        return ""
    return _join(format_date(value, DATE_STYLE, rebase=False), time(value))


def moment(value: DateTime | None) -> str:
    """``19.01.2027, 23:59``: a moment stored in UTC, shown in the app's time zone."""
    if not value:
        return ""
    return _join(format_date(value, DATE_STYLE), format_time(value, TIME_STYLE))


def wallclock_span(starts: DateTime | None, ends: DateTime | None = None) -> str:
    """``Dienstag, 19.01.2027, 14:00–16:00``: an event or meeting in wall-clock time (an end on
    the same day shows its time only)."""
    if not starts:
        return ""
    return f"{weekday_date(starts.date())}, {time_span(starts, ends)}"
