"""The student's wishes page: signed in with class code and personal code (no account), ranks the
offers open to the class, sees a confirmation, changes until the deadline, then reads only; after
publication sees the own route sheet. A student never sees another student's data."""
from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import select

from scheduler_app.extensions import db
from scheduler_app.factory import create_app
from scheduler_app.models import CareerDay, Preference, Student
from tests import factories
from tests.conftest import settings
from tests.web.career_day_helpers import make_day, publish_by_hand

GENERIC = "Diese Codes passen nicht zusammen."


@pytest.fixture
def day(app):
    """Grade-9 class 9b (code KLASSE9B) with Mia (personal code MIA123) and Noah (NOAH45); three
    offers open to grade 9 and one only for grades 11 to 13. Students rank two offers."""
    with app.app_context():
        career_day = make_day(wishes_count=2)
        offers = {title: factories.make_offer(career_day, title=title, **extra).id for title, extra in (
            ("Mechatronik", {"description": "Hydraulik zum Anfassen", "occupational_field": "Metall"}),
            ("Pflege", {}), ("Bank", {}), ("Studium Informatik", {"min_grade": 11}))}
        school_class = factories.make_school_class(career_day, name="9b", grade=9, class_code="KLASSE9B", headcount=2)
        mia = Student(display_name="Mia", personal_code="MIA123")
        noah = Student(display_name="Noah", personal_code="NOAH45")
        school_class.students.extend([mia, noah])
        db.session.commit()
        return {"id": career_day.id, "offers": offers, "mia": mia.id, "noah": noah.id}


def _sign_in(client, class_code="KLASSE9B", personal_code="MIA123"):
    return client.post("/wishes/", data={"class_code": class_code, "personal_code": personal_code})


def _wishes(app, student_id) -> list[int]:
    with app.app_context():
        return db.session.scalars(select(Preference.offer_id).where(Preference.student_id == student_id)
                                  .order_by(Preference.rank)).all()


def test_the_sign_in_page_loads_the_script_that_takes_the_class_code_from_the_qr_codes_fragment(client, day):
    """The QR code opens /wishes/#CLASSCODE: the code never reaches the server (or its access log);
    static/wishes.js copies it into the form (tests/browser checks it in chromium)."""
    page = client.get("/wishes/")

    assert page.status_code == 200
    assert '<script src="/static/wishes.js" defer></script>' in page.text
    assert 'id="class_code"' in page.text and 'id="personal_code"' in page.text


def test_student_signs_in_with_codes_typed_loosely_and_only_their_id_is_kept(client, day):
    response = _sign_in(client, class_code=" klasse-9b ", personal_code="mia 123")

    assert response.status_code == 302 and response.headers["Location"] == "/wishes/choose"
    with client.session_transaction() as session:
        assert session["student"] == f"{day['mia']}:0"  # the id and the session version, nothing else
        assert "_user_id" not in session


@pytest.mark.parametrize(("class_code", "personal_code"), [("KLASSE9B", "NOPE99"), ("FALSCH99", "MIA123"), ("KLASSE9B", "NOAH")],
                         ids=["wrong personal code", "wrong class code", "partial code"])
def test_wrong_codes_get_one_generic_message_and_no_session(client, day, class_code, personal_code):
    response = _sign_in(client, class_code, personal_code)

    assert response.status_code == 422
    assert GENERIC in response.text
    with client.session_transaction() as session:
        assert "student" not in session


def test_signing_in_is_rate_limited(app, day):
    limited = create_app(settings(RATELIMIT_ENABLED=True, WISHES_SIGN_IN_RATE_LIMIT="3 per minute"))
    with limited.app_context():
        db.create_all()  # its own in-memory database on SQLite (on PostgreSQL the schema exists already)
    client = limited.test_client()

    statuses = [_sign_in(client, personal_code="NOPE99").status_code for _ in range(4)]
    with limited.app_context():
        db.session.remove()
        db.engine.dispose()

    assert statuses == [422, 422, 422, 429]


