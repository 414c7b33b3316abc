"""Calendar feeds per audience: what each holds, what it must not hold, and how changes show."""
from __future__ import annotations

import logging
import re
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest

from scheduler_app.domain import feeds
from scheduler_app.domain.career_days import update_career_day
from scheduler_app.domain.feeds import FeedContext
from scheduler_app.extensions import db
from scheduler_app.models import FeedKind, Room, Venue
from tests import factories
from tests.domain.test_calendar import parse_with_every_parser
from tests.web.career_day_helpers import publish_by_hand

KEY = "test-feed-key"
NOW = datetime(2027, 1, 10, 9, 0)
CTX = FeedContext(now=NOW, base_url="https://bo.example", uid_domain="bo.example")


@pytest.fixture
def day(db_session):
    """A day with rounds 1–3, two classes of two schools, two offers of two companies."""
    coordinator = factories.make_coordinator()
    programme = factories.make_programme(factories.agency_of(coordinator), name="BO-Tage 2027")
    venue = Venue(agency_id=programme.agency_id, name="Schulzentrum", city="Bramsche")
    career_day = factories.make_career_day(programme, day=date(2027, 3, 10), name="BO-Tag Bramsche", venue=venue)
    klinikum = factories.make_organisation(factories.OrganisationKind.company, name="Klinikum")
    bank = factories.make_organisation(factories.OrganisationKind.company, name="Sparkasse")
    room = Room(venue=venue, name="Raum A101", capacity=30)
    pflege = factories.make_offer(career_day, company=klinikum, title="Pflege erleben", room=room)
    banking = factories.make_offer(career_day, company=bank, title="Bankberufe")
    school = factories.make_organisation(factories.OrganisationKind.school, name="Oberschule")
    other_school = factories.make_organisation(factories.OrganisationKind.school, name="Gymnasium")
    nine_a = factories.make_school_class(career_day, school=school, name="9a", students=2, first_round=1, last_round=2)
    ten_b = factories.make_school_class(career_day, school=other_school, name="10b", students=1)
    nine_a.students[0].display_name, nine_a.students[1].display_name = "Mia K.", "Noah B."
    ten_b.students[0].display_name = "Lena S."
    db.session.flush()
    return {"day": career_day, "coordinator": coordinator, "programme": programme, "school": school, "nine_a": nine_a,
            "ten_b": ten_b, "mia": nine_a.students[0], "noah": nine_a.students[1], "lena": ten_b.students[0],
            "pflege": pflege, "banking": banking, "klinikum": klinikum}


def _publish(day):
    d = day
    publish_by_hand(d["day"], {d["mia"]: [d["pflege"].slots[0], d["banking"].slots[1]],
                               d["noah"]: [d["banking"].slots[0], d["pflege"].slots[1]],
                               d["lena"]: [d["pflege"].slots[2]]})


def _text(kind: FeedKind, owner_id: int, ctx: FeedContext = CTX) -> str:
    feed = feeds.feed_for(kind, owner_id, KEY, NOW)
    return feeds.body(feeds.content(feed, ctx)).decode()


def _summaries(text: str) -> list[str]:
    return re.findall(r"^SUMMARY:(.*?)\r?$", text.replace("\r\n ", ""), flags=re.M)


def test_the_student_feed_holds_the_day_without_offers_until_the_allocation_is_published(day):
    before = _text(FeedKind.student, day["mia"].id)
    assert _summaries(before) == ["BO-Tag Bramsche"]
    assert "Pflege" not in before and "Bank" not in before
    assert "DTSTART;TZID=Europe/Berlin:20270310T083000" in before
    assert "DTEND;TZID=Europe/Berlin:20270310T101500" in before  # the class leaves after round 2

    _publish(day)
    after = _text(FeedKind.student, day["mia"].id)

    assert _summaries(after) == ["Runde 1: Pflege erleben (Klinikum)", "Runde 2: Bankberufe (Sparkasse)"]
    assert "LOCATION:Raum A101\\, Schulzentrum\\, Bramsche" in after.replace("\r\n ", "")
    for other in ("Noah", "Lena", "Mia"):  # no name at all, not even the student's own
        assert other not in after


def test_the_class_feed_shows_counts_per_offer_after_publication_and_no_names(day):
    before = _text(FeedKind.school_class, day["nine_a"].id)
    assert len(_summaries(before)) == 2 and "Pflege" not in before

    _publish(day)
    after = _text(FeedKind.school_class, day["nine_a"].id).replace("\r\n ", "")

    assert "DESCRIPTION:Bankberufe (Sparkasse): 1 Schüler/innen\\nPflege erleben (Klinikum): 1 Schüler/innen" in after
    assert "Mia" not in after and "Noah" not in after and "Lena" not in after
    assert "10b" not in after


def test_the_school_feed_holds_its_own_classes_from_arrival_to_departure(day):
    text = _text(FeedKind.school, day["school"].id)
    assert _summaries(text) == ["BO-Tag Bramsche – Klasse 9a"]
    assert "10b" not in text and "Gymnasium" not in text


