"""Career days for the coordinator: set one up (venue, rounds, deadlines, limits), follow its
progress in charts, and invite schools' and companies' contacts from a contact list."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, DateField, DateTimeLocalField, FieldList, Form, FormField, StringField, TimeField
from wtforms.validators import DataRequired, Length, Optional

from scheduler_app.domain import career_days, late_changes, programmes, publication, rosters
from scheduler_app.domain.allocation import active_allocation
from scheduler_app.domain.errors import DomainError, NotAllowed, each
from scheduler_app.extensions import db
from scheduler_app.models import CareerDay, Programme
from scheduler_app.models_base import utc_now
from scheduler_app.web.access import coordinator_required
from scheduler_app.web.coordinator import bp
from scheduler_app.web.coordinator.venue_fields import NO_VENUE, VenueFields
from scheduler_app.web.forms import BoundedIntegerField

ROUND_ROWS = 8  # rows shown without JavaScript; a day with more rounds shows all of its rounds


class RoundForm(Form):
    """One row of the rounds table; a row with neither time is simply not a round."""

    starts_at = TimeField(_l("Starts"), validators=[Optional()])
    ends_at = TimeField(_l("Ends"), validators=[Optional()])

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if valid and (self.starts_at.data is None) != (self.ends_at.data is None):
            self.ends_at.errors = [*self.ends_at.errors, _("Please enter both the start and the end, or neither.")]
            return False
        return valid


class CareerDayForm(FlaskForm, VenueFields):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Please enter a name.")),
                                               Length(max=career_days.NAME_MAX_LENGTH)],
                       description=_l("For example “BO-Tag Realschule Bramsche”."))
    date = DateField(_l("Date"), validators=[DataRequired(_l("Please enter the date."))])
    rounds = FieldList(FormField(RoundForm), min_entries=ROUND_ROWS, max_entries=career_days.MAX_ROUNDS)
    booking_deadline = DateTimeLocalField(_l("Companies book offers until"), validators=[Optional()])
    registration_deadline = DateTimeLocalField(_l("Schools register classes until"), validators=[Optional()])
    wishes_deadline = DateTimeLocalField(_l("Students rank their wishes until"), validators=[Optional()])
    wishes_count = BoundedIntegerField(_l("Wishes per student"), [DataRequired(_l("Please enter a number."))],
                                       minimum=1, maximum=career_days.MAX_WISHES, default=5)
    slots_per_student = BoundedIntegerField(_l("Offers each student attends"), [DataRequired(_l("Please enter a number."))],
                                            minimum=1, maximum=career_days.MAX_ROUNDS, default=3)
    max_students = BoundedIntegerField(_l("Most students in total"), [Optional()], minimum=1,
                                       maximum=100_000, description=_l("Leave empty for no limit."))
    retention_until = DateField(_l("Delete students' data after"), validators=[Optional()],
                                description=_l("Leave empty for 90 days after the day."))
    reminder_days = StringField(_l("Reminders (days before each deadline)"), validators=[Length(max=40)], default="7, 2",
                                description=_l("Companies without an offer, schools without classes and teachers of "
                                               "students who have not ranked are reminded; for example “7, 2”. Leave "
                                               "empty for no reminders."))
    auto_allocate = BooleanField(_l("Start the allocation automatically at the wishes deadline"),
                                 description=_l("The coordinators get the result by e-mail."))

    def __init__(self, agency_id: int, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.offer_venues(agency_id)
        self.rounds_errors: list[str] = []

    def round_times(self):
        return [(row.starts_at.data, row.ends_at.data) for row in self.rounds if row.starts_at.data is not None]

    def settings(self) -> dict:
        return dict(
            name=self.name.data, date=self.date.data, rounds=self.round_times(),
            booking_deadline=self.booking_deadline.data, registration_deadline=self.registration_deadline.data,
            wishes_deadline=self.wishes_deadline.data, wishes_count=self.wishes_count.data,
            slots_per_student=self.slots_per_student.data, max_students=self.max_students.data,
            retention_until=self.retention_until.data, reminder_days=self.reminder_days.data or "",
            auto_allocate=self.auto_allocate.data,
        )


class ContactListForm(FlaskForm):
    file = FileField(_l("Contact list (CSV or Excel)"), validators=[
        FileRequired(_l("Please choose a file.")),
        FileAllowed(["csv", "xlsx"], _l("Please upload a CSV or XLSX file.")),
    ], description=_l("Columns: Organisation, Art (Schule or Unternehmen), Ansprechperson, E-Mail."))


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


def _show_error(form: CareerDayForm, error: DomainError) -> None:
    """Every broken rule next to its field, all at once."""
    for single in each(error):
        message = _(single.message, **single.params)
        if single.field == "rounds":
            form.rounds_errors.append(message)
        else:
            field = getattr(form, single.field or "name", None) or form.name
            field.errors = [*field.errors, message]


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
        try:
            career_day = career_days.create_career_day(current_user, programme, venue=form.chosen_venue(now), now=now,
                                                       **form.settings())
        except NotAllowed:
            db.session.rollback()
            abort(403)
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
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
        try:
            career_days.update_career_day(current_user, career_day, venue=form.chosen_venue(now), now=now, **form.settings())
        except NotAllowed:
            db.session.rollback()
            abort(403)
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
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
        pending=late_changes.pending(career_day), describe=late_changes.describe,
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
        try:
            rows = rosters.read_contact_list(upload.filename or "", upload.read(rosters.MAX_FILE_BYTES + 1))
            invited = rosters.import_contact_list(current_user, career_day.programme.agency_id, rows, utc_now(), current_app.config["PUBLIC_BASE_URL"],
                                                  current_app.config["INVITATION_TTL"])
        except NotAllowed:
            db.session.rollback()
            abort(403)
        except rosters.FileRowsError as error:
            db.session.rollback()
            form.file.errors.append(_(error.message, **error.params))
            problems = [(p.row, _(p.message, **p.params)) for p in error.problems]
        except DomainError as error:
            db.session.rollback()
            form.file.errors.append(_(error.message, **error.params))
        else:
            db.session.commit()
            flash(_("%(n)d invitations have been queued.", n=len(invited)), "success")
            return redirect(url_for("coordinator.career_day", career_day_id=career_day.id))
    return render_template("coordinator/career_day_contacts.html", career_day=career_day, form=form,
                           problems=problems), 422 if form.errors else 200
