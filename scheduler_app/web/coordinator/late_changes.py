"""Late changes for the coordinator, after the day's plan is published: accept a class registered
late, students added or absent, an offer withdrawn, a student's wishes corrected; see them pending;
re-plan from the published version; see who changes and why; publish the changes as a new version.
The rules are in :mod:`scheduler_app.domain.late_changes`."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from scheduler_app.domain import allocation as allocations
from scheduler_app.domain import late_changes, scope
from scheduler_app.extensions import db
from scheduler_app.models import Allocation, AllocationState, CareerDay, Offer, Organisation, Student
from scheduler_app.models_base import utc_now
from scheduler_app.web.access import coordinator_required
from scheduler_app.web.actions import commit_or_flash, commit_or_show
from scheduler_app.web.coordinator import bp
from scheduler_app.web.coordinator.career_days import career_day_or_404
from scheduler_app.web.coordinator.forms import LateClassForm, LateStudentsForm
from scheduler_app.web.inputs import parse_id
from scheduler_app.web.student import offer_ids, wishes_form_for

def _render(career_day: CareerDay, class_form: LateClassForm | None = None, students_form: LateStudentsForm | None = None,
            status: int = 200):
    query = (request.args.get("q") or "").strip()[:60]
    pending = late_changes.pending(career_day)
    draft = late_changes.replan_of(career_day)
    against, why = (None, [])
    if draft is not None and draft.state is AllocationState.done and draft.solver_status in allocations.USABLE_STATUSES:
        against, why = late_changes.who_changes(draft, pending)
    return render_template(
        "coordinator/late_changes.html", career_day=career_day, pending=pending, describe=late_changes.describe,
        class_form=class_form or LateClassForm(career_day, formdata=None),
        students_form=students_form or LateStudentsForm(career_day, formdata=None),
        query=query, found=allocations.find_students(career_day, query), limit=allocations.SEARCH_LIMIT,
        offers=sorted(career_day.offers, key=lambda o: (o.title.lower(), o.id)),
        draft=draft, against=against, why=why, running=allocations.active_allocation(career_day), on_late_changes_page=True,
        undo_url=lambda change: _undo_url(career_day, change),
    ), status


def _undo_url(career_day: CareerDay, change) -> str | None:
    """Where a pending absence or withdrawal is undone (the same routes that take a published one back)."""
    details = change.details or {}
    if change.kind == late_changes.STUDENT_ABSENT and details.get("student_id"):
        return url_for("coordinator.late_present", career_day_id=career_day.id, student_id=details["student_id"])
    if change.kind == late_changes.OFFER_WITHDRAWN and details.get("offer_id"):
        return url_for("coordinator.late_restore", career_day_id=career_day.id, offer_id=details["offer_id"])
    return None


@bp.route("/career-days/<int:career_day_id>/late-changes")
@coordinator_required
def late_changes_page(career_day_id: int):
    return _render(career_day_or_404(career_day_id))


@bp.route("/career-days/<int:career_day_id>/late-changes/class", methods=["POST"])
@coordinator_required
def late_class(career_day_id: int):
    """Register a class late on behalf of a school the agency works with, with its students."""
    career_day = career_day_or_404(career_day_id)
    form = LateClassForm(career_day)
    if form.validate_on_submit():
        school = db.session.scalar(scope.organisations_in_scope(current_user).where(Organisation.id == form.school.data))
        if school is None:
            abort(404)
        done, school_class = commit_or_show(
            form, lambda: late_changes.register_class(current_user, career_day, school, now=utc_now(), **form.fields()),
            "name")
        if done:
            flash(_("Class %(name)s is registered late; the change is pending until you publish a new version.",
                    name=school_class.name), "success")
            return redirect(url_for("coordinator.late_changes_page", career_day_id=career_day.id))
    return _render(career_day, class_form=form, status=422)


@bp.route("/career-days/<int:career_day_id>/late-changes/students", methods=["POST"])
@coordinator_required
def late_students(career_day_id: int):
    """Add students to a class of the day (its headcount grows with them)."""
    career_day = career_day_or_404(career_day_id)
    form = LateStudentsForm(career_day)
    if form.validate_on_submit():
        school_class = next((c for c in career_day.classes if c.id == form.school_class.data), None)
        if school_class is None:
            abort(404)
        done, added = commit_or_show(
            form, lambda: late_changes.add_students(current_user, school_class, form.name_list(), utc_now()), "names")
        if done:
            flash(_("%(n)d students added to class %(name)s; the change is pending until you publish a new version.",
                    n=len(added), name=school_class.name), "success")
            return redirect(url_for("coordinator.late_changes_page", career_day_id=career_day.id))
    return _render(career_day, students_form=form, status=422)


def _student_or_404(career_day: CareerDay, student_id: int) -> Student:
    student = db.session.get(Student, student_id)
    if student is None or student.school_class.career_day_id != career_day.id:
        abort(404)
    return student


@bp.route("/career-days/<int:career_day_id>/late-changes/students/<int:student_id>/absent", methods=["POST"])
@coordinator_required
def late_absent(career_day_id: int, student_id: int):
    career_day = career_day_or_404(career_day_id)
    student = _student_or_404(career_day, student_id)
    done, _student = commit_or_flash(lambda: late_changes.mark_absent(current_user, student, utc_now()))
    if done:
        flash(_("%(name)s is marked absent; the change is pending until you publish a new version.",
                name=student.display_name), "success")
    return _to_pending(career_day)


@bp.route("/career-days/<int:career_day_id>/late-changes/students/<int:student_id>/wishes", methods=["GET", "POST"])
@coordinator_required
def late_wishes(career_day_id: int, student_id: int):
    """Correct a student's wishes, as the teacher would have entered them."""
    career_day = career_day_or_404(career_day_id)
    student = _student_or_404(career_day, student_id)
    form = wishes_form_for(student)
    if form.validate_on_submit():
        done, _result = commit_or_show(
            form, lambda: late_changes.correct_wishes(current_user, student, offer_ids(form), utc_now()), "offers")
        if done:
            flash(_("The wishes of %(name)s are corrected; the change is pending until you publish a new version.",
                    name=student.display_name), "success")
            return _to_pending(career_day)
    return render_template("coordinator/late_wishes.html", career_day=career_day, student=student, form=form), \
        422 if form.errors or form.form_errors else 200