def test_wishes_page_lists_only_offers_open_to_the_grade_with_their_descriptions(client, day):
    _sign_in(client)

    page = client.get("/wishes/choose")

    assert page.status_code == 200
    assert "Hydraulik zum Anfassen" in page.text and "Metall" in page.text
    assert "Studium Informatik" not in page.text
    assert page.text.count('class="card offer-card"') == 3 and "<select" in page.text  # the field filter
    assert "Du hast 0 von 2 Wünschen gewählt: noch 2." in page.text
    assert '<script src="/static/wishes-order.js" defer></script>' in page.text  # drag and drop, from static/ (CSP)


def test_a_student_adds_reorders_and_saves_wishes_with_buttons_alone(app, client, day):
    offers = day["offers"]
    _sign_in(client)

    page = client.post("/wishes/choose", data={"action": f"add:{offers['Pflege']}"})
    page = client.post("/wishes/choose", data={"pick": [offers["Pflege"]], "action": f"add:{offers['Bank']}"})
    assert "Du hast alle 2 Wünsche gewählt" in page.text
    page = client.post("/wishes/choose", data={"pick": [offers["Pflege"], offers["Bank"]], "action": f"up:{offers['Bank']}"})
    assert page.text.index('name="pick" value="%d"' % offers["Bank"]) < page.text.index('name="pick" value="%d"' % offers["Pflege"])
    assert _wishes(app, day["mia"]) == []  # nothing is saved before "save"

    saved = client.post("/wishes/choose", data={"pick": [offers["Bank"], offers["Pflege"]], "action": "save"})

    assert saved.status_code == 302 and _wishes(app, day["mia"]) == [offers["Bank"], offers["Pflege"]]


def test_saving_too_few_wishes_says_how_many_and_saves_nothing(app, client, day):
    offers = day["offers"]
    _sign_in(client)

    response = client.post("/wishes/choose", data={"pick": [offers["Pflege"]], "action": "save"})

    assert response.status_code == 422 and _wishes(app, day["mia"]) == []


def test_student_ranks_wishes_sees_the_confirmation_and_changes_them_before_the_deadline(app, client, day):
    offers = day["offers"]
    _sign_in(client)

    response = client.post("/wishes/choose", data={"rank_1": offers["Pflege"], "rank_2": offers["Mechatronik"]})

    assert response.status_code == 302 and response.headers["Location"] == "/wishes/confirmation"
    confirmation = client.get("/wishes/confirmation").text
    assert confirmation.index("Pflege") < confirmation.index("Mechatronik")
    assert _wishes(app, day["mia"]) == [offers["Pflege"], offers["Mechatronik"]]
    changed = client.post("/wishes/choose", data={"rank_1": offers["Bank"], "rank_2": offers["Pflege"]})
    assert changed.status_code == 302
    assert _wishes(app, day["mia"]) == [offers["Bank"], offers["Pflege"]]


@pytest.mark.parametrize(("ranks", "message"), [
    (("Pflege", "Pflege"), "nur einmal"),
    (("Pflege", "Studium Informatik"), "Klassenstufe 9"),
    (("Pflege", None), "Bitte wählen Sie ein Angebot."),
], ids=["same offer twice", "closed to the grade", "rank left empty"])
def test_bad_wishes_are_explained_and_nothing_is_saved(app, client, day, ranks, message):
    offers = day["offers"]
    _sign_in(client)

    response = client.post("/wishes/choose", data={f"rank_{rank}": offers[title] if title else ""
                                                  for rank, title in enumerate(ranks, start=1)})

    assert response.status_code == 422
    assert message in response.text
    assert _wishes(app, day["mia"]) == []


