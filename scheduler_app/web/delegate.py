"""Delegates' and substitutes' pages: no account, only their personal link (``/delegate/<token>``).

Phone first. A delegate's link lists the alliance's meetings for their organisation; each meeting
page shows what is due: the date poll (yes / if need be / no per date, a comment, the tally), the
invitation (accept with the number of people, decline, or send a colleague), or the minutes. A
substitute's link opens only their meeting. A wrong, withdrawn or removed link answers 404, and a
meeting the link does not open answers 404 as well. Opening a page changes nothing.
"""
from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from scheduler_app.domain import meeting_replies, meetings
from scheduler_app.domain.delegate_links import LinkAccess, LinkUnknown, open_link
from scheduler_app.models import AllianceMeeting, FeedKind, PollAnswer
from scheduler_app.models_base import utc_now
from scheduler_app.web.actions import commit_or_show
from scheduler_app.web.coordinator.meetings import send_minutes_pdf
from scheduler_app.web.feeds import links_for, renew_and_return
from scheduler_app.web.forms import BoundedIntegerField
from scheduler_app.domain.dates import wallclock_span

bp = Blueprint("delegate", __name__, url_prefix="/delegate")

ANSWER_LABELS = {PollAnswer.yes: _l("Yes"), PollAnswer.if_need_be: _l("If need be"), PollAnswer.no: _l("No")}


class ReplyForm(FlaskForm):
    attendees = BoundedIntegerField(_l("How many people of your organisation come?"), [Optional()], default=1,
                                    minimum=1, maximum=meeting_replies.MAX_ATTENDEES)


class SubstituteForm(FlaskForm):
    name = StringField(_l("Your colleague's name"), validators=[InputRequired(_l("Please enter a name.")), Length(max=200)])
    email = EmailField(_l("Your colleague's e-mail address"), validators=[InputRequired(_l("Please enter an e-mail address.")),
                                                                          Length(max=254)])


def poll_form(meeting: AllianceMeeting, answers: dict[int, str] | None = None, comment: str | None = None,
              from_request: bool = True):
    """A form with one yes / if need be / no choice per candidate date (the date as its legend),
    filled from the request or, for showing it, from the organisation's current answers."""
    class PollForm(FlaskForm):
        comment_text = TextAreaField(_l("Comment (optional)"), validators=[Length(max=meeting_replies.COMMENT_MAX_LENGTH)],
                                     description=_l("For example “Only in the afternoon”. Other organisations do not see it."))

    for candidate in meeting.candidates:
        setattr(PollForm, f"answer_{candidate.id}", RadioField(
            wallclock_span(candidate.starts_at, candidate.ends_at), choices=[SelectChoice(answer.value, text) for answer, text in ANSWER_LABELS.items()],
            validators=[InputRequired(_l("Please choose yes, if need be or no."))]))
    data = {f"answer_{candidate_id}": answer for candidate_id, answer in (answers or {}).items()}
    form = PollForm(comment_text=comment, **data, **({} if from_request else {"formdata": None}))
    form.answer_fields = [getattr(form, f"answer_{candidate.id}") for candidate in meeting.candidates]
    return form


def _access_or_404(token: str) -> LinkAccess:
    try:
        return open_link(token)
    except LinkUnknown:
        abort(404)


def _meeting_or_404(access: LinkAccess, meeting_id: int) -> AllianceMeeting:
    try:
        return meeting_replies.meeting_for(access, meeting_id)
    except LinkUnknown:
        abort(404)


@bp.route("/<token>")
def home(token: str):
    access = _access_or_404(token)
    now = utc_now()
    shown = meeting_replies.meetings_for(access)
    calendar = links_for(FeedKind.delegate, access.delegate.id, access.alliance.name) if access.delegate else None
    return render_template("delegate/home.html", access=access, token=token, meetings=shown, calendar=calendar,
                           states={meeting.id: meetings.state_of(meeting, now) for meeting in shown})


@bp.route("/<token>/calendar/renew", methods=["POST"])
def renew_calendar(token: str):
    """A delegate's calendar gets a new address (substitutes have no calendar of their own: their one
    meeting comes with the invitation mail)."""
    access = _access_or_404(token)
    if access.delegate is None:
        abort(404)
    return renew_and_return(FeedKind.delegate, access.delegate.id, url_for("delegate.home", token=token, _anchor="calendar-heading"))