@bp.route("/career-days/<int:career_day_id>/late-changes/offers/<int:offer_id>/withdraw", methods=["POST"])
@coordinator_required
def late_withdraw(career_day_id: int, offer_id: int):
    """The company withdraws its offer: its slots leave the next plan."""
    career_day = career_day_or_404(career_day_id)
    offer = _offer_or_404(career_day, offer_id)
    done, _offer = commit_or_flash(lambda: late_changes.withdraw_offer(current_user, offer, utc_now()))
    if done:
        flash(_("%(offer)s is withdrawn; the change is pending until you publish a new version.", offer=offer.title),
              "success")
    return _to_pending(career_day)


def _to_pending(career_day: CareerDay):
    """Back to the late-changes page, at the pending list."""
    return redirect(url_for("coordinator.late_changes_page", career_day_id=career_day.id, _anchor="pending-heading"))


def _offer_or_404(career_day: CareerDay, offer_id: int) -> Offer:
    offer = db.session.get(Offer, offer_id)
    if offer is None or offer.career_day_id != career_day.id:
        abort(404)
    return offer


@bp.route("/career-days/<int:career_day_id>/late-changes/students/<int:student_id>/present", methods=["POST"])
@coordinator_required
def late_present(career_day_id: int, student_id: int):
    """Take back a student's absence (undone while pending, else a late change of its own)."""
    career_day = career_day_or_404(career_day_id)
    student = _student_or_404(career_day, student_id)
    done, _student = commit_or_flash(lambda: late_changes.mark_present(current_user, student, utc_now()))
    if done:
        flash(_("%(name)s is no longer marked absent.", name=student.display_name), "success")
    return _to_pending(career_day)


@bp.route("/career-days/<int:career_day_id>/late-changes/offers/<int:offer_id>/restore", methods=["POST"])
@coordinator_required
def late_restore(career_day_id: int, offer_id: int):
    """Take back an offer's withdrawal (undone while pending, else a late change of its own)."""
    career_day = career_day_or_404(career_day_id)
    offer = _offer_or_404(career_day, offer_id)
    done, _offer = commit_or_flash(lambda: late_changes.restore_offer(current_user, offer, utc_now()))
    if done:
        flash(_("%(offer)s is no longer withdrawn.", offer=offer.title), "success")
    return _to_pending(career_day)


@bp.route("/career-days/<int:career_day_id>/late-changes/replan", methods=["POST"])
@coordinator_required
def late_replan(career_day_id: int):
    """Queue the minimal-change re-solve of the published plan; its progress page follows."""
    career_day = career_day_or_404(career_day_id)
    done, draft = commit_or_flash(lambda: late_changes.replan(current_user, career_day, utc_now()))
    if not done:
        return redirect(url_for("coordinator.late_changes_page", career_day_id=career_day.id))
    return redirect(url_for("coordinator.allocation", allocation_id=draft.id))


@bp.route("/career-days/<int:career_day_id>/late-changes/publish", methods=["POST"])
@coordinator_required
def late_publish(career_day_id: int):
    """Publish the re-plan as the next version: the change mails go out, the pending list empties."""
    career_day = career_day_or_404(career_day_id)
    draft = db.session.get(Allocation, parse_id(request.form.get("allocation")) or 0)
    if draft is None or draft.career_day_id != career_day.id:
        abort(404)
    done, publication = commit_or_flash(lambda: late_changes.publish_replan(current_user, draft, utc_now()))
    if not done:
        return redirect(url_for("coordinator.late_changes_page", career_day_id=career_day.id))
    flash(_("Version %(n)d of the plan is published; the schools and companies concerned get a mail with what changes "
            "for them.", n=publication.version), "success")
    return redirect(url_for("coordinator.career_day", career_day_id=career_day.id))
