"""The coordinator's forms (shapes only: lengths, formats, choices); the rules are the domain's.

Career days and alliance meetings share the venue fields (:class:`VenueFields`): one of the agency's
venues, none yet, or a new one entered on the way.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from sqlalchemy import func
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from scheduler_app.domain import alliances, career_days, classes, invitations, meetings, organisations, programmes, venues
from scheduler_app.domain import allocation as allocations
from scheduler_app.domain import employer_events as ev
from scheduler_app.domain.meetings import MeetingSettings
from scheduler_app.domain.scope import organisations_in_scope
from scheduler_app.extensions import db
from scheduler_app.models import Alliance, Allocation, CareerDay, Organisation, OrganisationKind
from scheduler_app.web.forms import BoundedIntegerField, round_choices

NEW_VENUE = -1
NO_VENUE = 0


class VenueFields(Form):
    """Mixed into a FlaskForm; call :meth:`offer_venues` in the form's ``__init__``."""

    venue = SelectField(_l("Venue"), coerce=int)
    venue_name = StringField(_l("Name of the new venue"), validators=[Length(max=venues.NAME_MAX_LENGTH)])
    venue_street = StringField(_l("Street and number"), validators=[Length(max=venues.STREET_MAX_LENGTH)])
    venue_postcode = StringField(_l("Postcode"), validators=[Length(max=venues.POSTCODE_MAX_LENGTH)])
    venue_city = StringField(_l("City"), validators=[Length(max=venues.CITY_MAX_LENGTH)])

    def offer_venues(self, agency_id: int) -> None:
        self.agency_id = agency_id
        self.agency_venues = venues.venues_of(agency_id)
        self.venue.choices = ([SelectChoice(NO_VENUE, _l("No venue yet")), SelectChoice(NEW_VENUE, _l("A new venue …"))]
                              + [SelectChoice(venue.id, venue.address) for venue in self.agency_venues])

    def validate_venue_name(self, field):
        if self.venue.data == NEW_VENUE and not (field.data or "").strip():
            raise ValidationError(_l("Please enter the venue's name."))

    def chosen_venue(self, now: datetime):
        """The chosen venue; a new one is added to the agency's list in the same transaction."""
        if self.venue.data == NEW_VENUE:
            return venues.create_venue(current_user, self.agency_id, self.venue_name.data, self.venue_street.data,
                                       self.venue_postcode.data, self.venue_city.data, now)
        if self.venue.data == NO_VENUE:
            return None
        return next(venue for venue in self.agency_venues if venue.id == self.venue.data)


class ProgrammeForm(FlaskForm):
    agency = SelectField(_l("Agency"), coerce=int)
    name = StringField(_l("Name"), validators=[DataRequired(_l("Please enter a name.")), Length(max=programmes.NAME_MAX_LENGTH)],
                       description=_l("For example “BO-Tage Landkreis Osnabrück 2027”."))
    description = TextAreaField(_l("Description"), validators=[Length(max=programmes.DESCRIPTION_MAX_LENGTH)])


class OrganisationForm(FlaskForm):
    kind = RadioField(_l("Kind"), choices=[SelectChoice("school", _l("School")), SelectChoice("company", _l("Company"))],
                      validators=[DataRequired(_l("Please choose school or company."))])
    name = StringField(_l("Name"), validators=[DataRequired(_l("Please enter a name.")),
                                               Length(max=organisations.NAME_MAX_LENGTH)])
    city = StringField(_l("City"), validators=[Length(max=organisations.CITY_MAX_LENGTH)])


class InvitationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Please enter a name.")),
                                               Length(max=invitations.NAME_MAX_LENGTH)])
    email = EmailField(_l("E-mail address"), validators=[
        DataRequired(_l("Please enter an e-mail address.")),
        Email(_l("Please enter a valid e-mail address.")),
        Length(max=invitations.EMAIL_MAX_LENGTH),
    ])


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

    def errors_for(self, field: str | None) -> list[str] | None:
        """The domain's messages about the rounds go above the rounds table (:func:`~scheduler_app.web.actions.show_error`)."""
        return self.rounds_errors if field == "rounds" else None

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


class MoveForm(FlaskForm):
    student = SelectField(_l("Student"), coerce=int, validators=[DataRequired(_l("Please choose a student."))])
    slot = SelectField(_l("Move to"), coerce=int, validators=[DataRequired(_l("Please choose a slot."))])

    def __init__(self, allocation: Allocation, *args, **kwargs):
        super().__init__(*args, **kwargs)
        career_day = allocation.career_day
        self.student.choices = [SelectChoice(0, _("Choose a student"))] + [
            SelectChoice(s.id, f"{s.display_name} – {s.school_class.name} ({s.school_class.school.name})")
            for s in allocations.students_of(career_day)
        ]
        loads = {load.slot_id: load.assigned for load in allocation.slot_loads}
        slots = sorted((slot for offer in career_day.offers for slot in offer.slots),
                       key=lambda s: (s.round.position, s.offer.title.lower(), s.id))
        self.slot.choices = [SelectChoice(0, _("Choose a slot"))] + [
            SelectChoice(slot.id, _("Round %(n)d: %(offer)s (%(company)s), %(assigned)d of %(capacity)d seats taken",
                                    n=slot.round.position, offer=slot.offer.title, company=slot.offer.company.name,
                                    assigned=loads.get(slot.id, 0), capacity=slot.capacity))
            for slot in slots
        ]


