"""One date format everywhere: ``19.01.2027, 23:59`` in German and Babel's English equivalent, from
the same helpers in templates (filters) and domain messages (scheduler_app.domain.dates)."""
from __future__ import annotations

import re
from datetime import date, datetime, time
from pathlib import Path

import pytest
from flask_babel import force_locale

from scheduler_app.domain import dates

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
DEADLINE = datetime(2027, 1, 19, 23, 59)  # Berlin wall-clock time, as deadlines are stored
UTC_MOMENT = datetime(2027, 1, 19, 22, 59)  # 23:59 in Berlin (winter: UTC+1)
SUMMER_MOMENT = datetime(2027, 7, 19, 21, 59)  # 23:59 in Berlin (summer: UTC+2)


def _plain(text: str) -> str:
    return text.replace("\u202f", " ")  # CLDR puts a narrow no-break space before AM/PM


@pytest.mark.parametrize("locale, expected", [
    ("de", {"date": "19.01.2027", "weekday_date": "Dienstag, 19.01.2027", "time": "23:59", "time_span": "08:30–09:15",
            "wallclock": "19.01.2027, 23:59", "datetime": "19.01.2027, 23:59", "summer": "19.07.2027, 23:59",
            "wallclock_span": "Dienstag, 19.01.2027, 14:00–16:00"}),
    ("en", {"date": "Jan 19, 2027", "weekday_date": "Tuesday, Jan 19, 2027", "time": "11:59 PM",
            "time_span": "8:30 AM–9:15 AM", "wallclock": "Jan 19, 2027, 11:59 PM", "datetime": "Jan 19, 2027, 11:59 PM",
            "summer": "Jul 19, 2027, 11:59 PM", "wallclock_span": "Tuesday, Jan 19, 2027, 2:00 PM–4:00 PM"}),
])
def test_every_date_filter_gives_the_one_format_in_both_languages(app, locale, expected):
    template = app.jinja_env.from_string(
        "{{ day|date }}|{{ day|weekday_date }}|{{ deadline|time }}|{{ starts|time_span(ends) }}|{{ deadline|wallclock }}"
        "|{{ moment|datetime }}|{{ summer|datetime }}|{{ event|wallclock_span(event_end) }}")
    with app.test_request_context(), force_locale(locale):
        shown = _plain(template.render(day=date(2027, 1, 19), deadline=DEADLINE, starts=time(8, 30), ends=time(9, 15),
                                       moment=UTC_MOMENT, summer=SUMMER_MOMENT, event=datetime(2027, 1, 19, 14, 0),
                                       event_end=datetime(2027, 1, 19, 16, 0)))
    assert shown.split("|") == [expected[key] for key in ("date", "weekday_date", "time", "time_span", "wallclock",
                                                          "datetime", "summer", "wallclock_span")]


def test_empty_values_show_nothing(app):
    with app.test_request_context():
        assert [dates.date(None), dates.wallclock(None), dates.moment(None), dates.time(None), dates.wallclock_span(None)] == [""] * 5


def test_a_domain_message_shows_its_deadline_in_the_one_format_of_the_current_language(app):
    from scheduler_app.domain.career_days import format_deadline

    with app.test_request_context():
        with force_locale("de"):
            assert format_deadline(DEADLINE) == "19.01.2027, 23:59"
        with force_locale("en"):
            assert _plain(format_deadline(DEADLINE)) == "Jan 19, 2027, 11:59 PM"


def _template_files():
    return sorted(p for p in TEMPLATES.rglob("*") if p.suffix in (".html", ".txt"))


HAND_MADE = re.compile(r"strftime|%d\.%m|%H:%M|%Y-%m")
FORMAT_ARGUMENT = re.compile(r"\|\s*(date|weekday_date|time|datetime|wallclock)\s*\(")


def test_no_template_formats_a_date_by_hand_or_asks_for_another_format():
    """Templates show dates only through the filters (scheduler_app.web.templating.DATE_FILTERS),
    which take no format argument: one format everywhere."""
    assert _template_files(), TEMPLATES
    found = [f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()[:120]}"
             for path in _template_files()
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
             if HAND_MADE.search(line) or FORMAT_ARGUMENT.search(line)]
    assert found == [], "\n".join(found)


def test_the_guard_recognises_a_hand_made_date():
    assert HAND_MADE.search('{{ r.starts_at.strftime("%H:%M") }}') and HAND_MADE.search("{{ '%d.%m.%Y' }}")
    assert FORMAT_ARGUMENT.search('{{ day.date|date("full") }}') and FORMAT_ARGUMENT.search("{{ x|wallclock('short') }}")
    assert not HAND_MADE.search("{{ day.date|date }}") and not HAND_MADE.search("{{ _anchor='member-%d' % n }}")
    assert not FORMAT_ARGUMENT.search("{{ r.starts_at|time_span(r.ends_at) }}")


def test_outside_a_request_a_job_or_command_shows_dates_in_the_default_language(app):
    from scheduler_app.domain.career_days import format_deadline

    with app.app_context():
        assert format_deadline(DEADLINE) == "19.01.2027, 23:59" and dates.time(time(8, 30)) == "08:30"