def render_meeting(token: str, access: LinkAccess, meeting: AllianceMeeting, *, poll=None, reply_form=None,
                   substitute_form=None):
    now = utc_now()
    state = meetings.state_of(meeting, now)
    page = meeting_replies.poll_page(access, meeting, now)
    invitation = meeting_replies.own_invitation(access, meeting) if meeting.chosen_candidate else None
    if poll is None and page.open and access.delegate is not None:
        poll = poll_form(meeting, page.answers, page.response.comment if page.response else None, from_request=False)
    failed = any(form is not None and form.errors for form in (poll, reply_form, substitute_form))
    return render_template(
        "delegate/meeting.html", access=access, token=token, meeting=meeting, state=state.value, states={meeting.id: state},
        page=page, poll=poll, invitation=invitation, place=meetings.place_of(meeting), agenda=meetings.agenda_items(meeting),
        reply_form=reply_form or ReplyForm(formdata=None, attendees=invitation.attendees if invitation and invitation.attendees else 1),
        substitute_form=substitute_form or SubstituteForm(formdata=None), answer_labels=ANSWER_LABELS,
    ), 422 if failed else 200


@bp.route("/<token>/meetings/<int:meeting_id>")
def meeting(token: str, meeting_id: int):
    access = _access_or_404(token)
    return render_meeting(token, access, _meeting_or_404(access, meeting_id))


def _back(token: str, meeting: AllianceMeeting, anchor: str):
    return redirect(url_for("delegate.meeting", token=token, meeting_id=meeting.id, _anchor=anchor))


@bp.route("/<token>/meetings/<int:meeting_id>/poll", methods=["POST"])
def answer_poll(token: str, meeting_id: int):
    access = _access_or_404(token)
    meeting = _meeting_or_404(access, meeting_id)
    form = poll_form(meeting)
    if form.validate_on_submit():
        answers = {candidate.id: PollAnswer(getattr(form, f"answer_{candidate.id}").data) for candidate in meeting.candidates}
        done, _result = commit_or_show(form, lambda: meeting_replies.answer_poll(
            access, meeting, answers, form.comment_text.data, utc_now()), "comment_text")
        if done:
            flash(_("Thank you: your answer for %(organisation)s has been saved. You can change it until the deadline.",
                    organisation=access.organisation.name), "success")
            return _back(token, meeting, "poll-heading")
    return render_meeting(token, access, meeting, poll=form)


@bp.route("/<token>/meetings/<int:meeting_id>/reply", methods=["POST"])
def reply(token: str, meeting_id: int):
    access = _access_or_404(token)
    meeting = _meeting_or_404(access, meeting_id)
    form = ReplyForm()
    if request.form.get("decision") not in ("accept", "decline"):
        abort(400)
    accept = request.form["decision"] == "accept"
    if form.validate_on_submit():
        done, _result = commit_or_show(form, lambda: meeting_replies.reply(
            access, meeting, accept, form.attendees.data, utc_now()), "attendees")
        if done:
            flash(_("Thank you for accepting. We look forward to seeing you.") if accept else
                  _("Thank you for letting us know that you cannot come."), "success")
            return _back(token, meeting, "invitation-heading")
    return render_meeting(token, access, meeting, reply_form=form)


@bp.route("/<token>/meetings/<int:meeting_id>/substitute", methods=["POST"])
def send_substitute(token: str, meeting_id: int):
    access = _access_or_404(token)
    meeting = _meeting_or_404(access, meeting_id)
    form = SubstituteForm()
    if form.validate_on_submit():
        done, substitute = commit_or_show(form, lambda: meeting_replies.send_substitute(
            access, meeting, form.name.data, form.email.data, utc_now(), current_app.config["PUBLIC_BASE_URL"]), "email")
        if done:
            flash(_("%(name)s has been invited in your place and receives an own link by e-mail.", name=substitute.name),
                  "success")
            return _back(token, meeting, "invitation-heading")
    return render_meeting(token, access, meeting, substitute_form=form)


@bp.route("/<token>/meetings/<int:meeting_id>/minutes.pdf")
def minutes_pdf(token: str, meeting_id: int):
    access = _access_or_404(token)
    return send_minutes_pdf(_meeting_or_404(access, meeting_id))
