"""A coordinator's view of employer events: every event of the companies the agency works with,
unpublishing one, gathering published ones into the agency's programmes, and following a programme
with charts (fill rate, registrations per school, waitlist, attendance) and a CSV/XLSX export of all
its registrations. Ids outside the coordinator's scope answer 404."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from wtforms.fields.choices import SelectChoice
from flask_babel import gettext as _
from flask_login import current_user

from scheduler_app.domain import employer_events as ev
from scheduler_app.domain import event_exports, programmes
from scheduler_app.extensions import db
from scheduler_app.domain import scope
from scheduler_app.models import EmployerEvent, Organisation, OrganisationKind, Programme
from scheduler_app.models_base import utc_now
from scheduler_app.web.access import coordinator_required
from scheduler_app.web.actions import commit_or_flash, commit_or_show
from scheduler_app.web.company.forms import DuplicateForm, EventForm
from scheduler_app.web.coordinator import bp
from scheduler_app.web.coordinator.forms import PrivacyNoticeForm
from scheduler_app.web.downloads import table_download
from scheduler_app.web.events import KIND_LABELS, event_path, site
from scheduler_app.web.inputs import parse_id


def _event_in_scope_or_404(event_id: int) -> EmployerEvent:
    event = db.session.scalar(ev.events_in_scope(current_user).where(EmployerEvent.id == event_id))
    if event is None:
        abort(404)
    return event


def _programme_or_404(programme_id: int) -> Programme:
    programme = db.session.get(Programme, programme_id)
    if programme is None or not programmes.may_manage(current_user, programme):
        abort(404)
    return programme


@bp.route("/events/")
@coordinator_required
def employer_events():
    company_id = parse_id(request.args.get("company"))  # "New event on behalf of …"
    if company_id is not None:
        return redirect(url_for("coordinator.new_company_event", company_id=company_id))
    now = utc_now()
    events = db.session.scalars(ev.events_in_scope(current_user).order_by(EmployerEvent.starts_at.desc(), EmployerEvent.id))
    own = programmes.programmes_of(programmes.agencies_of(current_user))
    return render_template("coordinator/employer_events.html", rows=[(e, ev.state_of(e, now), ev.waiting_places(e)) for e in events],
                           programmes=own, kind_labels=KIND_LABELS, event_path=event_path,
                           companies=db.session.scalars(scope.organisations_in_scope(current_user).where(
                               Organisation.kind == OrganisationKind.company).order_by(Organisation.name)).all())


@bp.route("/events/<int:event_id>/unpublish", methods=["POST"])
@coordinator_required
def unpublish_event(event_id: int):
    event = _event_in_scope_or_404(event_id)
    done, _result = commit_or_flash(lambda: ev.unpublish(current_user, event, utc_now()))
    if done:
        flash(_("“%(title)s” is a draft again and no longer public.", title=event.title), "success")
    return redirect(url_for("coordinator.employer_events"))


@bp.route("/events/<int:event_id>/programme", methods=["POST"])
@coordinator_required
def gather_event(event_id: int):
    """Put the event into one of the agency's programmes (``programme``: its id), or take it out (``0``)."""
    event = _event_in_scope_or_404(event_id)
    programme_id = parse_id(request.form.get("programme"))
    if programme_id is None:
        abort(400)
    if programme_id == 0:
        if event.programme is None or not programmes.may_manage(current_user, event.programme):
            abort(404)
        done, _result = commit_or_flash(lambda: ev.gather(current_user, event.programme, event, utc_now(), add=False))
    else:
        programme = _programme_or_404(programme_id)
        done, _result = commit_or_flash(lambda: ev.gather(current_user, programme, event, utc_now()))
    if done:
        flash(_("The programme of “%(title)s” has been changed.", title=event.title), "success")
    return redirect(url_for("coordinator.employer_events"))


@bp.route("/programmes/<int:programme_id>/event-charts")
@coordinator_required
def programme_event_charts(programme_id: int):
    programme = _programme_or_404(programme_id)
    figures = ev.programme_figures(programme, utc_now())
    fill = [(title, [booked, capacity]) for title, booked, capacity in figures.fill]
    schools = [(name, [places]) for name, places in figures.per_school]
    waitlist = [(title, [places]) for title, places in figures.waitlist]
    attendance = [(title, [present, absent]) for title, present, absent in figures.attendance]

    def most(rows) -> int:
        return max((value for _label, values in rows for value in values), default=1)

    return render_template("coordinator/programme_event_charts.html", programme=programme, figures=figures,
                           fill_rows=fill, fill_max=most(fill), school_rows=schools, school_max=most(schools),
                           waitlist_rows=waitlist, waitlist_max=most(waitlist), attendance_rows=attendance,
                           attendance_max=most(attendance))


