"""A teacher's career-day screens: register classes, enter the roster (typed or uploaded), print
the class sheet with the codes, enter wishes for a student who cannot, and after publication
print the class list and the students' route sheets."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from scheduler_app.domain import classes, printing, rosters, wishes
from scheduler_app.domain.career_days import Deadline, deadline_of, is_open
from scheduler_app.domain.errors import DomainError
from scheduler_app.extensions import db
from scheduler_app.models import CareerDay, FeedKind, SchoolClass, Student
from scheduler_app.models_base import utc_now
from scheduler_app.web.feeds import links_for, renew_and_return
from scheduler_app.web.access import get_owned_or_404, school_contact_required
from scheduler_app.web.actions import commit_or_flash, commit_or_show
from scheduler_app.web.school import bp
from scheduler_app.web.school.forms import AddStudentsForm, ClassForm, RenameStudentForm, UploadRosterForm
from scheduler_app.web.student import offer_ids, wishes_form_for


def _career_day_or_404(career_day_id: int) -> CareerDay:
    career_day = db.session.get(CareerDay, career_day_id)
    if career_day is None:
        abort(404)
    return career_day


def _class_or_404(class_id: int) -> SchoolClass:
    return get_owned_or_404(SchoolClass, class_id, lambda school_class: school_class.school_id)


def _student_or_404(student_id: int) -> Student:
    return get_owned_or_404(Student, student_id, lambda student: student.school_class.school_id)


@bp.route("/career-days/<int:career_day_id>")
@school_contact_required
def career_day(career_day_id: int):
    career_day = _career_day_or_404(career_day_id)
    school_ids = {school.id for school in current_user.schools}
    own = [c for c in career_day.classes if c.school_id in school_ids]
    return render_template("school/career_day.html", career_day=career_day, classes=own,
                           registration_open=is_open(career_day, Deadline.registration, utc_now()),
                           deadline=deadline_of(career_day, Deadline.registration),
                           published=career_day.published_allocation_id is not None)


@bp.route("/career-days/<int:career_day_id>/classes/new", methods=["GET", "POST"])
@school_contact_required
def register_class(career_day_id: int):
    career_day = _career_day_or_404(career_day_id)
    schools = current_user.schools
    form = ClassForm(career_day, schools)
    if form.validate_on_submit():
        school = schools[0] if len(schools) == 1 else next((s for s in schools if s.id == form.school.data), None)
        if school is None:
            abort(404)
        done, school_class = commit_or_show(form, lambda: classes.register_class(
            current_user, career_day, school, **form.fields(), now=utc_now()), "name")
        if done:
            flash(_("Class %(name)s is registered. Now enter its students.", name=school_class.name), "success")
            return redirect(url_for("school.class_roster", class_id=school_class.id))
    elif not form.is_submitted():
        form.first_round.data, form.last_round.data = min(form.positions), max(form.positions)
    return render_template("school/class_form.html", form=form, career_day=career_day, school_class=None), \
        422 if form.errors else 200


@bp.route("/classes/<int:class_id>/edit", methods=["GET", "POST"])
@school_contact_required
def edit_class(class_id: int):
    school_class = _class_or_404(class_id)
    career_day = school_class.career_day
    form = ClassForm(career_day, [school_class.school], obj=school_class)
    if form.validate_on_submit():
        done, _result = commit_or_show(form, lambda: classes.update_class(current_user, school_class, **form.fields(),
                                                                          now=utc_now()), "name")
        if done:
            flash(_("Class %(name)s has been changed.", name=school_class.name), "success")
            return redirect(url_for("school.class_roster", class_id=school_class.id))
    elif not form.is_submitted():
        form.first_round.data = school_class.first_round or min(form.positions)
        form.last_round.data = school_class.last_round or max(form.positions)
    return render_template("school/class_form.html", form=form, career_day=career_day, school_class=school_class), \
        422 if form.errors else 200


@bp.route("/classes/<int:class_id>/remove", methods=["POST"])
@school_contact_required
def remove_class(class_id: int):
    school_class = _class_or_404(class_id)
    career_day_id, name = school_class.career_day_id, school_class.name
    done, _removed = commit_or_flash(lambda: classes.remove_class(current_user, school_class, utc_now()))
    if not done:
        return redirect(url_for("school.class_roster", class_id=class_id))
    flash(_("Class %(name)s has been removed with its students and their wishes.", name=name), "success")
    return redirect(url_for("school.career_day", career_day_id=career_day_id))


def _render_roster(school_class: SchoolClass, *, add_form=None, upload_form=None, rename_form=None,
                   renamed_student_id=None, file_problems=(), status=200):
    career_day = school_class.career_day
    now = utc_now()
    return render_template(
        "school/class_roster.html", school_class=school_class, career_day=career_day,
        add_form=add_form or AddStudentsForm(), upload_form=upload_form or UploadRosterForm(),
        rename_form=rename_form, renamed_student_id=renamed_student_id, file_problems=file_problems,
        roster_open=is_open(career_day, Deadline.wishes, now),
        registration_open=is_open(career_day, Deadline.registration, now),
        wishes_deadline=deadline_of(career_day, Deadline.wishes),
        published=career_day.published_allocation_id is not None,
        calendar=links_for(FeedKind.school_class, school_class.id,
                           _("%(day)s – class %(name)s", day=career_day.name, name=school_class.name)),
    ), status


@bp.route("/classes/<int:class_id>/calendar/renew", methods=["POST"])
@school_contact_required
def renew_class_calendar(class_id: int):
    school_class = _class_or_404(class_id)
    return renew_and_return(FeedKind.school_class, school_class.id,
                            url_for("school.class_roster", class_id=school_class.id, _anchor="calendar-heading"))


@bp.route("/classes/<int:class_id>")
@school_contact_required
def class_roster(class_id: int):
    return _render_roster(_class_or_404(class_id))


@bp.route("/classes/<int:class_id>/students", methods=["POST"])
@school_contact_required
def add_students(class_id: int):
    school_class = _class_or_404(class_id)
    form = AddStudentsForm()
    if form.validate_on_submit():
        done, added = commit_or_show(form, lambda: classes.add_students(
            current_user, school_class, form.names.data.splitlines(), utc_now()), "names")
        if done:
            flash(_("%(n)d students added.", n=len(added)), "success")
            return redirect(url_for("school.class_roster", class_id=class_id))
    return _render_roster(school_class, add_form=form, status=422)


@bp.route("/classes/<int:class_id>/roster-file", methods=["POST"])
@school_contact_required
def upload_roster(class_id: int):
    school_class = _class_or_404(class_id)
    form = UploadRosterForm()
    problems = []
    if form.validate_on_submit():
        upload = form.file.data
        try:
            data = upload.stream.read(rosters.MAX_FILE_BYTES + 1)  # one byte more than allowed is enough to refuse
        finally:
            upload.close()
        done, added = commit_or_show(form, lambda: classes.add_students(
            current_user, school_class, rosters.read_roster(upload.filename or "", data), utc_now()), "file")
        if not done:  # a file with bad rows: each of them, besides the message
            problems = [_("Row %(row)d: %(problem)s", row=p.row, problem=_(p.message, **p.params))
                        for p in getattr(added, "problems", [])]
        else:
            flash(_("%(n)d students added from the file.", n=len(added)), "success")
            return redirect(url_for("school.class_roster", class_id=class_id))
    return _render_roster(school_class, upload_form=form, file_problems=problems, status=422)


@bp.route("/students/<int:student_id>/rename", methods=["POST"])
@school_contact_required
def rename_student(student_id: int):
    student = _student_or_404(student_id)
    form = RenameStudentForm()
    if form.validate_on_submit():
        done, _result = commit_or_show(form, lambda: classes.rename_student(
            current_user, student, form.display_name.data, utc_now()), "display_name")
        if done:
            flash(_("New name: %(name)s", name=student.display_name), "success")  # no full stop after "Jürgen Ö."
            return redirect(url_for("school.class_roster", class_id=student.class_id))
    return _render_roster(student.school_class, rename_form=form, renamed_student_id=student.id, status=422)


@bp.route("/students/<int:student_id>/remove", methods=["POST"])
@school_contact_required
def remove_student(student_id: int):
    student = _student_or_404(student_id)
    class_id, name = student.class_id, student.display_name
    done, _removed = commit_or_flash(lambda: classes.remove_student(current_user, student, utc_now()))
    if done:
        flash(_("%(name)s has been removed with their wishes.", name=name), "success")
    return redirect(url_for("school.class_roster", class_id=class_id))


def wishes_url(class_code: str) -> str:
    """The address printed on the class sheet and in its QR code: the class code rides in the
    fragment, which browsers never send to the server (so it stays out of every access log)."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for("student.sign_in") + "#" + class_code


