"""A teacher registers one of the school's classes for an employer event (places = its headcount)
and sees the registrations of the school's classes. The registration is the teacher's (their name and
e-mail address, so their personal link too), one per teacher and event like every registration."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from scheduler_app.domain import employer_events as ev
from scheduler_app.extensions import db
from scheduler_app.models import EmployerEvent, EventRegistration, RegistrationStatus, SchoolClass
from scheduler_app.models_base import utc_now
from scheduler_app.web.access import school_contact_required
from scheduler_app.web.actions import commit_or_flash
from scheduler_app.web.events import KIND_LABELS, event_path, free_places_text, public_events, site
from scheduler_app.web.inputs import parse_id
from scheduler_app.web.school import bp


def _classes():
    school_ids = [school.id for school in current_user.schools]
    return list(db.session.scalars(select(SchoolClass).where(SchoolClass.school_id.in_(school_ids))
                                   .order_by(SchoolClass.name, SchoolClass.id)))


@bp.route("/events/")
@school_contact_required
def events():
    now = utc_now()
    school_ids = [school.id for school in current_user.schools]
    registrations = db.session.scalars(
        select(EventRegistration).where(EventRegistration.organisation_id.in_(school_ids),
                                        EventRegistration.status != RegistrationStatus.cancelled)
        .order_by(EventRegistration.id))
    open_events = [event for event in public_events() if ev.registration_open(event, now)]
    return render_template("school/events.html", events=open_events, classes=_classes(), registrations=list(registrations),
                           kind_labels=KIND_LABELS, event_path=event_path, free_places_text=free_places_text)


@bp.route("/events/<int:event_id>/register", methods=["POST"])
@school_contact_required
def register_class_for_event(event_id: int):
    event = db.session.get(EmployerEvent, event_id)
    if event is None or not ev.is_public(event):
        abort(404)
    class_id = parse_id(request.form.get("class"))
    school_class = next((c for c in _classes() if c.id == class_id), None)
    if school_class is None:
        abort(404)
    done, result = commit_or_flash(lambda: ev.register(
        event, name=current_user.name, email=current_user.email, places=school_class.headcount, now=utc_now(), site=site(),
        organisation_name=f"{school_class.school.name}, {school_class.name}", user=current_user, school_class=school_class,
        organisation=school_class.school))
    if done:
        registration = result.registration
        if result.duplicate:
            flash(_("You are already registered for this event; we have sent you your personal link again."), "success")
        elif registration.status is RegistrationStatus.confirmed:
            flash(_("Class %(name)s is registered for “%(title)s”.", name=school_class.name, title=event.title), "success")
        else:
            flash(_("“%(title)s” is full: class %(name)s is on the waitlist at position %(position)d.", title=event.title,
                    name=school_class.name, position=registration.waitlist_position), "success")
    return redirect(url_for("school.events"))