@bp.route("/programmes/<int:programme_id>/registrations.<any(csv, xlsx):kind>")
@coordinator_required
def programme_registrations_file(programme_id: int, kind: str):
    programme = _programme_or_404(programme_id)
    return table_download(event_exports.registrations_table(programme, _), kind, sheet=_("Registrations"),
                          stem=f"registrations-programme-{programme.id}")


# --- on a company's behalf --------------------------------------------------------------------------


def _company_in_scope_or_404(company_id: int) -> Organisation:
    company = db.session.get(Organisation, company_id)
    if company is None or company.kind is not OrganisationKind.company or not scope.works_with(current_user, company):
        abort(404)
    return company


@bp.route("/companies/<int:company_id>/events/new", methods=["GET", "POST"])
@coordinator_required
def new_company_event(company_id: int):
    """A coordinator creates a draft event for a company their agency works with."""
    company = _company_in_scope_or_404(company_id)
    form = EventForm([company])
    if form.validate_on_submit():
        done, event = commit_or_show(form, lambda: ev.create_event(current_user, company, utc_now(), **form.fields()), "title")
        if done:
            flash(_("“%(title)s” is saved as a draft. Publish it when it is ready.", title=event.title), "success")
            return redirect(url_for("coordinator.employer_events", _anchor=f"event-{event.id}"))
    return render_template("company/event_form.html", form=form, event=None, company=company,
                           back_url=url_for("coordinator.employer_events")), 422 if form.errors else 200


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@coordinator_required
def edit_company_event(event_id: int):
    event = _event_in_scope_or_404(event_id)
    form = EventForm([event.company], obj=event)
    if form.validate_on_submit():
        done, _result = commit_or_show(form, lambda: ev.update_event(current_user, event, utc_now(), site(), **form.fields()),
                                       "title")
        if done:
            flash(_("“%(title)s” has been changed.", title=event.title), "success")
            return redirect(url_for("coordinator.employer_events", _anchor=f"event-{event.id}"))
    elif not form.is_submitted():
        form.fill_from(event)
    return render_template("company/event_form.html", form=form, event=event, company=event.company,
                           back_url=url_for("coordinator.employer_events")), 422 if form.errors else 200


@bp.route("/events/<int:event_id>/duplicate", methods=["GET", "POST"])
@coordinator_required
def duplicate_company_event(event_id: int):
    """A coordinator holds a company's event again: a draft copy at a new start, without registrations."""
    event = _event_in_scope_or_404(event_id)
    form = DuplicateForm()
    if form.validate_on_submit():
        done, copy = commit_or_show(form, lambda: ev.duplicate(current_user, event, form.starts_at.data, utc_now()),
                                    "starts_at")
        if done:
            flash(_("A copy has been saved as a draft."), "success")
            return redirect(url_for("coordinator.employer_events", _anchor=f"event-{copy.id}"))
    return render_template("coordinator/event_duplicate.html", form=form, event=event), 422 if form.errors else 200


@bp.route("/events/<int:event_id>/publish", methods=["POST"])
@coordinator_required
def publish_company_event(event_id: int):
    event = _event_in_scope_or_404(event_id)
    done, _result = commit_or_flash(lambda: ev.publish(current_user, event, utc_now()))
    if done:
        flash(_("“%(title)s” is published: everyone can see it and register.", title=event.title), "success")
    return redirect(url_for("coordinator.employer_events", _anchor=f"event-{event.id}"))


@bp.route("/events/<int:event_id>/cancel", methods=["POST"])
@coordinator_required
def cancel_company_event(event_id: int):
    event = _event_in_scope_or_404(event_id)
    done, _result = commit_or_flash(lambda: ev.cancel_event(current_user, event, utc_now(), site()))
    if done:
        flash(_("“%(title)s” has been cancelled; every registrant is told by e-mail.", title=event.title), "success")
    return redirect(url_for("coordinator.employer_events", _anchor=f"event-{event.id}"))


# --- the privacy notice the registration forms link ---------------------------------------------------


@bp.route("/privacy-notice", methods=["GET", "POST"])
@coordinator_required
def privacy_notice():
    agencies = programmes.agencies_of(current_user)
    if not agencies:
        abort(403)
    form = PrivacyNoticeForm()
    form.agency.choices = [SelectChoice(agency.id, agency.name) for agency in agencies]
    if form.validate_on_submit():
        agency = next((a for a in agencies if a.id == form.agency.data), None)
        if agency is None:
            abort(404)
        done, _result = commit_or_show(form, lambda: ev.set_privacy_notice(current_user, agency, form.text.data, utc_now()),
                                       "text")
        if done:
            flash(_("The privacy notice of %(agency)s has been saved.", agency=agency.name), "success")
            return redirect(url_for("coordinator.privacy_notice", agency=agency.id))
    elif not form.is_submitted():
        chosen = next((a for a in agencies if str(a.id) == request.args.get("agency")), agencies[0])
        form.agency.data, form.text.data = chosen.id, chosen.privacy_notice
    return render_template("coordinator/privacy_notice.html", form=form), 422 if form.errors else 200