def test_after_the_deadline_wishes_are_read_only_and_a_late_form_changes_nothing(app, client, day):
    offers = day["offers"]
    _sign_in(client)
    client.post("/wishes/choose", data={"rank_1": offers["Pflege"], "rank_2": offers["Bank"]})
    with app.app_context():
        db.session.get(CareerDay, day["id"]).wishes_deadline = datetime(2020, 2, 1, 8, 0)
        db.session.commit()

    page = client.get("/wishes/choose")
    late = client.post("/wishes/choose", data={"rank_1": offers["Mechatronik"], "rank_2": offers["Bank"]})

    assert "<select" not in page.text and "Pflege" in page.text and "01.02.2020, 08:00" in page.text
    assert late.status_code == 422 and "01.02.2020, 08:00" in late.text
    assert _wishes(app, day["mia"]) == [offers["Pflege"], offers["Bank"]]


def test_a_student_id_smuggled_into_the_form_or_url_changes_only_the_signed_in_students_wishes(app, client, day):
    offers = day["offers"]
    _sign_in(client)

    client.post("/wishes/choose?student_id=%d" % day["noah"],
                data={"student_id": day["noah"], "rank_1": offers["Pflege"], "rank_2": offers["Bank"]})

    assert _wishes(app, day["noah"]) == []
    assert _wishes(app, day["mia"]) == [offers["Pflege"], offers["Bank"]]
    assert client.get(f"/school/students/{day['noah']}/wishes").status_code == 302  # teachers' pages need a sign-in


def test_a_student_gets_404_for_another_students_wishes_even_when_signed_in_as_a_teacher_of_another_school(
        app, client, auth, day):
    with app.app_context():
        factories.make_school_contact(email="andere@schule.example")
        db.session.commit()
    auth.login("andere@schule.example")

    assert client.get(f"/school/students/{day['noah']}/wishes").status_code == 404


def test_pages_without_signing_in_lead_to_the_sign_in_form(client, day):
    for url in ("/wishes/choose", "/wishes/confirmation", "/wishes/route-sheet"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"] == "/wishes/", url


def test_a_removed_student_is_signed_out(app, client, day):
    _sign_in(client)
    with app.app_context():
        db.session.delete(db.session.get(Student, day["mia"]))
        db.session.commit()

    response = client.get("/wishes/choose")

    assert response.headers["Location"] == "/wishes/"
    with client.session_transaction() as session:
        assert "student" not in session


def test_after_publication_the_student_sees_only_their_own_route_sheet(app, client, day):
    with app.app_context():
        career_day = db.session.get(CareerDay, day["id"])
        by_title = {offer.title: offer for offer in career_day.offers}
        mia, noah = db.session.get(Student, day["mia"]), db.session.get(Student, day["noah"])
        publish_by_hand(career_day, {mia: [by_title["Pflege"].slots[0], by_title["Bank"].slots[1]],
                                     noah: [by_title["Mechatronik"].slots[0]]})
        db.session.commit()
    _sign_in(client)

    page = client.get("/wishes/route-sheet")

    assert page.status_code == 200
    assert "Pflege" in page.text and "Bank" in page.text and "Mechatronik" not in page.text
    assert "Noah" not in page.text
    rows = re.findall(r'<th scope="row">(\d\d:\d\d)–', page.text)
    assert rows == ["08:30", "09:30", "10:30"]  # the third round is free


def test_signing_out_forgets_the_student(client, day):
    _sign_in(client)

    client.post("/wishes/sign-out")

    assert client.get("/wishes/choose").headers["Location"] == "/wishes/"


def test_a_session_cookie_saved_before_signing_out_no_longer_opens_the_wishes_page(app, day):
    """Like staff sessions: signing out ends every session of the student, also copies of the cookie."""
    client = app.test_client()
    _sign_in(client)
    saved_cookie = client.get_cookie("session").value
    assert client.get("/wishes/choose").status_code == 200

    client.post("/wishes/sign-out")
    replay = app.test_client()
    replay.set_cookie("session", saved_cookie)

    assert replay.get("/wishes/choose").headers["Location"] == "/wishes/"
    _sign_in(replay)  # signing in again works and gives a new session
    assert replay.get("/wishes/choose").status_code == 200
