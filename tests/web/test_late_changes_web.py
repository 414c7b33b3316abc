"""The coordinator's late-changes pages (web/coordinator/late_changes.py) with the test client: every
kind of late change through its form, the pending list on the day's page, re-plan (run by the job
sweep), who changes and why, publishing version 2; other agencies' coordinators and contacts get
nothing, and the school's forms stay closed."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from scheduler_app import jobs
from scheduler_app.domain.allocation import publish
from scheduler_app.extensions import db
from scheduler_app.models import LateChange, Offer, OutgoingMail, Publication, Role, SchoolClass, Student
from scheduler_app.models_base import utc_now
from tests import factories
from tests.domain.allocation_data import allocate, make_small_day, require_solver

COORDINATOR, OTHER, TEACHER = "koordination@example.org", "andere@agentur.example", "lehrkraft@schule.example"


@pytest.fixture
def day(app):
    """The small day (tests/domain/allocation_data.py) allocated and published as version 1; its
    coordinator, a coordinator of another agency and a teacher of its school have accounts."""
    require_solver()
    with app.app_context():
        small = make_small_day(capacity=5)
        coordinator = factories.make_user(small.career_day.programme.agency, Role.coordinator, email=COORDINATOR)
        factories.make_coordinator(email=OTHER)
        factories.make_school_contact(school=small.classes[0].school, email=TEACHER)
        db.session.commit()
        allocation = allocate(small.career_day)
        publish(coordinator, allocation, utc_now(), close_early=True)
        db.session.commit()
        return {"id": small.career_day.id, "allocation": allocation.id, "school": small.classes[0].school_id, "class": small.classes[0].id,
                "student": small.classes[0].students[0].id, "offer": small.offers[0].id, "title": small.offers[0].title}


def _url(day, path=""):
    return f"/coordinator/career-days/{day['id']}/late-changes{path}"


def _pending(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(LateChange.kind).where(LateChange.publication_id.is_(None)).order_by(LateChange.id)))


def test_each_kind_of_late_change_through_its_form_is_pending_on_the_days_page(app, client, auth, day):
    auth.login(COORDINATOR)
    assert client.get(_url(day)).status_code == 200

    response = client.post(_url(day, "/class"), data={"class-school": day["school"], "class-name": "9c", "class-grade": "9",
                                                      "class-first_round": "1", "class-last_round": "3",
                                                      "class-names": "Mia L.\nTom R."})
    assert response.status_code == 302
    assert client.post(_url(day, "/students"), data={"students-school_class": day["class"],
                                                    "students-names": "Neu A."}).status_code == 302
    assert client.post(_url(day, f"/students/{day['student']}/absent")).status_code == 302
    found = client.get(_url(day) + "?q=9a").text  # search by class: the absent one is marked
    moving = client.get(f"/coordinator/allocations/{day['allocation']}/students?q=9a").text  # the same search, to move
    assert moving.count(f'href="/coordinator/allocations/{day["allocation"]}/students/') == 7 and 'id="found-heading"' in moving
    assert found.count("<strong>abwesend</strong>") == 1 and found.count("als abwesend melden</button>") == 6  # 5 + Neu A.
    assert client.post(_url(day, f"/offers/{day['offer']}/withdraw")).status_code == 302
    with app.app_context():
        ben = db.session.scalar(select(Student).join(SchoolClass).where(SchoolClass.id == day["class"], Student.absent_at.is_(None)))
        wanted = [p.offer_id for p in ben.preferences if p.offer_id != day["offer"]]
        eligible = {o.id for o in ben.school_class.career_day.offers if o.withdrawn_at is None and o.open_to_grade(9)}
        wanted += [o for o in eligible if o not in wanted]
        ben_id = ben.id
    page = client.get(_url(day, f"/students/{ben_id}/wishes"))
    assert page.status_code == 200 and 'name="rank_1"' in page.text
    assert f">{day['title']} (" not in page.text and f"<h3>{day['title']}</h3>" not in page.text  # withdrawn: not offered
    form = {f"rank_{rank}": str(offer) for rank, offer in enumerate(wanted[:3], start=1)}
    assert client.post(_url(day, f"/students/{ben_id}/wishes"), data=form).status_code == 302

    assert _pending(app) == ["class_registered", "students_added", "student_absent", "offer_withdrawn", "wishes_corrected"]
    page = client.get(f"/coordinator/career-days/{day['id']}").text
    assert "Ausstehende Änderungen" in page and "5 nachträgliche Änderungen warten" in page
    assert "Klasse 9c (Realschule Bramsche) nachträglich angemeldet, mit Mia L., Tom R." in page
    assert f"{day['title']} (" in page and "zurückgezogen" in page and "als abwesend gemeldet" in page


def test_a_late_change_the_rules_refuse_is_shown_at_its_field_and_records_nothing(app, client, auth, day):
    auth.login(COORDINATOR)
    empty = client.post(_url(day, "/students"), data={"students-school_class": day["class"], "students-names": " \n "})
    assert empty.status_code == 422 and "Bitte geben Sie mindestens einen Namen ein." in empty.text
    with app.app_context():
        existing = db.session.get(SchoolClass, day["class"]).students[1].display_name
    twice = client.post(_url(day, "/students"), data={"students-school_class": day["class"], "students-names": existing})
    assert twice.status_code == 422 and existing in twice.text
    foreign = factories_school(app)
    refused = client.post(_url(day, "/class"), data={"class-school": foreign, "class-name": "5a", "class-grade": "9",
                                                     "class-first_round": "1", "class-last_round": "3", "class-names": "A B."})
    assert refused.status_code == 422
    assert _pending(app) == []


def factories_school(app) -> int:
    """A school no agency of the coordinator works with."""
    from scheduler_app.models import OrganisationKind

    with app.app_context():
        school = factories.make_organisation(OrganisationKind.school, name="Fremde Schule")
        db.session.commit()
        return school.id


def test_replan_shows_who_changes_and_why_and_publishing_makes_version_two_with_mails(app, client, auth, day):
    auth.login(COORDINATOR)
    assert "Neu planen</button>" not in client.get(_url(day)).text  # nothing pending, nothing to re-plan
    client.post(_url(day, f"/offers/{day['offer']}/withdraw"))

    response = client.post(_url(day, "/replan"))
    assert response.status_code == 302 and "/coordinator/allocations/" in response.headers["Location"]
    assert jobs.run_due_allocations(app) == 1
    page = client.get(_url(day)).text
    assert "<th scope=\"col\">Grund</th>" in page and f"{day['title']} wurde zurückgezogen" in page
    assert "Die Änderungen als Fassung 2 veröffentlichen" in page
    draft_id = int(response.headers["Location"].rsplit("/", 1)[-1])
    review = client.get(f"/coordinator/allocations/{draft_id}").text
    assert f"{day['title']}, Runde" not in review and ", Runde 1" in review  # withdrawn: not in the re-plan's offer table
    assert f"{day['title']}, Runde 1" in client.get(f"/coordinator/allocations/{day['allocation']}").text  # version 1 keeps it

    published = client.post(_url(day, "/publish"), data={"allocation": str(draft_id)})

    assert published.status_code == 302
    assert _pending(app) == []
    with app.app_context():
        assert db.session.scalar(select(func.max(Publication.version))) == 2
        mails = list(db.session.scalars(select(OutgoingMail).where(OutgoingMail.template == "plan_changed")))
    assert TEACHER in {m.recipient for m in mails}
    assert re.search(rf"Runde \d: {re.escape(day['title'])} \(.*\) → ", next(m.body for m in mails if m.recipient == TEACHER))
    assert client.get(f"/coordinator/career-days/{day['id']}/print/route-sheets?version=1").status_code == 200
    assert "Keine nachträglichen Änderungen stehen aus" in client.get(f"/coordinator/career-days/{day['id']}").text


def test_another_agencys_coordinator_gets_404_and_contacts_403_on_a_published_day(app, client, auth, day):
    urls = [("GET", _url(day)), ("POST", _url(day, "/class")), ("POST", _url(day, "/students")),
            ("POST", _url(day, f"/students/{day['student']}/absent")), ("GET", _url(day, f"/students/{day['student']}/wishes")),
            ("POST", _url(day, f"/offers/{day['offer']}/withdraw")), ("POST", _url(day, "/replan")),
            ("POST", _url(day, "/publish")), ("POST", _url(day, f"/students/{day['student']}/present")),
            ("POST", _url(day, f"/offers/{day['offer']}/restore"))]
    for email, status in ((OTHER, 404), (TEACHER, 403)):
        auth.login(email)
        for method, url in urls:
            assert client.open(url, method=method).status_code == status, (email, method, url)
        auth.logout()
    assert _pending(app) == []
    auth.login(COORDINATOR)
    assert client.post(_url(day, "/students/999999/absent")).status_code == 404  # not a student of this day
    assert client.post(_url(day, "/publish"), data={"allocation": "x"}).status_code == 404


def test_after_publishing_the_teachers_forms_stay_closed(app, client, auth, day):
    auth.login(TEACHER)
    response = client.post(f"/school/classes/{day['class']}/students", data={"names": "Spät S."}, follow_redirects=True)
    assert "Der Plan dieses Berufsorientierungstags ist veröffentlicht" in response.text
    with app.app_context():
        assert not db.session.scalar(select(Student).where(Student.display_name == "Spät S."))


def test_before_publishing_the_page_says_so_and_a_late_change_is_refused_with_the_reason(app, client, auth):
    with app.app_context():
        small = make_small_day()
        factories.make_user(small.career_day.programme.agency, Role.coordinator, email=COORDINATOR)
        db.session.commit()
        day = {"id": small.career_day.id, "class": small.classes[0].id}
    auth.login(COORDINATOR)

    page = client.get(_url(day))
    assert page.status_code == 200 and "sobald der Plan veröffentlicht ist" in page.text and "Neu planen" not in page.text
    refused = client.post(_url(day, "/students"), data={"students-school_class": day["class"], "students-names": "Neu A."})
    assert refused.status_code == 422 and "sobald der Plan veröffentlicht ist" in refused.text
    assert _pending(app) == []


def test_the_school_and_company_pages_mark_an_absent_student_and_a_withdrawn_offer(app, client, auth, day):
    with app.app_context():
        offer = db.session.get(Offer, day["offer"])
        offer_company = offer.company_id
        factories.make_company_contact(company=offer.company, email="kontakt@firma.example")
        student = db.session.get(Student, day["student"])
        name, attending = student.display_name, len(student.school_class.students) - 1
        db.session.commit()
    auth.login(COORDINATOR)
    client.post(_url(day, f"/students/{day['student']}/absent"))
    client.post(_url(day, f"/offers/{day['offer']}/withdraw"))
    auth.logout()

    auth.login(TEACHER)
    roster = client.get(f"/school/classes/{day['class']}").text
    assert f"{name} · <strong>abwesend (nachträglich gemeldet)</strong>" in roster
    assert f"<dt>Kommen</dt><dd>{attending}</dd>" in roster
    assert "1 abwesend (nachträglich gemeldet)" in client.get(f"/school/career-days/{day['id']}").text
    class_list = client.get(f"/school/classes/{day['class']}/class-list").text
    assert class_list.count("abwesend (nachträglich gemeldet)") == 1
    assert f"{attending} Schülerinnen und Schüler kommen." in class_list
    auth.logout()

    auth.login("kontakt@firma.example")
    page = client.get(f"/company/career-days/{day['id']}").text
    assert f"{day['title']} · <strong>zurückgezogen</strong>" in page and "Nach der Veröffentlichung zurückgezogen am" in page
    assert f"{day['title']} · <strong>zurückgezogen</strong>" in client.get("/company/").text
    door_lists = client.get(f"/company/career-days/{day['id']}/door-lists").text
    assert "Dieses Angebot wurde nach der Veröffentlichung zurückgezogen" in door_lists
    with app.app_context():
        offered = db.session.scalar(select(func.count()).select_from(Offer).where(
            Offer.career_day_id == day["id"], Offer.company_id == offer_company))
    days = client.get("/company/career-days/").text
    assert f"Ihre Angebote an diesem Tag: {offered - 1} (1 zurückgezogen)" in days


def test_a_pending_absence_and_withdrawal_are_undone_from_the_pending_list(app, client, auth, day):
    auth.login(COORDINATOR)
    client.post(_url(day, f"/students/{day['student']}/absent"))
    client.post(_url(day, f"/offers/{day['offer']}/withdraw"))
    page = client.get(_url(day)).text
    assert f'action="{_url(day, "/students/%d/present" % day["student"])}"' in page
    assert f'action="{_url(day, "/offers/%d/restore" % day["offer"])}"' in page
    assert page.count(">Rückgängig machen<") == 2  # one per pending row

    undone = client.post(_url(day, f"/students/{day['student']}/present"), follow_redirects=True)
    assert "nicht mehr als abwesend gemeldet" in undone.text
    assert _pending(app) == ["offer_withdrawn"]
    assert client.post(_url(day, f"/offers/{day['offer']}/restore")).status_code == 302
    assert _pending(app) == []
    again = client.post(_url(day, f"/offers/{day['offer']}/restore"), follow_redirects=True)
    assert f"{day['title']} ist nicht zurückgezogen" in again.text  # nothing to take back: said, nothing recorded
    with app.app_context():
        assert db.session.get(Student, day["student"]).absent_at is None
        assert db.session.get(Offer, day["offer"]).withdrawn_at is None


def test_a_replan_made_before_an_undo_is_refused_when_published_from_a_page_left_open(app, client, auth, day):
    auth.login(COORDINATOR)
    client.post(_url(day, "/students"), data={"students-school_class": day["class"], "students-names": "Neu A."})
    client.post(_url(day, f"/students/{day['student']}/absent"))
    draft_id = int(client.post(_url(day, "/replan")).headers["Location"].rsplit("/", 1)[-1])
    assert jobs.run_due_allocations(app) == 1
    client.post(_url(day, f"/students/{day['student']}/present"))  # in another tab: the absence was a mistake

    refused = client.post(_url(day, "/publish"), data={"allocation": str(draft_id)}, follow_redirects=True)

    assert "passt nicht mehr zu den ausstehenden Änderungen" in refused.text
    assert _pending(app) == ["students_added"]
    with app.app_context():
        assert db.session.scalar(select(func.max(Publication.version))) == 1
