"""The student's wishes page (``/wishes``): no account, just the class code and the personal code
from the class sheet. Signing in keeps only the student's id and session version in the session, so
every page shows that student's own data and nothing else; no URL carries a student id, and signing
out bumps the version, so a session cookie saved before then no longer opens anything.

The class sheet's QR code carries the class code in the URL's fragment (``/wishes/#CODE``): browsers
never send a fragment to the server, so class codes stay out of access logs and proxies;
``static/wishes.js`` copies it into the form.

The wishes form (one select per rank) is shared with the teacher, who enters wishes for a student
who cannot (:func:`wishes_form_for`).
"""
from __future__ import annotations

from functools import wraps

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from scheduler_app.domain import printing, wishes
from scheduler_app.domain.career_days import Deadline, deadline_of, is_open
from scheduler_app.domain.errors import DomainError
from scheduler_app.extensions import db, limiter
from scheduler_app.models import FeedKind, Student
from scheduler_app.models_base import utc_now
from scheduler_app.web.actions import commit_or_flash, commit_or_show
from scheduler_app.web.feeds import links_for, renew_and_return
from scheduler_app.web.inputs import parse_id

bp = Blueprint("student", __name__, url_prefix="/wishes")

SESSION_KEY = "student"  # "<student id>:<session version>"
CODE_MAX_LENGTH = 32  # codes are 6 and 8 characters; people type spaces and dashes


class SignInForm(FlaskForm):
    class_code = StringField(_l("Class code"), validators=[InputRequired(_l("Please enter the class code.")),
                                                          Length(max=CODE_MAX_LENGTH)])
    personal_code = StringField(_l("Your personal code"), validators=[InputRequired(_l("Please enter your personal code.")),
                                                                      Length(max=CODE_MAX_LENGTH)])


class WishesForm(FlaskForm):
    """One select per rank (``rank_1`` … ``rank_N``), added by :func:`wishes_form_for`."""

    rank_fields: list = []

    def errors_for(self, field: str | None) -> list[str]:
        """The domain's messages about wishes concern the list as a whole: they go above it
        (:func:`~scheduler_app.web.actions.show_error`)."""
        return self.form_errors


def wishes_form_for(student: Student) -> WishesForm:
    """The wishes form for ``student``: as many ranks as the student must fill, each choosing among
    the offers open to the class, preset with the student's current wishes."""
    offers = wishes.eligible_offers(student)
    required = wishes.wishes_required(student)
    choices = [SelectChoice("", _("– please choose –"))] + [
        SelectChoice(str(offer.id), f"{offer.title} ({offer.company.name})") for offer in offers]

    class Form(WishesForm):
        pass

    for rank in range(1, required + 1):
        setattr(Form, f"rank_{rank}", SelectField(_l("%(n)d. wish", n=rank), choices=choices, validate_choice=False,
                                                  validators=[InputRequired(_l("Please choose an offer."))]))
    current = {p.rank: str(p.offer_id) for p in student.preferences}
    form = Form(data={f"rank_{rank}": current.get(rank, "") for rank in range(1, required + 1)})
    form.rank_fields = [form[f"rank_{rank}"] for rank in range(1, required + 1)]
    form.offers = offers
    return form


def offer_ids(form: WishesForm) -> list[int]:
    """The chosen offers in rank order; anything that cannot be an id becomes 0, which the domain refuses."""
    return [parse_id(field.data) or 0 for field in form.rank_fields]


def _session_value(student: Student) -> str:
    return f"{student.id}:{student.session_version}"


def current_student() -> Student | None:
    """The signed-in student, or None: a stale id (a removed student) or an ended session signs out."""
    value = session.get(SESSION_KEY)
    student_id, _sep, _version = value.partition(":") if isinstance(value, str) else ("", "", "")
    student = db.session.get(Student, int(student_id)) if student_id.isdigit() and len(student_id) < 10 else None
    if student is None or _session_value(student) != value:
        session.pop(SESSION_KEY, None)
        return None
    return student


def student_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        g.student = current_student()
        if g.student is None:
            return redirect(url_for("student.sign_in"))
        return view(*args, **kwargs)

    return wrapped


