"""Calendar feeds over HTTP, and the links each audience's pages show."""
from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import unquote

import pytest

from scheduler_app.domain import feeds
from scheduler_app.extensions import db
from scheduler_app.models import FeedKind
from tests import factories
from tests.factories import PASSWORD
from tests.web.career_day_helpers import make_day, publish_by_hand


@pytest.fixture
def world(app):
    with app.app_context():
        career_day = make_day(name="BO-Tag Bramsche")
        coordinator = career_day.programme.agency.memberships[0].user
        coordinator.email = "koordination@example.org"
        teacher = factories.make_school_contact(email="lehrkraft@example.org")
        company_contact = factories.make_company_contact(email="betrieb@example.org")
        school_class = factories.make_school_class(career_day, school=teacher.schools[0], name="9b", students=1,
                                                   class_code="KLASSE9B")
        offer = factories.make_offer(career_day, company=company_contact.companies[0], title="Pflege erleben")
        student = school_class.students[0]
        student.personal_code = "MIA123"
        publish_by_hand(career_day, {student: [offer.slots[0]]})
        db.session.commit()
        return {"class": school_class.id, "programme": career_day.programme_id, "school": teacher.schools[0].id,
                "company": company_contact.companies[0].id, "student": student.id}


def _class_feed_url(app, world) -> str:
    with app.app_context():
        feed = feeds.feed_for(FeedKind.school_class, world["class"], app.config["SECRET_KEY"], datetime(2027, 1, 1))
        db.session.commit()
        return feeds.feed_path(feed, app.config["SECRET_KEY"], "BO-Tag 9b")


def test_a_feed_answers_text_calendar_without_any_accept_header_and_stays_out_of_search_engines(app, client, world):
    response = client.get(_class_feed_url(app, world))

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert re.fullmatch(r'"[0-9a-f]{64}"', response.headers["ETag"])  # strong: no W/
    assert response.headers["Last-Modified"].endswith("GMT")
    assert response.text.startswith("BEGIN:VCALENDAR\r\n") and "BEGIN:VTIMEZONE" in response.text


def test_head_answers_the_same_headers_without_a_body(app, client, world):
    url = _class_feed_url(app, world)
    get, head = client.get(url), client.head(url)
    assert head.status_code == 200 and head.data == b""
    assert head.headers["ETag"] == get.headers["ETag"] and head.headers["Content-Type"] == get.headers["Content-Type"]


def test_repeated_requests_get_byte_identical_bodies(app, client, world):
    url = _class_feed_url(app, world)
    assert client.get(url).data == client.get(url).data


def test_a_client_with_the_current_etag_or_date_gets_304_without_the_body_being_built(app, client, world, monkeypatch):
    url = _class_feed_url(app, world)
    first = client.get(url)

    def no_body(_content):
        raise AssertionError("a 304 must not build the body")

    monkeypatch.setattr(feeds, "body", no_body)
    by_etag = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    by_date = client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]})

    assert by_etag.status_code == 304 and by_etag.data == b"" and by_etag.headers["ETag"] == first.headers["ETag"]
    assert by_date.status_code == 304


def test_a_stale_etag_gets_the_new_body(app, client, world):
    url = _class_feed_url(app, world)
    response = client.get(url, headers={"If-None-Match": '"0000"'})
    assert response.status_code == 200 and b"BEGIN:VCALENDAR" in response.data


def test_unknown_and_renewed_tokens_answer_404(app, client, auth, world):
    url = _class_feed_url(app, world)
    assert client.get("/feeds/" + "x" * 43 + "/Kalender.ics").status_code == 404
    assert client.get("/feeds/" + "x" * 500 + "/Kalender.ics").status_code == 404

    auth.login("lehrkraft@example.org", PASSWORD)
    response = client.post(f"/school/classes/{world['class']}/calendar/renew")

    assert response.status_code == 302
    assert client.get(url).status_code == 404
    page = client.get(f"/school/classes/{world['class']}").text
    new_url = re.search(r'value="http://localhost(/feeds/[^"]+\.ics)"', page).group(1)
    assert new_url != url and client.get(new_url).status_code == 200


