"""Writing mails: every mail the product sends is queued here, in the same transaction as the change
it reports (a failed change sends nothing; a mail-server outage fails no change). The job process
delivers the queue (``outgoing_mail``).

A mail is a template ``templates/mail/<name>.txt`` with two blocks, ``subject`` and ``body``, rendered
once, when it is queued, in the RECIPIENT's language (``locale``; German unless the person chose
otherwise): what the outbox shows is exactly what is sent. The HTML part is made from the text (one
layout, paragraphs, clickable links), so the two never disagree. Attachments (``.ics`` files from
:mod:`scheduler_app.domain.calendar`) are stored with the mail.

``personal_data=True`` marks mails that name a student: retention deletes their bodies once they are
delivered and old enough.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from markupsafe import Markup, escape

from scheduler_app.extensions import db
from scheduler_app.models import OutgoingMail

DEFAULT_LOCALE = "de"
LOCALES = ("de", "en")
SUBJECT_MAX_LENGTH = 250
_URL = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)\]]")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # e.g. "text/calendar; method=PUBLISH; charset=utf-8"
    text: str


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


def locale_of(preferred: str | None) -> str:
    """The language a mail is written in: the person's own if we have it, else German."""
    return preferred if preferred in LOCALES else DEFAULT_LOCALE


def html_from_text(text: str) -> str:
    """The HTML part: the text's paragraphs, escaped, with its links made clickable."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = []
        for line in block.splitlines():
            parts, last = [], 0
            for match in _URL.finditer(line):
                url = match.group(0)
                parts += [escape(line[last:match.start()]), Markup('<a href="{0}">{0}</a>').format(url)]
                last = match.end()
            parts.append(escape(line[last:]))
            lines.append(Markup("").join(parts))
        paragraphs.append(Markup("<p>{}</p>").format(Markup("<br>\n").join(lines)))
    return current_app.jinja_env.get_template("mail/layout.html").render(body=Markup("\n").join(paragraphs))


def render(template: str, locale: str, context: dict) -> RenderedMail:
    """Subject, text and HTML of ``templates/mail/<template>.txt`` in ``locale``."""
    with force_locale(locale):
        jinja_template = current_app.jinja_env.get_template(f"mail/{template}.txt")
        # the environment's globals and filters (gettext, |wallclock, …), not the request's context processors:
        # mails are also written by the job process and the command line
        rendered_context = jinja_template.new_context(dict(context))
        subject = " ".join("".join(jinja_template.blocks["subject"](rendered_context)).split())
        text = "".join(jinja_template.blocks["body"](rendered_context)).strip() + "\n"
        html = html_from_text(text)
    return RenderedMail(subject[:SUBJECT_MAX_LENGTH], text, html)


def queue_mail(recipient: str, template: str, context: dict, now: datetime, *, locale: str | None = None,
               attachments: tuple[Attachment, ...] | list[Attachment] = (), personal_data: bool = False,
               agency_id: int | None = None) -> OutgoingMail:
    """Render the mail in the recipient's language and put it into the outbox (flush only).

    ``agency_id``: the agency on whose behalf the mail is written; its coordinators (and only they)
    see the mail on the jobs page. Without one, the mail is only counted there."""
    locale = locale_of(locale)
    rendered = render(template, locale, context)
    mail = OutgoingMail(recipient=recipient, subject=rendered.subject, body=rendered.text, html=rendered.html,
                        template=template, locale=locale, personal_data=personal_data, agency_id=agency_id,
                        attachments=[asdict(attachment) for attachment in attachments] or None, created_at=now)
    db.session.add(mail)
    db.session.flush()
    return mail
