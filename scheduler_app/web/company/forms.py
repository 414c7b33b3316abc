"""A company contact's forms (shapes only); the coordinator's screens for a company's events use the
event forms too.
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from scheduler_app.domain import employer_events as ev
from scheduler_app.domain import offers
from scheduler_app.models import CareerDay, EmployerEvent
from scheduler_app.web.events import KIND_LABELS
from scheduler_app.web.forms import BoundedIntegerField, round_choices

OFFER_GRADES = range(offers.LOWEST_GRADE, offers.HIGHEST_GRADE + 1)


class RoundCheckboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class OfferForm(FlaskForm):
    company = SelectField(_l("Company"), coerce=int)
    title = StringField(_l("Title"), validators=[InputRequired(_l("Please enter a title.")), Length(max=offers.TITLE_MAX_LENGTH)],
                        description=_l("For example “Ausbildung Mechatroniker/in – Werkstatt erleben”."))
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=offers.DESCRIPTION_MAX_LENGTH)],
                                description=_l("What students will see and do; students read this when they choose."))
    occupational_field = StringField(_l("Occupational field"), validators=[Optional(), Length(max=offers.FIELD_MAX_LENGTH)],
                                     description=_l("For example “Metall und Elektro” or “Pflege”."))
    round_positions = RoundCheckboxes(_l("Rounds"), coerce=int, validate_choice=False)
    seats = BoundedIntegerField(_l("Seats per round"), [InputRequired(_l("Please enter a number."))], minimum=1,
                                maximum=offers.MAX_SEATS)
    min_size = BoundedIntegerField(_l("Minimum group size"), [InputRequired(_l("Please enter a number."))], minimum=0,
                                   maximum=offers.MAX_SEATS, default=0,
                                   description=_l("0 for none: below it, the round does not take place."))
    min_grade = SelectField(_l("From grade"), coerce=int)
    max_grade = SelectField(_l("Up to grade"), coerce=int)
    room_wish = StringField(_l("Room or table wish"), validators=[Optional(), Length(max=offers.ROOM_WISH_MAX_LENGTH)],
                            description=_l("For example “a room with a projector” or “a table near a power socket”."))

    def __init__(self, career_day: CareerDay, companies, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if len(companies) == 1:
            del self.company
        else:
            self.company.choices = [SelectChoice(company.id, company.name) for company in companies]
        self.round_positions.choices = round_choices(career_day)
        any_grade = [SelectChoice(0, _("any"))]
        self.min_grade.choices = any_grade + [SelectChoice(grade, str(grade)) for grade in OFFER_GRADES]
        self.max_grade.choices = any_grade + [SelectChoice(grade, str(grade)) for grade in OFFER_GRADES]

    def fields(self) -> dict:
        return dict(title=self.title.data, description=self.description.data,
                    occupational_field=self.occupational_field.data, round_positions=self.round_positions.data or [],
                    seats=self.seats.data, min_size=self.min_size.data, min_grade=self.min_grade.data or None,
                    max_grade=self.max_grade.data or None, room_wish=self.room_wish.data)


EVENT_GRADES = range(ev.LOWEST_GRADE, ev.HIGHEST_GRADE + 1)


class EventForm(FlaskForm):
    company = SelectField(_l("Company"), coerce=int)
    kind = SelectField(_l("Kind"), validators=[InputRequired(_l("Please choose a kind of event."))])
    title = StringField(_l("Title"), validators=[InputRequired(_l("Please enter a title.")), Length(max=ev.TITLE_MAX_LENGTH)],
                        description=_l("For example “Infoabend: Ausbildung zur Mechatronikerin”."))
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=ev.DESCRIPTION_MAX_LENGTH)])
    occupational_field = StringField(_l("Occupational field"), validators=[Optional(), Length(max=ev.FIELD_MAX_LENGTH)])
    min_grade = SelectField(_l("From grade"), coerce=int)
    max_grade = SelectField(_l("Up to grade"), coerce=int)
    address = StringField(_l("Address"), validators=[InputRequired(_l("Please enter the address.")),
                                                     Length(max=ev.ADDRESS_MAX_LENGTH)],
                          description=_l("Street, postcode and town, as a map service finds it."))
    room_name = StringField(_l("Room or meeting point"), validators=[Optional(), Length(max=ev.ROOM_MAX_LENGTH)])
    starts_at = DateTimeLocalField(_l("Starts"), validators=[InputRequired(_l("Please enter the start."))])
    ends_at = DateTimeLocalField(_l("Ends"), validators=[InputRequired(_l("Please enter the end."))])
    capacity = BoundedIntegerField(_l("Places"), [InputRequired(_l("Please enter a number."))], minimum=1,
                                   maximum=ev.MAX_CAPACITY)
    registration_deadline = DateTimeLocalField(_l("Registration until"), validators=[Optional()],
                                               description=_l("Empty: until the event begins."))
    max_places_per_registration = BoundedIntegerField(
        _l("Most places per registration"), [InputRequired(_l("Please enter a number."))], minimum=1, maximum=ev.MAX_PLACES,
        default=10, description=_l("A teacher registers a class as one group: allow its size."))
    waitlist_enabled = BooleanField(_l("Keep a waitlist when the event is full"), default=True)

    def __init__(self, companies, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if len(companies) <= 1:
            del self.company
        else:
            self.company.choices = [SelectChoice(company.id, company.name) for company in companies]
        self.kind.choices = [SelectChoice(kind.value, str(label)) for kind, label in KIND_LABELS.items()]
        any_grade = [SelectChoice(0, _("any"))]
        self.min_grade.choices = any_grade + [SelectChoice(grade, str(grade)) for grade in EVENT_GRADES]
        self.max_grade.choices = any_grade + [SelectChoice(grade, str(grade)) for grade in EVENT_GRADES]

    def fields(self) -> dict:
        return dict(kind=self.kind.data, title=self.title.data, description=self.description.data,
                    occupational_field=self.occupational_field.data, min_grade=self.min_grade.data or None,
                    max_grade=self.max_grade.data or None, address=self.address.data, room_name=self.room_name.data,
                    starts_at=self.starts_at.data, ends_at=self.ends_at.data, capacity=self.capacity.data,
                    registration_deadline=self.registration_deadline.data,
                    max_places_per_registration=self.max_places_per_registration.data,
                    waitlist_enabled=self.waitlist_enabled.data)

    def fill_from(self, event: EmployerEvent) -> None:
        self.kind.data = event.kind.value
        self.min_grade.data, self.max_grade.data = event.min_grade or 0, event.max_grade or 0
        if event.venue is not None and not event.address:
            self.address.data = event.venue.address


class CapacityForm(FlaskForm):
    capacity = BoundedIntegerField(_l("Places"), [InputRequired(_l("Please enter a number."))], minimum=1,
                                   maximum=ev.MAX_CAPACITY)


class DuplicateForm(FlaskForm):
    starts_at = DateTimeLocalField(_l("New start"), validators=[InputRequired(_l("Please enter the start."))])


class MessageForm(FlaskForm):
    subject = StringField(_l("Subject"), validators=[InputRequired(_l("Please enter a subject.")), Length(max=200)])
    message = TextAreaField(_l("Message"), validators=[InputRequired(_l("Please enter a message.")),
                                                       Length(max=ev.MESSAGE_MAX_LENGTH)])