def test_the_company_feed_holds_its_slots_with_seats_and_after_publication_the_students_assigned(day):
    before = _text(FeedKind.company, day["klinikum"].id).replace("\r\n ", "")
    assert len(_summaries(before)) == 3 and "Bankberufe" not in before
    assert "DESCRIPTION:20 Plätze\r\n" in before

    _publish(day)
    after = _text(FeedKind.company, day["klinikum"].id).replace("\r\n ", "")

    assert after.count("1 Schüler/innen zugeteilt") == 3
    assert "Mia" not in after and "Lena" not in after


def test_the_public_programme_feed_holds_the_days_and_no_personal_data(day):
    _publish(day)
    feed = feeds.feed_for(FeedKind.programme, day["programme"].id, KEY, NOW)
    text = feeds.body(feeds.content(feed, CTX)).decode()
    assert feed.token_hash is None
    assert _summaries(text) == ["BO-Tag Bramsche"]
    for private in ("Mia", "Noah", "Lena", "9a", "Pflege", "@"):
        assert private not in text.split("BEGIN:VEVENT", 1)[1].split("UID:")[0]


def test_the_coordinator_feed_holds_every_day_of_the_agency_and_nothing_of_others(day):
    factories.make_career_day(factories.make_programme(), name="Fremder BO-Tag", day=date(2027, 4, 1))
    text = _text(FeedKind.coordinator, day["coordinator"].id)
    assert _summaries(text) == ["BO-Tag Bramsche"]
    assert "URL:https://bo.example/coordinator/career-days/" in text


def test_feeds_are_written_in_the_owners_language_german_by_default(day):
    _publish(day)
    german = feeds.body(feeds.content(feeds.feed_for(FeedKind.student, day["lena"].id, KEY, NOW), CTX)).decode()
    english = feeds.body(feeds.content(feeds.feed_for(FeedKind.student, day["mia"].id, KEY, NOW, locale="en"), CTX)).decode()
    assert _summaries(german) == ["Runde 1: frei", "Runde 2: frei", "Runde 3: Pflege erleben (Klinikum)"]
    assert _summaries(english) == ["Round 1: Pflege erleben (Klinikum)", "Round 2: Bankberufe (Sparkasse)"]


def test_a_change_of_time_raises_sequence_and_last_modified_and_a_removed_class_disappears(day, monkeypatch):
    career_day, coordinator = day["day"], day["coordinator"]
    before = _text(FeedKind.school, day["school"].id)
    assert "SEQUENCE:0" in before

    rounds = [(time(9, 0), time(9, 45)), (time(10, 0), time(10, 45)), (time(11, 0), time(11, 45))]
    update_career_day(coordinator, career_day, name=career_day.name, date=career_day.date, venue=career_day.venue,
                      rounds=rounds, booking_deadline=None, registration_deadline=None, wishes_deadline=None,
                      wishes_count=5, slots_per_student=3, max_students=None, retention_until=None,
                      now=datetime(2027, 1, 20, 8, 0))
    db.session.expire_all()
    after = _text(FeedKind.school, day["school"].id)

    assert "SEQUENCE:1" in after and "DTSTART;TZID=Europe/Berlin:20270310T090000" in after
    assert re.search(r"LAST-MODIFIED:(\S+)", after).group(1) > re.search(r"LAST-MODIFIED:(\S+)", before).group(1)

    db.session.delete(day["nine_a"])
    db.session.flush()
    assert _summaries(_text(FeedKind.school, day["school"].id)) == []


def test_a_students_feed_shows_the_programme_as_published_whatever_is_renamed_later(day):
    _publish(day)
    db.session.flush()
    before = _text(FeedKind.student, day["mia"].id)
    day["klinikum"].updated_at = datetime(2027, 3, 25, 12, 0)  # what onupdate does when the name changes
    day["klinikum"].name = "Klinikum Osnabrück"
    db.session.flush()
    after = _text(FeedKind.student, day["mia"].id)
    assert "Klinikum Osnabrück" not in after.replace("\r\n ", "") and after == before


def test_the_same_data_gives_byte_identical_bodies_and_the_same_etag(day):
    feed = feeds.feed_for(FeedKind.school_class, day["nine_a"].id, KEY, NOW)
    first, second = feeds.content(feed, CTX), feeds.content(feed, CTX)
    assert feeds.body(first) == feeds.body(second)
    assert feeds.etag(first) == feeds.etag(second)


def test_one_broken_record_is_skipped_and_logged_and_the_feed_still_answers(day, monkeypatch, caplog):
    original = feeds.class_day_entry

    def broken_for_9a(school_class, ctx):
        if school_class.name == "9a":
            raise ValueError("broken record")
        return original(school_class, ctx)

    monkeypatch.setattr(feeds, "class_day_entry", broken_for_9a)
    other_school_class = factories.make_school_class(day["day"], school=day["school"], name="9c", students=0)
    with caplog.at_level(logging.ERROR, logger="scheduler_app.domain.feeds"):
        text = _text(FeedKind.school, day["school"].id)
    assert _summaries(text) == [f"BO-Tag Bramsche – Klasse {other_school_class.name}"]
    assert "skipped SchoolClass" in caplog.text