NEW_ORGANISATION = 0
KIND_NAMES = {
    OrganisationKind.agency: _l("Agency (job centre, employment agency, economic development)"),
    OrganisationKind.chamber: _l("Chamber or guild"),
    OrganisationKind.training_provider: _l("Training provider"),
    OrganisationKind.company: _l("Company"),
    OrganisationKind.school: _l("School"),
}


class AllianceForm(FlaskForm):
    agency = SelectField(_l("Coordinating agency"), coerce=int)
    name = StringField(_l("Name"), validators=[DataRequired(_l("Please enter a name.")), Length(max=alliances.NAME_MAX_LENGTH)],
                       description=_l("For example “Fachkräftebündnis Osnabrücker Land”."))
    region = StringField(_l("Region"), validators=[Length(max=alliances.REGION_MAX_LENGTH)])
    federal_state = SelectField(_l("Federal state"), choices=[SelectChoice("", _l("none (nationwide holidays only)"))] + [
        SelectChoice(code, name) for code, name in sorted(alliances.FEDERAL_STATES.items(), key=lambda item: item[1])],
        description=_l("Candidate dates on this state's public holidays are marked."))


class MemberForm(FlaskForm):
    organisation = SelectField(_l("Organisation"), coerce=int)
    kind = SelectField(_l("Kind of the new organisation"), choices=[SelectChoice(kind.value, label) for kind, label in KIND_NAMES.items()])
    name = StringField(_l("Name of the new organisation"), validators=[Length(max=alliances.NAME_MAX_LENGTH)],
                       description=_l("If it is registered already (for example by another agency), it is linked, not copied."))
    city = StringField(_l("City"), validators=[Length(max=120)])
    required = BooleanField(_l("Required member (for example a chairing organisation)"))

    def __init__(self, alliance: Alliance, *args, **kwargs):
        super().__init__(*args, **kwargs)
        members = {member.organisation_id for member in alliance.members}
        self.choosable = [organisation for organisation in db.session.scalars(
            organisations_in_scope(current_user).order_by(func.lower(Organisation.name), Organisation.id))
            if organisation.id not in members]
        self.organisation.choices = [SelectChoice(NEW_ORGANISATION, _l("A new organisation (enter below) …"))] + [
            SelectChoice(organisation.id, organisation.name) for organisation in self.choosable]


class DelegateForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Please enter a name.")), Length(max=alliances.NAME_MAX_LENGTH)])
    email = EmailField(_l("E-mail address"), validators=[DataRequired(_l("Please enter an e-mail address.")),
                                                          Length(max=alliances.EMAIL_MAX_LENGTH)])
    function = StringField(_l("Function"), validators=[Optional(), Length(max=alliances.FUNCTION_MAX_LENGTH)],
                           description=_l("For example “Head of training”."))


class MemberListForm(FlaskForm):
    file = FileField(_l("Member list (CSV or Excel)"), validators=[FileRequired(_l("Please choose a file."))],
                     description=_l("Columns: Organisation, Art (Agentur, Kammer, Bildungsträger, Unternehmen or Schule), "
                                    "Delegierte/r, E-Mail; optionally Funktion and Pflichtmitglied (ja/nein). "
                                    "One row per delegate."))


