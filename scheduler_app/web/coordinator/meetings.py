"""Alliance meetings for the coordinator: prepare a meeting and its candidate dates, send the poll,
fix the date by the rule (its figures beside each date) or pick another with one click, follow the
replies per organisation, remind, print the attendance list, record attendance and the minutes, and
plan the next meeting from this one."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from scheduler_app.domain import alliances, date_rule, meetings
from scheduler_app.domain.meetings import CandidateSeries
from scheduler_app.extensions import db
from scheduler_app.models import Alliance, AllianceMeeting, CandidateDate
from scheduler_app.models_base import utc_now
from scheduler_app.web.access import coordinator_required
from scheduler_app.web.actions import commit_or_flash, commit_or_show
from scheduler_app.web.coordinator import bp
from scheduler_app.web.coordinator.alliances import alliance_or_404
from scheduler_app.web.coordinator.forms import NO_VENUE, CandidateForm, MeetingForm, MinutesForm

# a minutes PDF may have 10 MB; the request may be a little larger (the form's other fields)
MINUTES_REQUEST_LIMIT = meetings.MINUTES_PDF_MAX_BYTES + 1024 * 1024


def meeting_or_404(meeting_id: int) -> AllianceMeeting:
    meeting = db.session.get(AllianceMeeting, meeting_id)
    if meeting is None or not alliances.may_manage(current_user, meeting.alliance):
        abort(404)
    return meeting


def _candidate_or_404(candidate_id: int) -> CandidateDate:
    candidate = db.session.get(CandidateDate, candidate_id)
    if candidate is None or not alliances.may_manage(current_user, candidate.meeting.alliance):
        abort(404)
    return candidate


def _back(meeting: AllianceMeeting, anchor: str | None = None):
    return redirect(url_for("coordinator.meeting", meeting_id=meeting.id, _anchor=anchor))


@bp.route("/alliances/<int:alliance_id>/meetings/new", methods=["GET", "POST"])
@coordinator_required
def new_meeting(alliance_id: int):
    alliance: Alliance = alliance_or_404(alliance_id)
    form = MeetingForm(alliance.coordinating_agency_id)
    if form.validate_on_submit():
        now = utc_now()
        done, meeting = commit_or_show(form, lambda: meetings.create_meeting(
            current_user, alliance, form.settings(form.chosen_venue(now)), now), "title")
        if done:
            flash(_("“%(title)s” has been created. Next, add candidate dates.", title=meeting.title), "success")
            return _back(meeting, "candidates-heading")
    return render_template("coordinator/meeting_form.html", form=form, alliance=alliance, meeting=None), \
        422 if form.errors else 200


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
@coordinator_required
def edit_meeting(meeting_id: int):
    meeting = meeting_or_404(meeting_id)
    agency_id = meeting.alliance.coordinating_agency_id
    form = MeetingForm(agency_id, obj=meeting, venue=meeting.venue_id or NO_VENUE) if request.method == "GET" else MeetingForm(agency_id)
    if form.validate_on_submit():
        now = utc_now()
        done, sent = commit_or_show(form, lambda: meetings.update_meeting(
            current_user, meeting, form.settings(form.chosen_venue(now)), now, current_app.config["PUBLIC_BASE_URL"]), "title")
        if done:
            flash(_("The meeting has been saved.") if not sent else
                  _("The meeting has been saved; %(n)d people have been sent the new place.", n=sent), "success")
            return _back(meeting)
    return render_template("coordinator/meeting_form.html", form=form, alliance=meeting.alliance, meeting=meeting), \
        422 if form.errors else 200


def render_meeting(meeting: AllianceMeeting, candidate_form: CandidateForm | None = None,
                   minutes_form: MinutesForm | None = None):
    now = utc_now()
    state = meetings.state_of(meeting, now)
    checks = meetings.check_candidates(meeting)
    ranking = meetings.ranking(meeting, checks)
    candidates = {candidate.id: candidate for candidate in meeting.candidates}
    answered = {response.organisation_id for response in meeting.responses}
    return render_template(
        "coordinator/meeting.html", meeting=meeting, state=state.value, states={meeting.id: state},
        checks=checks, ranking=ranking, candidates=candidates, rule_steps=date_rule.RULE_STEPS,
        poll_open=meetings.poll_open(meeting, now), started=meetings.has_started(meeting, now),
        members_without_answer=[m for m in meeting.alliance.members if m.organisation_id not in answered],
        replies=meetings.replies_by_organisation(meeting), place=meetings.place_of(meeting),
        agenda=meetings.agenda_items(meeting), people=meetings.attendance_candidates(meeting),
        candidate_form=candidate_form or CandidateForm(formdata=None),
        minutes_form=minutes_form or MinutesForm(formdata=None, text=meeting.minutes_text),
    ), 422 if (candidate_form and candidate_form.errors) or (minutes_form and minutes_form.errors) else 200


@bp.route("/meetings/<int:meeting_id>")
@coordinator_required
def meeting(meeting_id: int):
    return render_meeting(meeting_or_404(meeting_id))


@bp.route("/meetings/<int:meeting_id>/candidates", methods=["POST"])
@coordinator_required
def add_candidates(meeting_id: int):
    meeting = meeting_or_404(meeting_id)
    form = CandidateForm()
    if form.validate_on_submit():
        series = CandidateSeries(form.first_day.data, form.starts.data, form.ends.data, form.weeks.data)
        done, added = commit_or_show(form, lambda: meetings.add_candidates(current_user, meeting, series, utc_now()), "first_day")
        if done:
            flash(ngettext("%(num)d candidate date added.", "%(num)d candidate dates added.", len(added)), "success")
            return _back(meeting, "candidates-heading")
    return render_meeting(meeting, candidate_form=form)


@bp.route("/candidates/<int:candidate_id>/remove", methods=["POST"])
@coordinator_required
def remove_candidate(candidate_id: int):
    candidate = _candidate_or_404(candidate_id)
    meeting = candidate.meeting
    done, _result = commit_or_flash(lambda: meetings.remove_candidate(current_user, candidate, utc_now()))
    if done:
        flash(_("The candidate date has been removed."), "success")
    return _back(meeting, "candidates-heading")


@bp.route("/meetings/<int:meeting_id>/poll", methods=["POST"])
@coordinator_required
def send_poll(meeting_id: int):
    meeting = meeting_or_404(meeting_id)
    done, sent = commit_or_flash(lambda: meetings.send_poll(current_user, meeting, utc_now(), current_app.config["PUBLIC_BASE_URL"]))
    if done:
        flash(_("The poll has been sent to %(n)d delegates.", n=sent), "success")
    return _back(meeting)


@bp.route("/meetings/<int:meeting_id>/date", methods=["POST"])
@coordinator_required
def fix_date(meeting_id: int):
    """One click fixes a date: the rule's first or any other candidate (the button's ``candidate``)."""
    meeting = meeting_or_404(meeting_id)
    candidate = next((c for c in meeting.candidates if str(c.id) == request.form.get("candidate", "")), None)
    if candidate is None:
        flash(_("Please choose one of the candidate dates."), "error")
        return _back(meeting)
    done, sent = commit_or_flash(lambda: meetings.fix_date(current_user, meeting, candidate, utc_now(),
                                                           current_app.config["PUBLIC_BASE_URL"]))
    if done:
        flash(_("The date is fixed: %(n)d invitations have been sent.", n=sent), "success")
    return _back(meeting)


@bp.route("/meetings/<int:meeting_id>/reminders", methods=["POST"])
@coordinator_required
def remind(meeting_id: int):
    meeting = meeting_or_404(meeting_id)
    done, sent = commit_or_flash(lambda: meetings.remind(current_user, meeting, utc_now(), current_app.config["PUBLIC_BASE_URL"]))
    if done:
        flash(_("%(n)d reminders have been sent.", n=sent), "success")
    return _back(meeting, "replies-heading")


@bp.route("/meetings/<int:meeting_id>/attendance-list")
@coordinator_required
def attendance_list(meeting_id: int):
    meeting = meeting_or_404(meeting_id)
    if meeting.chosen_candidate is None:
        flash(_("The attendance list can be printed once the date is fixed."), "error")
        return _back(meeting)
    return render_template("print/attendance_list.html", meeting=meeting, replies=meetings.replies_by_organisation(meeting),
                           place=meetings.place_of(meeting), back_url=url_for("coordinator.meeting", meeting_id=meeting.id))


@bp.route("/meetings/<int:meeting_id>/attendance", methods=["POST"])
@coordinator_required
def record_attendance(meeting_id: int):
    meeting = meeting_or_404(meeting_id)
    try:
        attended = {int(value) for value in request.form.getlist("attended")}
    except ValueError:
        abort(400)
    done, count = commit_or_flash(lambda: meetings.record_attendance(current_user, meeting, attended, utc_now()))
    if done:
        flash(_("Attendance saved: %(n)d people attended.", n=count), "success")
    return _back(meeting, "attendance-heading")


@bp.route("/meetings/<int:meeting_id>/minutes", methods=["POST"])
@coordinator_required
def add_minutes(meeting_id: int):
    meeting = meeting_or_404(meeting_id)
    request.max_content_length = MINUTES_REQUEST_LIMIT  # this form takes a PDF of up to 10 MB
    try:
        form = MinutesForm()
        submitted = form.validate_on_submit()
    except RequestEntityTooLarge:
        form = MinutesForm(formdata=None)
        form.pdf.errors = [_("The file is larger than %(n)d MB.", n=meetings.MINUTES_PDF_MAX_BYTES // (1024 * 1024))]
        return render_meeting(meeting, minutes_form=form)
    if submitted:
        upload = form.pdf.data
        pdf = upload.read(meetings.MINUTES_PDF_MAX_BYTES + 1) if upload and upload.filename else None
        done, sent = commit_or_show(form, lambda: meetings.add_minutes(
            current_user, meeting, utc_now(), current_app.config["PUBLIC_BASE_URL"], text=form.text.data, pdf=pdf,
            filename=upload.filename if pdf is not None else None), "text")
        if done:
            flash(_("The minutes have been saved.") if not sent else
                  _("The minutes have been saved; %(n)d delegates have been sent a link to them.", n=sent), "success")
            return _back(meeting, "minutes-heading")
    return render_meeting(meeting, minutes_form=form)


def send_minutes_pdf(meeting: AllianceMeeting):
    """The stored minutes PDF as a download (never rendered inline: it is an upload)."""
    if meeting.minutes_filename is None:
        abort(404)
    response = current_app.response_class(meeting.minutes_pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="minutes-{meeting.id}.pdf"'
    return response


@bp.route("/meetings/<int:meeting_id>/minutes.pdf")
@coordinator_required
def minutes_pdf(meeting_id: int):
    return send_minutes_pdf(meeting_or_404(meeting_id))


@bp.route("/meetings/<int:meeting_id>/next", methods=["POST"])
@coordinator_required
def plan_next(meeting_id: int):
    meeting = meeting_or_404(meeting_id)
    done, following = commit_or_flash(lambda: meetings.plan_next(current_user, meeting, utc_now()))
    if not done:
        return _back(meeting)
    flash(_("The next meeting has been prepared with candidate dates about six months later. Check the title, the dates and "
            "the poll deadline, then send the poll."), "success")
    return _back(following)
