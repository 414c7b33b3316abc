"""The iCalendar builder: stable bytes, and times that real parsers read as ``zoneinfo`` does.

The parsers here are the Python ones the test extras install (icalendar, vobject, and ``ical``, the
library behind Home Assistant); tests/feeds run ical.js and node-ical through Node where it exists.
Summer and winter dates in 2027, 2031 and 2036 catch a VTIMEZONE that is only right for a few years
(icalendar's own ``add_missing_timezones()`` output is misread by some parsers in later summers).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from scheduler_app.config import PROJECT_ROOT
from scheduler_app.domain.calendar import CalendarEntry, build_calendar, in_feed_window, uid

BERLIN = ZoneInfo("Europe/Berlin")
NODE_DIR = PROJECT_ROOT / "tests" / "node"
NODE_PARSERS = ("ical.js", "node-ical")
STAMP = datetime(2027, 1, 5, 10, 30, 15)
MOMENTS = [datetime(year, month, 14, 9, 30) for year in (2027, 2031, 2036) for month in (1, 3, 4, 7, 10, 11, 12)]
# the last Sunday of March and October themselves, around the switch
MOMENTS += [datetime(2031, 3, 30, 1, 30), datetime(2031, 3, 30, 3, 30), datetime(2036, 10, 26, 1, 30),
            datetime(2036, 10, 26, 4, 0)]


def _entries(renamed_tzid: bool = False) -> list[CalendarEntry]:
    return [CalendarEntry(uid=uid("test", index, domain="bo.example"), summary=f"Termin {index}", starts_at=moment,
                          ends_at=moment + timedelta(hours=2), last_modified=STAMP)
            for index, moment in enumerate(MOMENTS)]


def _body(renamed_tzid: bool = False) -> str:
    """The feed; with ``renamed_tzid`` the zone is called "Berlin-Test", so a parser that knows the IANA
    name cannot use it and must read our VTIMEZONE (that is what this test is about)."""
    body = build_calendar(_entries(), name="Test").decode()
    return body.replace("Europe/Berlin", "Berlin-Test") if renamed_tzid else body


def node_missing() -> str | None:
    """Why the Node parsers cannot run here, or None. CI installs them (`npm ci --prefix tests/node`)."""
    if shutil.which("node") is None:
        return "Node.js is not installed: ical.js and node-ical (tests/node) are not checked here"
    if not (NODE_DIR / "node_modules" / "ical.js").is_dir():
        return "the Node parsers are not installed: run `npm ci --prefix tests/node`"
    return None


def parse_with_node(parser: str, text: str, tmp_dir) -> dict[str, datetime]:
    path = os.path.join(tmp_dir, "feed.ics")
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    result = subprocess.run(["node", str(NODE_DIR / "parse.mjs"), parser, path], capture_output=True, text=True,
                            timeout=60, check=True)
    return {key: datetime.fromisoformat(value.replace("Z", "+00:00")) for key, value in json.loads(result.stdout).items()}


def parse_with_every_parser(text: str) -> dict[str, dict[str, datetime]]:
    """Each parser's reading of the feed: UID → start as a UTC instant. The Node parsers take part
    where Node and tests/node/node_modules exist (tests below say when they are skipped)."""
    import tempfile

    import vobject
    from ical.calendar_stream import IcsCalendarStream
    from icalendar import Calendar

    readings = {
        "icalendar": {str(e["uid"]): e.decoded("dtstart").astimezone(timezone.utc) for e in Calendar.from_ical(text).walk("VEVENT")},
        "vobject": {e.uid.value: e.dtstart.value.astimezone(timezone.utc) for e in vobject.readOne(text).vevent_list},
        "ical": {e.uid: e.dtstart.astimezone(timezone.utc) for e in IcsCalendarStream.calendar_from_ics(text).events},
    }
    if node_missing() is None:
        with tempfile.TemporaryDirectory() as tmp_dir:
            for parser in NODE_PARSERS:
                readings[parser] = parse_with_node(parser, text, tmp_dir)
    return readings


def _expected() -> dict[str, datetime]:
    return {uid("test", index, domain="bo.example"): moment.replace(tzinfo=BERLIN).astimezone(timezone.utc)
            for index, moment in enumerate(MOMENTS)}


@pytest.mark.parametrize("renamed_tzid", [False, True], ids=["iana-name", "renamed-zone"])
def test_icalendar_reads_every_time_as_zoneinfo_does(renamed_tzid):
    from icalendar import Calendar

    calendar = Calendar.from_ical(_body(renamed_tzid))
    starts = {str(event["uid"]): event.decoded("dtstart").astimezone(timezone.utc) for event in calendar.walk("VEVENT")}
    assert starts == _expected()


@pytest.mark.parametrize("renamed_tzid", [False, True], ids=["iana-name", "renamed-zone"])
def test_vobject_reads_every_time_as_zoneinfo_does(renamed_tzid):
    import vobject

    calendar = vobject.readOne(_body(renamed_tzid))
    starts = {event.uid.value: event.dtstart.value.astimezone(timezone.utc) for event in calendar.vevent_list}
    assert starts == _expected()


@pytest.mark.parametrize("renamed_tzid", [False, True], ids=["iana-name", "renamed-zone"])
def test_ical_reads_every_time_as_zoneinfo_does(renamed_tzid):
    from ical.calendar_stream import IcsCalendarStream

    calendar = IcsCalendarStream.calendar_from_ics(_body(renamed_tzid))
    starts = {event.uid: event.dtstart.astimezone(timezone.utc) for event in calendar.events}
    assert starts == _expected()


@pytest.mark.parametrize("parser, renamed_tzid", [("ical.js", False), ("ical.js", True), ("node-ical", False)],
                         ids=["icaljs-iana-name", "icaljs-renamed-zone", "node-ical"])
def test_the_node_parsers_read_every_time_as_zoneinfo_does(parser, renamed_tzid, tmp_path):
    """ical.js is Thunderbird's parser; node-ical resolves zones by name only (it ignores VTIMEZONE),
    so it is checked with the IANA name, ical.js also with a renamed zone."""
    reason = node_missing()
    if reason:
        if os.environ.get("REQUIRE_NODE") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    assert parse_with_node(parser, _body(renamed_tzid), tmp_path) == _expected()


def test_the_same_entries_give_byte_identical_bodies_whatever_their_order():
    entries = _entries()
    assert build_calendar(entries, name="Test") == build_calendar(list(reversed(entries)), name="Test")


def test_stamps_come_from_the_last_change_never_from_the_clock():
    body = _body()
    assert set(re.findall(r"DTSTAMP:(\S+)", body)) == {"20270105T103015Z"}
    assert set(re.findall(r"LAST-MODIFIED:(\S+)", body)) == {"20270105T103015Z"}


def test_the_timezone_is_written_once_in_the_yearly_rule_form():
    body = _body()
    assert body.count("BEGIN:VTIMEZONE") == 1
    assert "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3" in body and "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10" in body
    assert "RDATE" not in body
    assert all(line.startswith(("DTSTART;TZID=Europe/Berlin:", "DTSTART:1970")) for line in body.splitlines()
               if line.startswith("DTSTART"))


def test_the_calendar_names_itself_and_asks_for_refreshes_as_clients_read_them():
    body = build_calendar([], name="BO-Tag 2027 – Klasse 9b", refresh=timedelta(hours=6))
    text = body.decode()
    assert body.count(b"\r\n") == len(text.splitlines())  # CRLF line ends
    assert "X-WR-CALNAME:BO-Tag 2027 – Klasse 9b" in text
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT6H" in text and "X-PUBLISHED-TTL:PT6H" in text
    assert "X-WR-TIMEZONE:Europe/Berlin" in text
    assert "ATTENDEE" not in text and "ORGANIZER" not in text and "VALARM" not in text


def test_a_cancelled_entry_says_so_in_its_status_and_summary():
    entry = CalendarEntry(uid="a@b", summary="Infoabend", starts_at=datetime(2027, 5, 1, 18), ends_at=datetime(2027, 5, 1, 20),
                          last_modified=STAMP, sequence=3, cancelled=True)
    text = build_calendar([entry], name="T", cancelled_prefix="Cancelled:").decode()
    assert "STATUS:CANCELLED" in text and "SUMMARY:Cancelled: Infoabend" in text and "SEQUENCE:3" in text


def test_the_feed_window_keeps_a_year_back_two_ahead_and_cancelled_entries_for_thirty_days():
    now = datetime(2027, 6, 1, 12)

    def entry(name, starts, cancelled=False, changed=now):
        return CalendarEntry(uid=name, summary=name, starts_at=starts, ends_at=starts + timedelta(hours=1),
                             last_modified=changed, cancelled=cancelled)

    entries = [entry("old", now - timedelta(days=400)), entry("recent", now - timedelta(days=300)),
               entry("far", now + timedelta(days=800)), entry("next", now + timedelta(days=30)),
               entry("cancelled-lately", now + timedelta(days=10), True, now - timedelta(days=29)),
               entry("cancelled-long-ago", now + timedelta(days=10), True, now - timedelta(days=31))]
    assert [e.uid for e in in_feed_window(entries, now)] == ["recent", "next", "cancelled-lately"]
