"""The one iCalendar builder: calendar feeds and the ``.ics`` attachments of mails use it alike.

Pure: it takes plain :class:`CalendarEntry` values (no models, no database, no clock) and returns the
bytes of a ``VCALENDAR``. What the clients need (see ``shared/notes/calendar-clients.md``):

- every time as ``DTSTART;TZID=Europe/Berlin`` with ONE ``VTIMEZONE`` written in the yearly RRULE
  form (1970, last Sunday of March/October). icalendar's own ``add_missing_timezones()`` writes each
  observance as a multi-value ``RDATE`` that ical.js and vobject misread in later summers;
- UIDs from database keys (:func:`uid`), never reused, the same in feeds and mail attachments;
- ``DTSTAMP`` and ``LAST-MODIFIED`` from the entry's last change and ``SEQUENCE`` from the caller,
  never from the clock: the same data gives byte-identical bodies (so an ETag works);
- cancelled entries as ``STATUS:CANCELLED`` with a visible prefix; no ``ATTENDEE``/``ORGANIZER``
  (they leak addresses and turn entries into invitations), no alarms.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlsplit

from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vRecur
from icalendar.prop import vDDDTypes, vText

TZID = "Europe/Berlin"
PRODID = "-//scheduler_app//Kalender//DE"
DEFAULT_REFRESH = timedelta(hours=6)
FEED_WINDOW_BACK = timedelta(days=365)
FEED_WINDOW_AHEAD = timedelta(days=2 * 365)
CANCELLED_KEPT_FOR = timedelta(days=30)


@dataclass(frozen=True)
class CalendarEntry:
    """One event of a calendar. Times are naive Europe/Berlin wall-clock times (as stored);
    ``last_modified`` is naive UTC. ``all_day``: ``starts_at``/``ends_at`` are taken as dates
    (``ends_at`` exclusive, as iCalendar wants it)."""

    uid: str
    summary: str
    starts_at: datetime
    ends_at: datetime
    last_modified: datetime
    sequence: int = 0
    location: str | None = None
    description: str | None = None
    url: str | None = None
    cancelled: bool = False
    all_day: bool = False


def uid(kind: str, *keys: int | str, domain: str) -> str:
    """A stable UID such as ``employer-event-17@bo.example.org`` (``domain``: :func:`uid_domain`)."""
    return "-".join([kind, *(str(key) for key in keys)]) + "@" + domain


def uid_domain(base_url: str) -> str:
    """The right-hand side of every UID: the installation's host (from ``PUBLIC_BASE_URL``), so two
    installations never collide. Feeds and mail attachments both take it from here, so an event has
    one UID everywhere; moving the installation to another host changes every UID."""
    return urlsplit(base_url).hostname or "localhost"


def in_feed_window(entries: Iterable[CalendarEntry], now: datetime, *, back: timedelta = FEED_WINDOW_BACK,
                   ahead: timedelta = FEED_WINDOW_AHEAD, cancelled_kept_for: timedelta = CANCELLED_KEPT_FOR
                   ) -> list[CalendarEntry]:
    """The entries a feed shows at ``now`` (naive UTC): from ``back`` before to ``ahead`` after, and
    cancelled ones only for ``cancelled_kept_for`` after their last change (then clients drop them)."""
    shown = []
    for entry in entries:
        if not now - back <= entry.starts_at <= now + ahead:
            continue
        if entry.cancelled and entry.last_modified + cancelled_kept_for < now:
            continue
        shown.append(entry)
    return shown


def berlin_timezone() -> Timezone:
    """Europe/Berlin in the yearly RRULE form every parser reads the same way as ``zoneinfo``."""
    zone = Timezone()
    zone.add("tzid", TZID)
    zone.add("x-lic-location", TZID)
    summer = TimezoneDaylight()
    summer.add("tzname", "CEST")
    summer.add("dtstart", datetime(1970, 3, 29, 2, 0))
    summer.add("rrule", vRecur(freq="YEARLY", bymonth=3, byday="-1SU"))
    summer.add("tzoffsetfrom", timedelta(hours=1))
    summer.add("tzoffsetto", timedelta(hours=2))
    winter = TimezoneStandard()
    winter.add("tzname", "CET")
    winter.add("dtstart", datetime(1970, 10, 25, 3, 0))
    winter.add("rrule", vRecur(freq="YEARLY", bymonth=10, byday="-1SU"))
    winter.add("tzoffsetfrom", timedelta(hours=2))
    winter.add("tzoffsetto", timedelta(hours=1))
    zone.add_component(summer)
    zone.add_component(winter)
    return zone


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc, microsecond=0)


def _local(moment: datetime) -> vDDDTypes:
    value = vDDDTypes(moment.replace(microsecond=0))
    value.params["TZID"] = TZID
    return value


def _event(entry: CalendarEntry, cancelled_prefix: str) -> Event:
    event = Event()
    event.add("uid", entry.uid)
    event.add("dtstamp", _utc(entry.last_modified))
    event.add("last-modified", _utc(entry.last_modified))
    event.add("sequence", entry.sequence)
    if entry.all_day:
        first = entry.starts_at.date() if isinstance(entry.starts_at, datetime) else entry.starts_at
        last = entry.ends_at.date() if isinstance(entry.ends_at, datetime) else entry.ends_at
        event.add("dtstart", first)
        event.add("dtend", max(last, first + timedelta(days=1)) if isinstance(last, date) else last)
    else:
        event["dtstart"] = _local(entry.starts_at)
        event["dtend"] = _local(entry.ends_at)
    event.add("summary", f"{cancelled_prefix} {entry.summary}" if entry.cancelled else entry.summary)
    event.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if entry.cancelled else "OPAQUE")
    if entry.location:
        event.add("location", entry.location)
    if entry.description:
        event.add("description", entry.description)
    if entry.url:
        event.add("url", entry.url)
    return event


def build_calendar(entries: Iterable[CalendarEntry], *, name: str, description: str | None = None,
                   cancelled_prefix: str = "Abgesagt:", refresh: timedelta = DEFAULT_REFRESH,
                   method: str | None = None) -> bytes:
    """The calendar as bytes (CRLF lines, UTF-8). Entries are written in a fixed order (start, UID),
    so equal input gives equal output. ``method``: ``PUBLISH`` for a mail attachment; feeds leave it
    out. ``cancelled_prefix`` is put before the summary of cancelled entries, in the owner's language."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    calendar.add("x-wr-calname", name)
    calendar.add("name", name)
    if description:
        calendar.add("x-wr-caldesc", description)
    calendar.add("x-wr-timezone", TZID)
    # Written by hand: icalendar omits VALUE=DURATION (RFC 7986 wants it) and writes a timedelta
    # given for X-PUBLISHED-TTL as "6:00:00".
    hours, remainder = divmod(int(refresh.total_seconds()), 3600)
    duration = vText(f"PT{hours}H" + (f"{remainder // 60}M" if remainder else ""))
    duration.params["VALUE"] = "DURATION"
    calendar["refresh-interval"] = duration
    calendar["x-published-ttl"] = vText(str(duration))
    calendar.add_component(berlin_timezone())
    for entry in sorted(entries, key=lambda e: (e.starts_at, e.uid)):
        calendar.add_component(_event(entry, cancelled_prefix))
    return calendar.to_ical()