@bp.route("/classes/<int:class_id>/sheet")
@school_contact_required
def class_sheet(class_id: int):
    school_class = _class_or_404(class_id)
    sheet = classes.class_sheet(current_user, school_class, wishes_url(school_class.class_code),
                                _("QR code for the wishes page of class %(name)s", name=school_class.name))
    return render_template("print/class_sheet.html", sheet=sheet)


@bp.route("/students/<int:student_id>/wishes", methods=["GET", "POST"])
@school_contact_required
def student_wishes(student_id: int):
    student = _student_or_404(student_id)
    form = wishes_form_for(student)
    if form.validate_on_submit():
        done, _result = commit_or_show(form, lambda: wishes.submit_wishes(current_user, student, offer_ids(form), utc_now()),
                                       "offers")
        if done:
            flash(_("The wishes of %(name)s have been saved.", name=student.display_name), "success")
            return redirect(url_for("school.class_roster", class_id=student.class_id))
    return render_template("school/class_student_wishes.html", student=student, form=form,
                           wishes_open=is_open(student.school_class.career_day, Deadline.wishes, utc_now())), \
        422 if form.errors else 200


def _published_or_redirect(school_class: SchoolClass, build):
    """Print data of the published allocation; before publication the teacher is sent back with a message."""
    try:
        return build(), None
    except DomainError as error:
        flash(_(error.message, **error.params), "error")
        return None, redirect(url_for("school.class_roster", class_id=school_class.id))


@bp.route("/classes/<int:class_id>/class-list")
@school_contact_required
def class_list(class_id: int):
    school_class = _class_or_404(class_id)
    lists, refused = _published_or_redirect(school_class, lambda: [
        item for item in printing.class_lists(school_class.career_day, school=school_class.school)
        if item.class_name == school_class.name])
    if refused:
        return refused
    return render_template("print/class_list.html", career_day=school_class.career_day, class_lists=lists,
                           back_url=url_for("school.class_roster", class_id=school_class.id))


@bp.route("/classes/<int:class_id>/route-sheets")
@school_contact_required
def route_sheets(class_id: int):
    school_class = _class_or_404(class_id)
    sheets, refused = _published_or_redirect(
        school_class, lambda: printing.route_sheets(school_class.career_day, school_class=school_class))
    if refused:
        return refused
    return render_template("print/route_sheets.html", career_day=school_class.career_day, sheets=sheets,
                           back_url=url_for("school.class_roster", class_id=school_class.id))

