"""A company contact's employer events: create, edit, publish, duplicate, cancel, change the capacity;
see the registrations; on the day the attendance list (print, CSV, XLSX), the phone check-in screen and
one message to all registrants. A coordinator acts on a company's behalf from their own screens
(``web/coordinator/events.py``) with the same forms and domain calls."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from scheduler_app.domain import employer_events as ev
from scheduler_app.domain import event_exports
from scheduler_app.extensions import db
from scheduler_app.models import EmployerEvent, EventRegistration
from scheduler_app.models_base import utc_now
from scheduler_app.web.access import company_contact_required, get_owned_or_404
from scheduler_app.web.actions import commit_or_flash, commit_or_show
from scheduler_app.web.company import bp
from scheduler_app.web.company.forms import CapacityForm, DuplicateForm, EventForm, MessageForm
from scheduler_app.web.downloads import table_download
from scheduler_app.web.events import KIND_LABELS, event_path, free_places_text, site


def _event_or_404(event_id: int) -> EmployerEvent:
    return get_owned_or_404(EmployerEvent, event_id, lambda event: event.company_id)


def _back(event: EmployerEvent, anchor: str | None = None):
    return redirect(url_for("company.event", event_id=event.id, _anchor=anchor))


@bp.route("/events/")
@company_contact_required
def events():
    company_ids = [company.id for company in current_user.companies]
    rows = db.session.scalars(db.select(EmployerEvent).where(EmployerEvent.company_id.in_(company_ids))
                              .order_by(EmployerEvent.starts_at.desc(), EmployerEvent.id))
    now = utc_now()
    return render_template("company/events.html", events=[(event, ev.state_of(event, now)) for event in rows],
                           kind_labels=KIND_LABELS)


@bp.route("/events/new", methods=["GET", "POST"])
@company_contact_required
def new_event():
    companies = current_user.companies
    form = EventForm(companies)
    if form.validate_on_submit():
        company = companies[0] if len(companies) == 1 else next((c for c in companies if c.id == form.company.data), None)
        if company is None:
            abort(404)
        done, event = commit_or_show(form, lambda: ev.create_event(current_user, company, utc_now(), **form.fields()), "title")
        if done:
            flash(_("“%(title)s” is saved as a draft. Publish it when it is ready.", title=event.title), "success")
            return _back(event)
    return render_template("company/event_form.html", form=form, event=None), 422 if form.errors else 200


def render_event(event: EmployerEvent, *, capacity_form=None, message_form=None, duplicate_form=None):
    now = utc_now()
    failed = any(form is not None and form.errors for form in (capacity_form, message_form, duplicate_form))
    return render_template(
        "company/event.html", event=event, state=ev.state_of(event, now), kind_labels=KIND_LABELS,
        confirmed=sorted(ev.confirmed(event), key=lambda r: r.id), waitlist=ev.waitlist(event),
        free_places_text=free_places_text(event), public_url=event_path(event),
        capacity_form=capacity_form or CapacityForm(formdata=None, capacity=event.capacity),
        message_form=message_form or MessageForm(formdata=None),
        duplicate_form=duplicate_form or DuplicateForm(formdata=None),
    ), 422 if failed else 200


@bp.route("/events/<int:event_id>")
@company_contact_required
def event(event_id: int):
    return render_event(_event_or_404(event_id))


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@company_contact_required
def edit_event(event_id: int):
    event = _event_or_404(event_id)
    form = EventForm([event.company], obj=event)
    if form.validate_on_submit():
        done, _result = commit_or_show(form, lambda: ev.update_event(current_user, event, utc_now(), site(), **form.fields()),
                                       "title")
        if done:
            flash(_("“%(title)s” has been changed.", title=event.title), "success")
            return _back(event)
    elif not form.is_submitted():
        form.fill_from(event)
    return render_template("company/event_form.html", form=form, event=event), 422 if form.errors else 200


@bp.route("/events/<int:event_id>/publish", methods=["POST"])
@company_contact_required
def publish_event(event_id: int):
    event = _event_or_404(event_id)
    done, _result = commit_or_flash(lambda: ev.publish(current_user, event, utc_now()))
    if done:
        flash(_("“%(title)s” is published: everyone can see it and register.", title=event.title), "success")
    return _back(event)


@bp.route("/events/<int:event_id>/unpublish", methods=["POST"])
@company_contact_required
def unpublish_event(event_id: int):
    event = _event_or_404(event_id)
    done, _result = commit_or_flash(lambda: ev.unpublish(current_user, event, utc_now()))
    if done:
        flash(_("“%(title)s” is a draft again and no longer public.", title=event.title), "success")
    return _back(event)


@bp.route("/events/<int:event_id>/cancel", methods=["POST"])
@company_contact_required
def cancel_event(event_id: int):
    event = _event_or_404(event_id)
    done, _result = commit_or_flash(lambda: ev.cancel_event(current_user, event, utc_now(), site()))
    if done:
        flash(_("“%(title)s” has been cancelled; every registrant is told by e-mail.", title=event.title), "success")
    return _back(event)


@bp.route("/events/<int:event_id>/duplicate", methods=["POST"])
@company_contact_required
def duplicate_event(event_id: int):
    event = _event_or_404(event_id)
    form = DuplicateForm()
    if form.validate_on_submit():
        done, copy = commit_or_show(form, lambda: ev.duplicate(current_user, event, form.starts_at.data, utc_now()),
                                    "starts_at")
        if done:
            flash(_("A copy has been saved as a draft."), "success")
            return _back(copy)
    return render_event(event, duplicate_form=form)


@bp.route("/events/<int:event_id>/capacity", methods=["POST"])
@company_contact_required
def event_capacity(event_id: int):
    event = _event_or_404(event_id)
    form = CapacityForm()
    if form.validate_on_submit():
        done, _result = commit_or_show(form, lambda: ev.change_capacity(current_user, event, form.capacity.data, utc_now(),
                                                                        site()), "capacity")
        if done:
            flash(_("The number of places has been changed."), "success")
            return _back(event)
    return render_event(event, capacity_form=form)


@bp.route("/events/<int:event_id>/message", methods=["POST"])
@company_contact_required
def message_registrants(event_id: int):
    event = _event_or_404(event_id)
    form = MessageForm()
    if form.validate_on_submit():
        done, count = commit_or_show(form, lambda: ev.message_registrants(
            current_user, event, form.subject.data, form.message.data, utc_now(), site()), "message")
        if done:
            flash(_("Your message is being sent to %(n)d registrations.", n=count), "success")
            return _back(event)
    return render_event(event, message_form=form)


# --- on the day ---------------------------------------------------------------------------------


@bp.route("/events/<int:event_id>/attendance")
@company_contact_required
def event_attendance(event_id: int):
    event = _event_or_404(event_id)
    return render_template("print/event_attendance.html", event=event, rows=ev.attendance_rows(event),
                           back_url=url_for("company.event", event_id=event.id))


@bp.route("/events/<int:event_id>/attendance.<any(csv, xlsx):kind>")
@company_contact_required
def event_attendance_file(event_id: int, kind: str):
    event = _event_or_404(event_id)
    return table_download(event_exports.attendance_table(event, _), kind, sheet=_("Attendance"),
                          stem=f"attendance-{event.starts_at:%Y-%m-%d}-{event.id}")


@bp.route("/events/<int:event_id>/check-in")
@company_contact_required
def check_in(event_id: int):
    event = _event_or_404(event_id)
    return render_template("company/check_in.html", event=event, rows=ev.attendance_rows(event))


@bp.route("/registrations/<int:registration_id>/attendance", methods=["POST"])
@company_contact_required
def record_attendance(registration_id: int):
    registration = get_owned_or_404(EventRegistration, registration_id, lambda r: r.event.company_id)
    choice = request.form.get("attended")
    if choice not in ("yes", "no", "unknown"):
        abort(400)
    attended = {"yes": True, "no": False, "unknown": None}[choice]
    commit_or_flash(lambda: ev.record_attendance(current_user, registration, attended, utc_now()))
    return redirect(url_for("company.check_in", event_id=registration.event_id, _anchor=f"registration-{registration.id}"))


