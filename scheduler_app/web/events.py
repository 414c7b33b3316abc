"""Employer events for everyone, without an account: the event list with filters, each event's page
with its registration form, a programme's page, and the registrant's personal link page.

Readable URLs (``/events/17/infoabend-mechatronik``), German by default, phone first. The
registration form's inputs are named ``name``, ``email``, ``places``, ``organisation``, ``comment``
and ``consent`` (checks outside this repository fill it). Spam: a honeypot field (``website``,
hidden from people and screen readers; a filled one is answered like a success and writes nothing)
and a rate limit per client address (``EVENT_REGISTRATION_RATE_LIMIT``).
"""
from __future__ import annotations

from datetime import datetime, time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, DateField, EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, Optional

from scheduler_app.domain import employer_events as ev
from scheduler_app.domain.dashboards import wall_clock
from scheduler_app.extensions import db, limiter
from scheduler_app.models import EmployerEvent, EmployerEventKind, FeedKind, Organisation, OrganisationKind, Programme
from scheduler_app.models_base import utc_now
from scheduler_app.web.actions import commit_or_flash, commit_or_show
from scheduler_app.web.feeds import links_for, renew_and_return, token_key
from scheduler_app.web.forms import BoundedIntegerField

bp = Blueprint("events", __name__)

KIND_LABELS = {
    EmployerEventKind.info_session: _l("Info session"),
    EmployerEventKind.open_day: _l("Open day"),
    EmployerEventKind.company_visit: _l("Company visit"),
    EmployerEventKind.workshop: _l("Workshop"),
}


def site() -> ev.Site:
    return ev.site_of(current_app.config)


def event_path(event: EmployerEvent) -> str:
    return ev.public_path(event)


def free_places_text(event: EmployerEvent) -> str:
    """The free places in plain words ("noch 5 Plätze frei", "ausgebucht – Warteliste")."""
    if event.is_cancelled:
        return _("Cancelled")
    free = event.free_places
    if free > 0:
        return _("%(num)d places left", num=free) if free != 1 else _("1 place left")
    return _("Fully booked – waitlist") if event.waitlist_enabled else _("Fully booked")


class RegistrationForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[InputRequired(_l("Please enter your name.")),
                                                   Length(max=ev.NAME_MAX_LENGTH)])
    email = EmailField(_l("E-mail address"), validators=[InputRequired(_l("Please enter an e-mail address.")),
                                                        Email(_l("Please enter a valid e-mail address.")),
                                                        Length(max=ev.EMAIL_MAX_LENGTH)],
                       description=_l("Your confirmation and your personal link are sent here."))
    places = BoundedIntegerField(_l("Number of places"), [InputRequired(_l("Please enter a number."))], minimum=1,
                                 maximum=ev.MAX_PLACES, default=1,
                                 description=_l("For a group (e.g. a class), the number of people who come."))
    organisation = StringField(_l("Organisation or school (optional)"), validators=[Optional(), Length(max=ev.NAME_MAX_LENGTH)])
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=ev.COMMENT_MAX_LENGTH)])
    consent = BooleanField(_l("I agree to the processing of my data for this registration."),
                           validators=[InputRequired(_l("Please agree to the processing of your data."))])
    website = StringField(_l("Leave this field empty"), validators=[Optional(), Length(max=200)])  # the honeypot


class PlacesForm(FlaskForm):
    places = BoundedIntegerField(_l("Number of places"), [InputRequired(_l("Please enter a number."))], minimum=1,
                                 maximum=ev.MAX_PLACES)