def _sign_in_limit() -> str:
    return current_app.config["WISHES_SIGN_IN_RATE_LIMIT"]


@bp.route("/", methods=["GET", "POST"])
@limiter.limit(_sign_in_limit, methods=["POST"])
def sign_in():
    if request.method == "GET" and current_student() is not None:
        return redirect(url_for("student.choose"))
    form = SignInForm()
    if form.validate_on_submit():
        found = wishes.find_student(form.class_code.data, form.personal_code.data)
        if found is not None:
            session[SESSION_KEY] = _session_value(found)
            return redirect(url_for("student.choose"))
        form.form_errors.append(_("These codes do not match. Please check both codes on the sheet from your teacher."))
    return render_template("student/sign_in.html", form=form), 422 if form.errors else 200


def _deadline_context(student: Student) -> dict:
    career_day = student.school_class.career_day
    return dict(career_day=career_day, wishes_open=is_open(career_day, Deadline.wishes, utc_now()),
                deadline=deadline_of(career_day, Deadline.wishes), published=career_day.published_allocation_id is not None,
                calendar=links_for(FeedKind.student, student.id, career_day.name))


@bp.route("/choose", methods=["GET", "POST"])
@student_required
def choose():
    """The offers as cards; "my wishes" is a list the page carries (``pick`` fields) and its buttons
    (``action``: add/remove/up/down:ID, filter, save) work without JavaScript. Saving -- or a form
    of ``rank_N`` fields, as the teacher's page sends -- replaces the wishes in one transaction."""
    student = g.student
    form = wishes_form_for(student)
    eligible, required = [offer.id for offer in form.offers], len(form.rank_fields)
    cards = request.method == "POST" and ("pick" in request.form or "action" in request.form)
    if request.method == "GET":
        picked, action = [p.offer_id for p in student.preferences], ""
    elif cards:  # CSRF is checked for every POST by CSRFProtect
        picked, action = [parse_id(v) or 0 for v in request.form.getlist("pick")], request.form.get("action", "")
    else:
        picked, action = offer_ids(form), "save"
    arranged = wishes.arrange(picked, action, eligible, required)
    if action == "save" and (cards or form.validate_on_submit()):
        done, _result = commit_or_show(form, lambda: wishes.submit_wishes(student, student, arranged if cards else picked,
                                                                          utc_now()), "offers")
        if done:
            return redirect(url_for("student.confirmation"))
    field_filter = (request.values.get("field") or "").strip()[:120]
    by_id = {offer.id: offer for offer in form.offers}
    return render_template(
        "student/wishes.html", student=student, form=form, picked=[by_id[i] for i in arranged], required=required,
        fields=sorted({o.occupational_field for o in form.offers if o.occupational_field}), field_filter=field_filter,
        shown=[o for o in form.offers if not field_filter or o.occupational_field == field_filter],
        **_deadline_context(student)), 422 if form.form_errors or form.errors else 200


@bp.route("/confirmation")
@student_required
def confirmation():
    student = g.student
    return render_template("student/confirmation.html", student=student, **_deadline_context(student))


@bp.route("/route-sheet")
@student_required
def route_sheet():
    student = g.student
    school_class = student.school_class
    try:
        sheets = printing.route_sheets(school_class.career_day, school_class=school_class)
    except DomainError as error:
        flash(_(error.message, **error.params), "error")
        return redirect(url_for("student.choose"))
    # display names are unique within a class, so this is the student's own sheet and no one else's
    sheet = next((s for s in sheets if s.student == student.display_name), None)
    return render_template("student/route_sheet.html", student=student, sheet=sheet, **_deadline_context(student))


@bp.route("/calendar/renew", methods=["POST"])
@student_required
def renew_calendar():
    return renew_and_return(FeedKind.student, g.student.id, url_for("student.confirmation", _anchor="calendar-heading"))


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    student = current_student()
    if student is not None:
        commit_or_flash(lambda: wishes.end_student_sessions(student))
    session.pop(SESSION_KEY, None)
    flash(_("You have signed out."), "success")
    return redirect(url_for("student.sign_in"))