class MeetingForm(FlaskForm, VenueFields):
    title = StringField(_l("Title"), validators=[InputRequired(_l("Please enter a title.")), Length(max=meetings.TITLE_MAX_LENGTH)],
                        description=_l("For example “Bündnistreffen Frühjahr 2027”."))
    agenda = TextAreaField(_l("Agenda"), validators=[Length(max=meetings.AGENDA_MAX_LENGTH)],
                           description=_l("One item per line. The next meeting starts from this agenda."))
    room = StringField(_l("Room"), validators=[Length(max=meetings.ROOM_MAX_LENGTH)])
    online_url = StringField(_l("Online link"), validators=[Length(max=meetings.URL_MAX_LENGTH)],
                             description=_l("For an online or hybrid meeting, e.g. https://meet.example.org/buendnis."))
    duration_minutes = BoundedIntegerField(_l("Duration in minutes"), [InputRequired(_l("Please enter a number."))],
                                           default=120, minimum=meetings.MIN_DURATION, maximum=meetings.MAX_DURATION)
    poll_deadline = DateTimeLocalField(_l("Poll deadline"), validators=[Optional()],
                                       description=_l("Delegates answer until then; it must lie before the first candidate date."))
    poll_shows_names = BooleanField(_l("Delegates see which organisations answered what (otherwise only the counts)"))
    auto_decide = BooleanField(_l("At the poll deadline, fix the date by the rule automatically"))

    def __init__(self, agency_id: int, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.offer_venues(agency_id)

    def settings(self, venue) -> MeetingSettings:
        return MeetingSettings(title=self.title.data, agenda=self.agenda.data, venue=venue, room=self.room.data,
                               online_url=self.online_url.data, duration_minutes=self.duration_minutes.data,
                               poll_deadline=self.poll_deadline.data, poll_shows_names=self.poll_shows_names.data,
                               auto_decide=self.auto_decide.data)


class CandidateForm(FlaskForm):
    first_day = DateField(_l("Date (the first, for a series)"), validators=[InputRequired(_l("Please enter the date."))])
    starts = TimeField(_l("From"), validators=[InputRequired(_l("Please enter the start."))])
    ends = TimeField(_l("Until"), validators=[Optional()], description=_l("Empty: the meeting's duration."))
    weeks = BoundedIntegerField(_l("Weekly, for this many weeks"), [InputRequired(_l("Please enter a number."))], default=1,
                                minimum=1, maximum=meetings.MAX_WEEKS, description=_l("1 adds one date. “Every Tuesday for six weeks”: the first Tuesday and 6."))


class MinutesForm(FlaskForm):
    text = TextAreaField(_l("Minutes"), validators=[Length(max=meetings.MINUTES_TEXT_MAX_LENGTH)])
    pdf = FileField(_l("Minutes as PDF (at most 10 MB)"))


class PrivacyNoticeForm(FlaskForm):
    agency = SelectField(_l("Agency"), coerce=int)
    text = TextAreaField(_l("Privacy notice"), validators=[Optional(), Length(max=ev.PRIVACY_NOTICE_MAX_LENGTH)],
                         description=_l("Shown to everyone who registers for an event of your programmes or of the "
                                        "companies you work with. Empty: a short default text."))


# --- late changes, after the day's plan is published
NAMES_MAX_LENGTH = classes.MAX_HEADCOUNT * (classes.NAME_MAX_LENGTH + 2)


def _names(text: str | None) -> list[str]:
    return (text or "").splitlines()


class LateClassForm(FlaskForm):
    school = SelectField(_l("School"), coerce=int)
    name = StringField(_l("Class"), validators=[InputRequired(_l("Please enter a name.")), Length(max=classes.NAME_MAX_LENGTH)])
    grade = BoundedIntegerField(_l("Grade"), [InputRequired(_l("Please enter a number."))], minimum=1, maximum=13)
    first_round = SelectField(_l("Arrives for round"), coerce=int)
    last_round = SelectField(_l("Stays until round"), coerce=int)
    teacher_name = StringField(_l("Accompanying teacher"), validators=[Optional(), Length(max=classes.TEACHER_MAX_LENGTH)])
    names = TextAreaField(_l("Students, one per line"), validators=[InputRequired(_l("Please enter at least one name.")),
                                                                   Length(max=NAMES_MAX_LENGTH)])

    def __init__(self, career_day: CareerDay, *args, **kwargs):
        super().__init__(*args, prefix="class", **kwargs)
        schools = db.session.scalars(organisations_in_scope(current_user)
                                     .where(Organisation.kind == OrganisationKind.school).order_by(Organisation.name))
        self.school.choices = [SelectChoice(school.id, school.name) for school in schools]
        rounds = round_choices(career_day)
        self.first_round.choices, self.last_round.choices = rounds, rounds
        if rounds and self.last_round.data is None:  # the class stays until the end unless told otherwise
            self.last_round.data = rounds[-1].value
        self.positions = [r.position for r in career_day.rounds]

    def fields(self) -> dict:
        """The presence window as the school's form stores it: None for "from the start" / "until the end"."""
        first, last = self.first_round.data, self.last_round.data
        return dict(name=self.name.data, grade=self.grade.data, teacher_name=self.teacher_name.data,
                    first_round=None if first == min(self.positions) else first,
                    last_round=None if last == max(self.positions) else last, names=_names(self.names.data))


class LateStudentsForm(FlaskForm):
    school_class = SelectField(_l("Class"), coerce=int)
    names = TextAreaField(_l("Students, one per line"), validators=[InputRequired(_l("Please enter at least one name.")),
                                                                   Length(max=NAMES_MAX_LENGTH)])

    def name_list(self) -> list[str]:
        return _names(self.names.data)

    def __init__(self, career_day: CareerDay, *args, **kwargs):
        super().__init__(*args, prefix="students", **kwargs)
        self.school_class.choices = [SelectChoice(c.id, f"{c.name} ({c.school.name})")
                                     for c in sorted(career_day.classes, key=lambda c: (c.school.name, c.name))]
