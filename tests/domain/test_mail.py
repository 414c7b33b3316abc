"""Queued mails: rendered once, in the recipient's language, with an HTML part made from the text."""
from datetime import datetime

from sqlalchemy import select

from scheduler_app.domain.calendar import CalendarEntry, build_calendar
from scheduler_app.domain.mail import Attachment, html_from_text, locale_of, queue_mail
from scheduler_app.models import OutgoingMail

NOW = datetime(2027, 1, 10, 9, 0)
CONTEXT = {"name": "Frau Meyer", "inviter": "Sabine Wellmann", "organisation": "Oberschule <Bramsche>",
           "expires_at": datetime(2027, 1, 24, 9, 0), "link": "https://bo.example/auth/invitation/abc"}


def test_a_mail_is_written_in_german_unless_the_recipient_chose_english(db_session):
    german = queue_mail("a@example.org", "invitation", CONTEXT, NOW)
    english = queue_mail("b@example.org", "invitation", CONTEXT, NOW, locale="en")
    unknown = queue_mail("c@example.org", "invitation", CONTEXT, NOW, locale="fr")

    assert german.locale == "de" and german.subject == "Einladung: Ansprechperson für Oberschule <Bramsche>"
    assert german.body.startswith("Guten Tag Frau Meyer,") and "24.01.2027" in german.body
    assert english.locale == "en" and english.subject == "Invitation: contact of Oberschule <Bramsche>"
    assert english.body.startswith("Hello Frau Meyer,") and "Jan 24, 2027" in english.body
    assert unknown.locale == "de"
    assert db_session.scalar(select(OutgoingMail.template).where(OutgoingMail.id == german.id)) == "invitation"


def test_the_html_part_is_the_text_escaped_in_paragraphs_with_clickable_links(db_session):
    mail = queue_mail("a@example.org", "invitation", CONTEXT, NOW)

    assert '<a href="https://bo.example/auth/invitation/abc">https://bo.example/auth/invitation/abc</a>' in mail.html
    assert "Oberschule &lt;Bramsche&gt;" in mail.html and "<Bramsche>" not in mail.html
    assert mail.html.count("<p>") == mail.body.strip().count("\n\n") + 1


def test_a_link_at_the_end_of_a_sentence_does_not_take_the_full_stop(app):
    with app.app_context():
        html = html_from_text("See https://bo.example/x/1.\nAnd (https://bo.example/y).")
    assert 'href="https://bo.example/x/1"' in html and 'href="https://bo.example/y"' in html


def test_attachments_are_kept_with_the_mail(db_session):
    ics = build_calendar([CalendarEntry(uid="employer-event-1@bo.example", summary="Infoabend",
                                        starts_at=datetime(2027, 5, 1, 18), ends_at=datetime(2027, 5, 1, 20),
                                        last_modified=NOW)], name="Infoabend", method="PUBLISH").decode()
    mail = queue_mail("a@example.org", "invitation", CONTEXT, NOW, personal_data=True,
                      attachments=[Attachment("infoabend.ics", "text/calendar; method=PUBLISH; charset=utf-8", ics)])

    db_session.expire_all()
    stored = db_session.get(OutgoingMail, mail.id)
    assert stored.personal_data is True
    assert stored.attachments == [{"filename": "infoabend.ics", "content_type": "text/calendar; method=PUBLISH; charset=utf-8",
                                   "text": ics}]


def test_locale_of_falls_back_to_german():
    assert [locale_of(x) for x in ("en", "de", None, "", "fr")] == ["en", "de", "de", "de", "de"]
