"""Choosing a venue in a coordinator's form: one of the agency's venues, none yet, or a new one
entered on the way (career days and alliance meetings use the same fields)."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import Form, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, ValidationError

from scheduler_app.domain import venues

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
