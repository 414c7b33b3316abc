"""Career days for the coordinator: set one up (venue, rounds, deadlines, limits), follow its
progress in charts, and invite schools' and companies' contacts from a contact list."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from scheduler_app.domain import career_days, programmes, publication, rosters
from scheduler_app.domain.allocation import active_allocation
from scheduler_app.extensions import db
from scheduler_app.models import CareerDay, Programme
from scheduler_app.models_base import utc_now
from scheduler_app.web.access import coordinator_required
from scheduler_app.web.actions import commit_or_show
from scheduler_app.web.coordinator import bp
from scheduler_app.web.coordinator.forms import NO_VENUE, CareerDayForm, ContactListForm


def _programme_or_404(programme_id: int) -> Programme:
    programme = db.session.get(Programme, programme_id)
    if programme is None or not programmes.may_manage(current_user, programme):
        abort(404)
    return programme


def career_day_or_404(career_day_id: int) -> CareerDay:
    """The career day, if the signed-in coordinator runs its programme; 404 otherwise."""
    career_day = db.session.get(CareerDay, career_day_id)
    if career_day is None or not career_days.is_coordinator_of(current_user, career_day):
        abort(404)
    return career_day


def _render_form(form: CareerDayForm, programme: Programme, career_day: CareerDay | None):
    invalid = bool(form.errors or form.rounds_errors)
    return render_template("coordinator/career_day_form.html", form=form, programme=programme,
                           career_day=career_day), 422 if invalid else 200


@bp.route("/programmes/<int:programme_id>/career-days/new", methods=["GET", "POST"])
@coordinator_required
def new_career_day(programme_id: int):
    programme = _programme_or_404(programme_id)
    form = CareerDayForm(programme.agency_id)
    if form.validate_on_submit():
        now = utc_now()
        done, career_day = commit_or_show(form, lambda: career_days.create_career_day(
            current_user, programme, venue=form.chosen_venue(now), now=now, **form.settings()), "name")
        if done:
            flash(_("Career day “%(name)s” created.", name=career_day.name), "success")
            return redirect(url_for("coordinator.career_day", career_day_id=career_day.id))
    return _render_form(form, programme, None)


@bp.route("/career-days/<int:career_day_id>/edit", methods=["GET", "POST"])
@coordinator_required
def edit_career_day(career_day_id: int):
    career_day = career_day_or_404(career_day_id)
    if request.method == "GET":
        form = CareerDayForm(career_day.programme.agency_id, obj=career_day, venue=career_day.venue_id or NO_VENUE,
                             rounds=[{"starts_at": r.starts_at, "ends_at": r.ends_at} for r in career_day.rounds])
    else:
        form = CareerDayForm(career_day.programme.agency_id)
    if form.validate_on_submit():
        now = utc_now()
        done, _result = commit_or_show(form, lambda: career_days.update_career_day(
            current_user, career_day, venue=form.chosen_venue(now), now=now, **form.settings()), "name")
        if done:
            flash(_("The settings of “%(name)s” have been saved.", name=career_day.name), "success")
            if career_days.past_deadlines(career_day, now):
                flash(_("Some deadlines of this day lie in the past: those steps are closed for schools, companies "
                        "and students."), "warning")
            return redirect(url_for("coordinator.career_day", career_day_id=career_day.id))
    return _render_form(form, career_day.programme, career_day)


@bp.route("/career-days/<int:career_day_id>")
@coordinator_required
def career_day(career_day_id: int):
    career_day = career_day_or_404(career_day_id)
    return render_template(
        "coordinator/career_day.html", career_day=career_day, progress=career_days.progress(career_day),
        allocations=list(reversed(career_day.allocations)), running=active_allocation(career_day),
        versions=publication.publications(career_day),
        deadlines=[(_("Companies book offers until"), career_day.booking_deadline),
                   (_("Schools register classes until"), career_day.registration_deadline),
                   (_("Students rank their wishes until"), career_day.wishes_deadline)],
    )


@bp.route("/career-days/<int:career_day_id>/contacts", methods=["GET", "POST"])
@coordinator_required
def invite_contacts(career_day_id: int):
    """Upload a contact list: every bad row is shown at once and nothing is imported; a good list
    registers missing schools and companies and queues one invitation per row."""
    career_day = career_day_or_404(career_day_id)
    form = ContactListForm()
    problems = []
    if form.validate_on_submit():
        upload = form.file.data

        def import_list():
            rows = rosters.read_contact_list(upload.filename or "", upload.read(rosters.MAX_FILE_BYTES + 1))
            return rosters.import_contact_list(current_user, career_day.programme.agency_id, rows, utc_now(),
                                               current_app.config["PUBLIC_BASE_URL"], current_app.config["INVITATION_TTL"])

        done, invited = commit_or_show(form, import_list, "file")
        if not done:  # a file with bad rows: each of them, besides the message
            problems = [(p.row, _(p.message, **p.params)) for p in getattr(invited, "problems", [])]
        else:
            flash(_("%(n)d invitations have been queued.", n=len(invited)), "success")
            return redirect(url_for("coordinator.career_day", career_day_id=career_day.id))
    return render_template("coordinator/career_day_contacts.html", career_day=career_day, form=form,
                           problems=problems), 422 if form.errors else 200