class FilterForm(FlaskForm):
    class Meta:
        csrf = False

    kind = SelectField(_l("Kind"), validators=[Optional()])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("Until"), validators=[Optional()])
    field = StringField(_l("Occupational field"), validators=[Optional(), Length(max=120)])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=120)])
    free = BooleanField(_l("Only events with free places"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [("", _("All kinds"))] + [(kind.value, str(label)) for kind, label in KIND_LABELS.items()]


def public_events(filters: FilterForm | None = None, programme_id: int | None = None) -> list[EmployerEvent]:
    """Published events from today on (cancelled ones marked), filtered as asked."""
    today = datetime.combine(wall_clock(utc_now()).date(), time())
    query = select(EmployerEvent).where(EmployerEvent.published_at.is_not(None), EmployerEvent.ends_at >= today)
    if programme_id is not None:
        query = select(EmployerEvent).where(EmployerEvent.published_at.is_not(None),
                                            EmployerEvent.programme_id == programme_id)
    if filters is not None:
        if filters.kind.data:
            try:
                query = query.where(EmployerEvent.kind == EmployerEventKind(filters.kind.data))
            except ValueError:
                pass
        if filters.date_from.data:
            query = query.where(EmployerEvent.starts_at >= datetime.combine(filters.date_from.data, time()))
        if filters.date_to.data:
            query = query.where(EmployerEvent.starts_at < datetime.combine(filters.date_to.data, time.max))
        if filters.field.data:
            query = query.where(EmployerEvent.occupational_field.ilike(f"%{_escape_like(filters.field.data)}%", escape="\\"))
        if filters.place.data:
            query = query.where(EmployerEvent.address.ilike(f"%{_escape_like(filters.place.data)}%", escape="\\"))
        if filters.free.data:
            query = query.where(EmployerEvent.booked < EmployerEvent.capacity, EmployerEvent.cancelled_at.is_(None))
    return list(db.session.scalars(query.order_by(EmployerEvent.starts_at, EmployerEvent.id)))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _public_event_or_404(event_id: int) -> EmployerEvent:
    event = db.session.get(EmployerEvent, event_id)
    if event is None or not ev.is_public(event):
        abort(404)
    return event


def privacy_agency(event: EmployerEvent) -> Organisation | None:
    """The agency whose privacy notice the form links: the programme's, else one the company works with."""
    if event.programme is not None:
        return event.programme.agency
    from scheduler_app.models import AgencyPartner

    return db.session.scalar(select(Organisation).join(AgencyPartner, AgencyPartner.agency_id == Organisation.id)
                             .where(AgencyPartner.organisation_id == event.company_id,
                                    Organisation.kind == OrganisationKind.agency).order_by(Organisation.id))


@bp.route("/events/")
def index():
    filters = FilterForm(request.args)
    filters.validate()
    return render_template("events/index.html", events=public_events(filters), filters=filters, kind_labels=KIND_LABELS,
                           free_places_text=free_places_text, event_path=event_path)


def render_event(event: EmployerEvent, form: RegistrationForm | None = None):
    now = utc_now()
    form = form or RegistrationForm(formdata=None)
    return render_template("events/event.html", event=event, form=form, kind_labels=KIND_LABELS,
                           open=ev.registration_open(event, now), free_places_text=free_places_text(event),
                           rule=_(ev.WAITLIST_RULE), map_url=_map_url(event), agency=privacy_agency(event)), \
        422 if form.errors else 200


def _map_url(event: EmployerEvent) -> str | None:
    from urllib.parse import quote

    place = event.venue.address if event.venue is not None else event.address
    return f"https://www.openstreetmap.org/search?query={quote(place)}" if place else None


@bp.route("/events/<int:event_id>", defaults={"slug": None})
@bp.route("/events/<int:event_id>/<slug>")
def event(event_id: int, slug: str | None):  # noqa: ARG001 -- the slug is for people; the id decides
    return render_event(_public_event_or_404(event_id))


def _email_key() -> str:
    return "event-email:" + ev.normalise_email(request.form.get("email"))[:254]


@bp.route("/events/<int:event_id>/register", methods=["POST"])
@limiter.limit(lambda: current_app.config["EVENT_REGISTRATION_RATE_LIMIT"])
@limiter.limit(lambda: current_app.config["EVENT_REGISTRATION_RATE_LIMIT"], key_func=_email_key)
def register(event_id: int):
    event = _public_event_or_404(event_id)
    form = RegistrationForm()
    if form.validate_on_submit():
        if form.website.data:  # the honeypot: only robots fill it; they get the answer a person gets
            flash(_("Thank you. Please check your e-mail."), "success")
            return redirect(event_path(event))
        done, result = commit_or_show(form, lambda: ev.register(
            event, name=form.name.data, email=form.email.data, places=form.places.data, now=utc_now(), site=site(),
            organisation_name=form.organisation.data, comment=form.comment.data, consent=form.consent.data), "places")
        if done:
            registration = result.registration
            if result.duplicate:
                flash(_("This e-mail address is already registered for this event. We have sent you your personal "
                        "link again."), "success")
                return redirect(event_path(event))
            return redirect(url_for("events.registration", token=ev.registration_token(registration, token_key())))
    return render_event(event, form)


@bp.route("/events/<int:event_id>/privacy")
def privacy(event_id: int):
    event = _public_event_or_404(event_id)
    return render_template("events/privacy.html", event=event, agency=privacy_agency(event))


@bp.route("/programmes/<int:programme_id>")
def programme(programme_id: int):
    programme = db.session.get(Programme, programme_id)
    if programme is None:
        abort(404)
    return render_template("events/programme.html", programme=programme, events=public_events(programme_id=programme.id),
                           kind_labels=KIND_LABELS, free_places_text=free_places_text, event_path=event_path)


# --- the personal link ----------------------------------------------------------------------------


def _registration_or_404(token: str):
    try:
        return ev.open_registration(token)
    except ev.RegistrationUnknown:
        abort(404)


def render_registration(token: str, registration, form: PlacesForm | None = None):
    form = form or PlacesForm(formdata=None, places=registration.places)
    calendar = links_for(FeedKind.registrant, registration.id, registration.event.title)
    return render_template("events/registration.html", registration=registration, event=registration.event, token=token,
                           form=form, calendar=calendar, kind_labels=KIND_LABELS, rule=_(ev.WAITLIST_RULE),
                           event_url=event_path(registration.event)), 422 if form.errors else 200


@bp.route("/registration/<token>")
def registration(token: str):
    return render_registration(token, _registration_or_404(token))


@bp.route("/registration/<token>/calendar/renew", methods=["POST"])
def renew_calendar(token: str):
    registration = _registration_or_404(token)
    return renew_and_return(FeedKind.registrant, registration.id,
                            url_for("events.registration", token=token, _anchor="calendar-heading"))


@bp.route("/registration/<token>/places", methods=["POST"])
def change_places(token: str):
    registration = _registration_or_404(token)
    form = PlacesForm()
    if form.validate_on_submit():
        done, _result = commit_or_show(form, lambda: ev.change_places(registration, form.places.data, utc_now(), site()),
                                       "places")
        if done:
            flash(_("The number of places has been changed."), "success")
            return redirect(url_for("events.registration", token=token))
    return render_registration(token, registration, form)


@bp.route("/registration/<token>/cancel", methods=["POST"])
def cancel_registration(token: str):
    registration = _registration_or_404(token)
    event = registration.event
    done, _result = commit_or_flash(lambda: ev.cancel_registration(registration, utc_now(), site()))
    if not done:
        return redirect(url_for("events.registration", token=token))
    flash(_("Your registration has been cancelled. Thank you for letting us know."), "success")
    return redirect(event_path(event))
