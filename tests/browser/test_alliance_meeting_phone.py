"""An alliance meeting in a real browser on a phone screen: two delegates answer the date poll through
their personal links, the coordinator fixes the date the rule picks, one delegate sends a colleague
in their place, and the colleague accepts through the link in their own mail. Screenshots go to
test-artifacts/."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from scheduler_app.extensions import db
from scheduler_app.models import AllianceMeeting, InvitationReply, MeetingInvitation, OutgoingMail
from tests import factories
from tests.browser.conftest import fits_the_phone
from tests.meeting_data import meeting_world

pytestmark = pytest.mark.browser

COORDINATOR = "koordination@example.org"


@pytest.fixture
def polling_meeting(live_server):
    """The shared meeting world (IHK and Jobcenter required, three Tuesdays) with the two required
    delegates' personal links."""
    with live_server.app.app_context():
        world = meeting_world(coordinator=factories.make_coordinator(email=COORDINATOR))
        links = {"ihk": factories.make_link(world.chamber), "jobcenter": factories.make_link(world.jobcenter)}
        db.session.commit()
        return world.meeting.id, [c.starts_at for c in world.meeting.candidates], links


def answer(page, url: str, token: str, meeting_id: int, choices: list[str]) -> None:
    page.context.clear_cookies()
    page.goto(f"{url}/delegate/{token}")
    page.locator("a.meeting-link").first.click()
    page.wait_for_selector("h2#poll-heading")
    for group, choice in zip(page.locator("fieldset.poll-date").all(), choices):
        group.get_by_label(choice, exact=True).check()
    page.get_by_label("Kommentar (freiwillig)").fill("Gern am Nachmittag.")
    assert fits_the_phone(page)


def test_poll_date_by_the_rule_substitute_and_acceptance_on_a_phone(live_server, browser_page, screenshot, polling_meeting):
    page, url = browser_page, live_server.url
    meeting_id, starts, links = polling_meeting

    # two delegates answer the poll for their organisations; the third date suits both best
    answer(page, url, links["ihk"], meeting_id, ["Ja", "Nein", "Ja"])
    screenshot(page, "1-ihk-answers")
    page.get_by_role("button", name="Antwort speichern").click()
    page.wait_for_selector("text=Vielen Dank: Ihre Antwort für IHK")
    assert page.get_by_text("Zuletzt geantwortet hat Ines Kammer").is_visible()
    screenshot(page, "2-ihk-saved")
    answer(page, url, links["jobcenter"], meeting_id, ["Wenn nötig", "Ja", "Ja"])
    page.get_by_role("button", name="Antwort speichern").click()
    page.wait_for_selector("text=Vielen Dank: Ihre Antwort für Jobcenter")
    assert "Ja: 2" in page.locator(".tally").inner_text()
    screenshot(page, "3-jobcenter-tally")

    # the coordinator confirms the date the rule picks, with its figures in view
    page.context.clear_cookies()
    page.goto(f"{url}/auth/login")
    page.get_by_label("E-Mail-Adresse").fill(COORDINATOR)
    page.get_by_label("Passwort").fill(factories.PASSWORD)
    page.locator("main").get_by_role("button", name="Anmelden").click()
    page.wait_for_selector("h1:has-text('Übersicht')")
    page.goto(f"{url}/coordinator/meetings/{meeting_id}")
    assert page.get_by_text("Die Regel wählt").is_visible()
    first_row = page.locator("table.ranking tbody tr").first
    assert "2" in first_row.locator("td.num").first.inner_text()  # both required members available
    screenshot(page, "4-coordinator-rule")
    first_row.get_by_role("button", name=re.compile("bestätigen")).click()
    page.wait_for_selector("text=Der Termin steht fest: 4 Einladungen wurden verschickt.")
    screenshot(page, "5-coordinator-fixed")
    with live_server.app.app_context():
        assert db.session.get(AllianceMeeting, meeting_id).chosen_candidate.starts_at == starts[2]

    # the job centre's delegate cannot come and sends a colleague
    page.context.clear_cookies()
    page.goto(f"{url}/delegate/{links['jobcenter']}/meetings/{meeting_id}")
    page.get_by_text("Ich kann nicht – eine Kollegin oder ein Kollege kommt für mich").click()
    page.get_by_label("Name Ihrer Kollegin oder Ihres Kollegen").fill("Sina Stellvertreterin")
    page.get_by_label("E-Mail-Adresse Ihrer Kollegin oder Ihres Kollegen").fill("sina@jobcenter.example")
    assert fits_the_phone(page)
    screenshot(page, "6-delegate-substitute")
    page.get_by_role("button", name="Einladung an meine Vertretung schicken").click()
    page.wait_for_selector("text=Sie haben Sina Stellvertreterin als Vertretung geschickt.")

    # the colleague opens the link from her own mail and accepts
    with live_server.app.app_context():
        mail = db.session.scalars(select(OutgoingMail).where(OutgoingMail.recipient == "sina@jobcenter.example")).one()
    link = re.search(r"https?://\S+/delegate/\S+", mail.body).group(0)
    page.context.clear_cookies()
    page.goto(url + urlsplit(link).path)  # the mail's host is PUBLIC_BASE_URL, the test server listens elsewhere
    page.locator("a.meeting-link").first.click()
    assert page.get_by_text("Jonas Center bittet Sie, für Jobcenter").is_visible()
    page.get_by_label("Wie viele Personen Ihrer Organisation kommen?").fill("1")
    screenshot(page, "7-substitute-invitation")
    page.get_by_role("button", name="Zusagen").click()
    page.wait_for_selector("text=Sie haben für 1 Person zugesagt.")
    assert fits_the_phone(page)
    screenshot(page, "8-substitute-accepted")
    with live_server.app.app_context():
        substitute = db.session.scalar(select(MeetingInvitation).where(MeetingInvitation.email == "sina@jobcenter.example"))
        assert substitute.reply is InvitationReply.accepted and substitute.substitute_for.reply is InvitationReply.substituted
