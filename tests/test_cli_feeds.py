"""``flask feeds list``: one line per feed (kind, owner, absolute URL), links made as needed and stable."""
from __future__ import annotations

from scheduler_app.demo import load_demo
from scheduler_app.extensions import db
from scheduler_app.models import Organisation, OrganisationKind
from scheduler_app.models_base import utc_now


def _demo(app):
    with app.app_context():
        load_demo(utc_now())
        db.session.commit()


def _lines(output: str) -> list[list[str]]:
    return [line.split("\t") for line in output.splitlines()]


def test_feeds_list_names_every_audience_of_the_demo_with_a_working_absolute_link(app, runner):
    _demo(app)

    result = runner.invoke(args=["feeds", "list"])

    assert result.exit_code == 0, result.output
    lines = _lines(result.output)
    assert all(len(line) == 3 for line in lines)
    kinds = {kind for kind, _owner, _url in lines}
    assert {"programme", "school", "class", "student", "company", "coordinator", "delegate", "registrant"} <= kinds
    client = app.test_client()
    for kind in ("programme", "school", "class", "student", "company", "coordinator", "delegate", "registrant"):
        url = next(url for k, _owner, url in lines if k == kind)
        assert url.startswith("http://localhost/feeds/") and url.endswith(".ics")
        response = client.get(url.removeprefix("http://localhost"))
        assert response.status_code == 200 and response.text.startswith("BEGIN:VCALENDAR"), kind


def test_feeds_list_prints_the_same_links_again_and_filters_by_organisation(app, runner):
    _demo(app)
    first = runner.invoke(args=["feeds", "list"]).output
    second = runner.invoke(args=["feeds", "list"]).output
    assert first == second  # existing links are printed, never renewed

    with app.app_context():
        school_id = db.session.scalar(db.select(Organisation.id).where(Organisation.kind == OrganisationKind.school)
                                      .order_by(Organisation.id))
    only_school = _lines(runner.invoke(args=["feeds", "list", "--organisation", str(school_id)]).output)
    # and the registrants of employer events who registered for the school
    assert {"school", "class", "student"} <= {kind for kind, _owner, _url in only_school} <= {"school", "class", "student",
                                                                                            "registrant"}
    assert set(map(tuple, only_school)) <= set(map(tuple, _lines(first)))


def test_feeds_list_of_an_unknown_organisation_prints_nothing(app, runner):
    _demo(app)
    result = runner.invoke(args=["feeds", "list", "--organisation", "99999"])
    assert result.exit_code == 0 and result.output == ""


def test_every_kind_of_demo_feed_reads_the_same_in_every_parser_as_in_zoneinfo(app, runner):
    """The demo's feeds as a calendar app gets them, read by icalendar, vobject, ical (and ical.js and
    node-ical where Node is installed): every event at the instant zoneinfo gives its Berlin time."""
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from scheduler_app.models import FeedKind

    from scheduler_app.domain import feeds
    from scheduler_app.web.feeds import context
    from tests.domain.test_calendar import parse_with_every_parser

    _demo(app)
    lines = _lines(runner.invoke(args=["feeds", "list"]).output)
    client = app.test_client()
    checked = set()
    for kind, _owner, url in lines:
        if kind in checked:
            continue
        path = url.removeprefix("http://localhost")
        body = client.get(path).text
        with app.test_request_context():
            feed = feeds.find_by_token(path.split("/")[2]) if kind != "programme" else feeds.feed_for(
                FeedKind.programme, int(path.split("/")[3]), "unused", datetime(2027, 1, 1))
            entries = feeds.content(feed, context()).entries
        if not entries:
            continue
        expected = {e.uid: e.starts_at.replace(tzinfo=ZoneInfo("Europe/Berlin")).astimezone(timezone.utc) for e in entries}
        for parser, starts in parse_with_every_parser(body).items():
            assert starts == expected, (kind, parser)
        checked.add(kind)
    assert {"programme", "school", "class", "student", "company", "coordinator", "delegate"} <= checked