def test_the_file_name_in_the_link_is_for_people_only(app, client, world):
    url = _class_feed_url(app, world)
    token = url.split("/")[2]
    assert client.get(f"/feeds/{token}/anything-else.ics").status_code == 200


def test_the_public_programme_feed_needs_no_token_and_unknown_programmes_are_404(app, client, world):
    response = client.get(f"/feeds/programmes/{world['programme']}/BO-Tage.ics")
    assert response.status_code == 200 and "BO-Tag Bramsche" in response.text
    assert "Pflege" not in response.text and "9b" not in response.text
    assert client.get("/feeds/programmes/999/BO-Tage.ics").status_code == 404


def _links(page: str) -> dict[str, str]:
    https = re.search(r'id="[\w-]*calendar[\w-]*-url" type="url" value="([^"]+)"', page).group(1)
    return {"https": https, "webcal": re.search(r'href="(webcal://[^"]+)"', page).group(1),
            "google": re.search(r'href="(https://calendar\.google\.com/[^"]+)"', page).group(1),
            "outlook": re.search(r'href="(https://outlook\.live\.com/[^"]+)"', page).group(1)}


@pytest.mark.parametrize("who, page, expected", [
    ("koordination@example.org", "/coordinator/", "BO-Tag Bramsche"),
    ("koordination@example.org", "/coordinator/programmes/{programme}", "BO-Tag Bramsche"),
    ("lehrkraft@example.org", "/school/", "Klasse 9b"),
    ("lehrkraft@example.org", "/school/classes/{class}", "Runde 1"),
    ("betrieb@example.org", "/company/", "Pflege erleben"),
])
def test_each_audience_finds_its_calendar_link_and_it_works(app, client, auth, world, who, page, expected):
    auth.login(who, PASSWORD)
    text = client.get(page.format(**world)).text
    links = _links(text)

    assert links["https"].startswith("http://localhost/feeds/") and links["https"].endswith(".ics")
    assert links["webcal"] == "webcal://" + links["https"].split("://", 1)[1]
    assert unquote(links["google"].replace("&amp;", "&")).endswith("cid=" + links["webcal"])
    assert "url=" + links["https"].replace(":", "%3A").replace("/", "%2F") in links["outlook"].replace("&amp;", "&")
    assert 'class="qr-code"' in text
    feed = client.get(links["https"].removeprefix("http://localhost"))
    assert feed.status_code == 200 and expected in feed.text.replace("\r\n ", "")


def test_the_student_finds_their_own_calendar_on_their_page_and_can_renew_it(app, client, world):
    client.post("/wishes/", data={"class_code": "KLASSE9B", "personal_code": "MIA123"})
    page = client.get("/wishes/confirmation").text
    url = _links(page)["https"].removeprefix("http://localhost")
    feed = client.get(url)
    assert feed.status_code == 200 and "Runde 1: Pflege erleben" in feed.text.replace("\r\n ", "")

    assert client.post("/wishes/calendar/renew").status_code == 302
    assert client.get(url).status_code == 404


def test_renewing_another_schools_calendar_is_404(app, client, auth, world):
    with app.app_context():
        other = factories.make_organisation(factories.OrganisationKind.school)
        db.session.commit()
        other_id = other.id
    auth.login("lehrkraft@example.org", PASSWORD)
    assert client.post(f"/school/{other_id}/calendar/renew").status_code == 404


def test_a_delegate_finds_the_alliance_calendar_on_their_link_page_and_can_renew_it(app, client):
    with app.app_context():
        alliance = factories.make_alliance(factories.make_organisation(factories.OrganisationKind.agency), name="Bündnis")
        member = factories.make_member(alliance)
        factories.make_alliance_meeting(alliance, title="Treffen", candidates=[datetime(2027, 4, 13, 14)], chosen=0)
        token = factories.make_link(member.delegates[0])
        db.session.commit()
    page = client.get(f"/delegate/{token}").text
    url = _links(page)["https"].removeprefix("http://localhost")
    feed = client.get(url)
    assert feed.status_code == 200 and "Treffen (Bündnis)" in feed.text

    assert client.post(f"/delegate/{token}/calendar/renew").status_code == 302
    assert client.get(url).status_code == 404