def test_renewing_gives_a_new_link_and_the_old_token_finds_nothing(day):
    feed = feeds.feed_for(FeedKind.student, day["mia"].id, KEY, NOW)
    old = feeds.feed_token(feed, KEY)
    assert feeds.find_by_token(old) is feed
    feeds.renew(feed, KEY, NOW)
    assert feeds.find_by_token(old) is None
    assert feeds.find_by_token(feeds.feed_token(feed, KEY)) is feed
    assert len(feeds.feed_token(feed, KEY)) >= 43  # 256 bits


def test_the_link_ends_in_a_readable_file_name():
    assert feeds.file_name("BO-Tag Bramsche 2027 – Klasse 9b") == "BO-Tag-Bramsche-2027-Klasse-9b.ics"
    assert feeds.file_name("Größte Übung für Ärzte") == "Groesste-Uebung-fuer-Aerzte.ics"
    assert feeds.file_name("???") == "Kalender.ics"


@pytest.mark.parametrize("year", [2027, 2031, 2036])
def test_every_parser_reads_a_feed_with_summer_and_winter_days_as_zoneinfo_does(db_session, year):
    """Real parsers (icalendar, vobject, ical; ical.js and node-ical through Node where it exists)
    read every event of a programme feed at the same UTC instant as zoneinfo, years ahead."""
    programme = factories.make_programme(name=f"BO-Tage {year}")
    days = [factories.make_career_day(programme, day=date(year, month, 12), name=f"Tag {month}") for month in (1, 3, 4, 7, 10, 11)]
    ctx = FeedContext(now=datetime(year, 1, 1), base_url="https://bo.example", uid_domain="bo.example")
    feed = feeds.feed_for(FeedKind.programme, programme.id, KEY, NOW)
    text = feeds.body(feeds.content(feed, ctx)).decode()
    berlin = ZoneInfo("Europe/Berlin")
    expected = {f"career-day-{d.id}@bo.example": datetime.combine(d.date, d.rounds[0].starts_at, berlin).astimezone(timezone.utc)
                for d in days}

    for parser, starts in parse_with_every_parser(text).items():
        assert starts == expected, parser


def test_the_delegate_feed_holds_the_alliances_fixed_meetings_with_the_delegates_own_reply(db_session):
    from scheduler_app.models import InvitationReply, MeetingInvitation

    alliance = factories.make_alliance(factories.make_organisation(factories.OrganisationKind.agency), name="Fachkräftebündnis")
    member = factories.make_member(alliance, factories.make_organisation(factories.OrganisationKind.company, name="IHK"))
    delegate = member.delegates[0]
    fixed = factories.make_alliance_meeting(alliance, title="Frühjahrstreffen", candidates=[datetime(2027, 4, 13, 14)],
                                            chosen=0, agenda="Fachkräftemonitor\nVerschiedenes")
    factories.make_alliance_meeting(alliance, title="Noch in der Umfrage", candidates=[datetime(2027, 5, 4, 14)])
    fixed.invitations.append(MeetingInvitation(organisation=member.organisation, delegate=delegate, name=delegate.name,
                                               email=delegate.email, reply=InvitationReply.accepted, attendees=2,
                                               replied_at=datetime(2027, 3, 30, 9)))
    db.session.flush()

    text = _text(FeedKind.delegate, delegate.id).replace("\r\n ", "")

    assert _summaries(text) == ["Frühjahrstreffen (Fachkräftebündnis)"]
    assert f"UID:alliance-meeting-{fixed.id}@bo.example" in text
    assert "DESCRIPTION:Fachkräftemonitor\\nVerschiedenes\\nSie haben für 2 Personen zugesagt." in text
    assert "LAST-MODIFIED:20270330T090000Z" in text  # the reply is the latest change (2027 > the rows made today)
    assert "@" not in text.split("DESCRIPTION:")[1].split("\r\n")[0]  # no addresses of other delegates


def test_a_meeting_has_the_same_uid_in_the_delegate_feed_and_in_the_invitation_mail(db_session):
    from scheduler_app.domain.meetings import calendar_attachment

    alliance = factories.make_alliance(factories.make_organisation(factories.OrganisationKind.agency))
    member = factories.make_member(alliance)
    meeting = factories.make_alliance_meeting(alliance, candidates=[datetime(2027, 4, 13, 14)], chosen=0)
    attachment = calendar_attachment(meeting, "https://bo.example/")
    feed = _text(FeedKind.delegate, member.delegates[0].id)
    uid_line = f"UID:alliance-meeting-{meeting.id}@bo.example"
    assert uid_line in attachment.text and uid_line in feed
