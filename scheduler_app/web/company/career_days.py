"""A company contact's career-day screens: book offers (slots in chosen rounds), change or
withdraw them until the booking deadline, and after publication print the door lists or download
them as CSV (display name and class only)."""
from __future__ import annotations

import csv
import io

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from scheduler_app.domain import offers, printing
from scheduler_app.domain.career_days import Deadline, deadline_of, is_open
from scheduler_app.domain.dashboards import wall_clock
from scheduler_app.domain.errors import DomainError
from scheduler_app.domain.exports import FORMULA_STARTS
from scheduler_app.extensions import db
from scheduler_app.models import CareerDay, Offer
from scheduler_app.models_base import utc_now
from scheduler_app.web.access import company_contact_required, get_owned_or_404
from scheduler_app.web.actions import commit_or_flash, commit_or_show
from scheduler_app.web.company import bp
from scheduler_app.web.company.forms import OfferForm


def _career_day_or_404(career_day_id: int) -> CareerDay:
    career_day = db.session.get(CareerDay, career_day_id)
    if career_day is None:
        abort(404)
    return career_day


def _offer_or_404(offer_id: int) -> Offer:
    return get_owned_or_404(Offer, offer_id, lambda offer: offer.company_id)


@bp.route("/career-days/")
@company_contact_required
def career_days():
    """Career days still to come, each with the company's offers and whether booking is open."""
    now = utc_now()
    days = db.session.scalars(select(CareerDay).where(CareerDay.date >= wall_clock(now).date())
                              .order_by(CareerDay.date, CareerDay.id))
    company_ids = {company.id for company in current_user.companies}
    rows = [(day, [o for o in day.offers if o.company_id in company_ids], is_open(day, Deadline.booking, now)) for day in days]
    return render_template("company/career_days.html", rows=rows)


@bp.route("/career-days/<int:career_day_id>")
@company_contact_required
def career_day(career_day_id: int):
    career_day = _career_day_or_404(career_day_id)
    company_ids = {company.id for company in current_user.companies}
    own = [offer for offer in career_day.offers if offer.company_id in company_ids]
    return render_template("company/career_day.html", career_day=career_day, offers=own,
                           booking_open=is_open(career_day, Deadline.booking, utc_now()),
                           deadline=deadline_of(career_day, Deadline.booking),
                           published=career_day.published_allocation_id is not None)


@bp.route("/career-days/<int:career_day_id>/offers/new", methods=["GET", "POST"])
@company_contact_required
def book_offer(career_day_id: int):
    career_day = _career_day_or_404(career_day_id)
    companies = current_user.companies
    form = OfferForm(career_day, companies)
    if form.validate_on_submit():
        company = companies[0] if len(companies) == 1 else next((c for c in companies if c.id == form.company.data), None)
        if company is None:
            abort(404)
        done, offer = commit_or_show(form, lambda: offers.book_offer(current_user, career_day, company, **form.fields(),
                                                                     now=utc_now()), "title")
        if done:
            flash(_("“%(title)s” is booked.", title=offer.title), "success")
            return redirect(url_for("company.career_day", career_day_id=career_day.id))
    elif not form.is_submitted():
        form.round_positions.data = [r.position for r in career_day.rounds]
    return render_template("company/offer_form.html", form=form, career_day=career_day, offer=None), \
        422 if form.errors else 200


@bp.route("/offers/<int:offer_id>/edit", methods=["GET", "POST"])
@company_contact_required
def edit_offer(offer_id: int):
    offer = _offer_or_404(offer_id)
    career_day = offer.career_day
    form = OfferForm(career_day, [offer.company], obj=offer)
    if form.validate_on_submit():
        done, _result = commit_or_show(form, lambda: offers.update_offer(current_user, offer, **form.fields(), now=utc_now()),
                                       "title")
        if done:
            flash(_("“%(title)s” has been changed.", title=offer.title), "success")
            return redirect(url_for("company.career_day", career_day_id=career_day.id))
    elif not form.is_submitted():
        slots = sorted(offer.slots, key=lambda slot: slot.round.position)
        form.round_positions.data = [slot.round.position for slot in slots]
        form.seats.data = slots[0].capacity if slots else None
        form.min_size.data = slots[0].min_size if slots else 0
        form.min_grade.data, form.max_grade.data = offer.min_grade or 0, offer.max_grade or 0
    return render_template("company/offer_form.html", form=form, career_day=career_day, offer=offer), \
        422 if form.errors else 200


@bp.route("/offers/<int:offer_id>/withdraw", methods=["POST"])
@company_contact_required
def withdraw_offer(offer_id: int):
    offer = _offer_or_404(offer_id)
    career_day_id, title = offer.career_day_id, offer.title
    done, _result = commit_or_flash(lambda: offers.withdraw_offer(current_user, offer, utc_now()))
    if done:
        flash(_("“%(title)s” has been withdrawn.", title=title), "success")
    return redirect(url_for("company.career_day", career_day_id=career_day_id))


def _door_lists(career_day: CareerDay):
    """The door lists of the signed-in contact's companies; None before publication (with a message)."""
    company_ids = {company.id for company in current_user.companies}
    try:
        lists = printing.door_lists(career_day)
    except DomainError as error:
        flash(_(error.message, **error.params), "error")
        return None
    return [door_list for door_list in lists if door_list.company_id in company_ids]


@bp.route("/career-days/<int:career_day_id>/door-lists")
@company_contact_required
def door_lists(career_day_id: int):
    career_day = _career_day_or_404(career_day_id)
    lists = _door_lists(career_day)
    if lists is None:
        return redirect(url_for("company.career_day", career_day_id=career_day.id))
    return render_template("print/door_lists.html", career_day=career_day, door_lists=lists,
                           back_url=url_for("company.career_day", career_day_id=career_day.id),
                           csv_url=url_for("company.door_lists_csv", career_day_id=career_day.id))


def _cell(value: str) -> str:
    """Names are typed by teachers: text a spreadsheet would run as a formula stays text."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


@bp.route("/career-days/<int:career_day_id>/door-lists.csv")
@company_contact_required
def door_lists_csv(career_day_id: int):
    """One row per attendee (UTF-8 with BOM and ``;``, as German Excel opens it)."""
    career_day = _career_day_or_404(career_day_id)
    lists = _door_lists(career_day)
    if lists is None:
        return redirect(url_for("company.career_day", career_day_id=career_day.id))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([_("Offer"), _("Round"), _("Time"), _("Room"), _("Student"), _("Class")])
    for door_list in lists:
        time = f"{door_list.starts_at:%H:%M}–{door_list.ends_at:%H:%M}"
        for attendee in door_list.attendees:
            writer.writerow([_cell(door_list.offer), door_list.round, time, _cell(door_list.room or ""),
                             _cell(attendee.student), _cell(attendee.class_name)])
    filename = f"door-lists-{career_day.date:%Y-%m-%d}.csv"
    return Response(buffer.getvalue().encode("utf-8-sig"), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
