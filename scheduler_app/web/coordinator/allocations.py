"""Allocations for the coordinator: start a run (it runs in the job process, never in a request),
watch its progress, review the result, move students by hand, re-solve, publish, download and print.
"""
from __future__ import annotations

import json

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from scheduler_app.domain import allocation as allocations
from scheduler_app.domain import allocation_review, career_days, exports, printing, publication
from scheduler_app.domain.errors import DomainError
from scheduler_app.extensions import db
from scheduler_app.models import Allocation, AllocationState, Assignment, Slot, Student
from scheduler_app.models_base import utc_now
from scheduler_app.web.access import coordinator_required
from scheduler_app.web.actions import commit_or_flash, commit_or_show
from scheduler_app.web.coordinator import bp
from scheduler_app.web.downloads import XLSX, download
from scheduler_app.web.coordinator.career_days import career_day_or_404
from scheduler_app.web.coordinator.forms import MoveForm
from scheduler_app.web.inputs import parse_id

POLL_SECONDS = 2
# The engine's phases (scheduler_app.solver.PHASES) and the run's own (queued, preparing, failed) in
# the user's words; tests/web/test_coordinator_allocations.py fails when an engine phase lacks one.
PHASES = {
    "queued": _l("Waiting for the background process"),
    "preparing": _l("Reading the career day"),
    "validate": _l("Checking the data"),
    "lp": _l("Searching for the best allocation"),
    "flow": _l("Searching for the best allocation"),
    "colouring": _l("Arranging the rounds"),
    "integer": _l("Improving the allocation"),
    "fill": _l("Filling the remaining seats"),
    "improve": _l("Improving the allocation"),
    "done": _l("Finished"),
    "failed": _l("Failed"),
}


def _allocation_or_404(allocation_id: int) -> Allocation:
    allocation = db.session.get(Allocation, allocation_id)
    if allocation is None or not career_days.is_coordinator_of(current_user, allocation.career_day):
        abort(404)
    return allocation


def _done_or_404(allocation_id: int) -> Allocation:
    allocation = _allocation_or_404(allocation_id)
    if allocation.state is not AllocationState.done:
        abort(404)
    return allocation


def phase_label(allocation: Allocation) -> str:
    return str(PHASES.get(allocation.phase or "", _l("Working")))


def _render(allocation: Allocation, move_form: MoveForm | None = None, status: int = 200):
    allocation = allocations.load_allocation(allocation)  # the whole day in a constant number of queries
    review = None
    locked = []
    if allocation.state is AllocationState.done:
        review = allocation_review.review(allocation)
        locked = sorted(allocations.locked_assignments(allocation),
                        key=lambda a: (a.student.display_name, a.slot.round.position))
    usable = allocation.state is AllocationState.done and allocation.solver_status in allocations.USABLE_STATUSES
    if usable and move_form is None and not allocations.is_published(allocation):
        move_form = MoveForm(allocation, formdata=None)
    career_day = allocation.career_day
    published = usable and allocations.is_published(allocation)
    against, changed = publication.changes_against_published(allocation) if usable and not published else (None, [])
    return render_template("coordinator/allocation.html", allocation=allocation, career_day=career_day,
                           review=review, locked=locked, usable=usable, move_form=move_form, published=published,
                           against=against, changed=changed,
                           wishes_open=career_days.is_open(career_day, career_days.Deadline.wishes, utc_now()),
                           phase=phase_label(allocation), poll_seconds=POLL_SECONDS), status


@bp.route("/career-days/<int:career_day_id>/allocations", methods=["POST"])
@coordinator_required
def start_allocation(career_day_id: int):
    """Queue a run and show its progress page; the job process (``flask jobs run``) computes it."""
    career_day = career_day_or_404(career_day_id)
    done, allocation = commit_or_flash(lambda: allocations.start_allocation(current_user, career_day, utc_now()))
    if not done:
        return redirect(url_for("coordinator.career_day", career_day_id=career_day.id))
    return redirect(url_for("coordinator.allocation", allocation_id=allocation.id))


@bp.route("/allocations/<int:allocation_id>")
@coordinator_required
def allocation(allocation_id: int):
    return _render(_allocation_or_404(allocation_id))


@bp.route("/allocations/<int:allocation_id>/progress.json")
@coordinator_required
def allocation_progress(allocation_id: int):
    """What ``static/allocation.js`` polls while a run is queued or running."""
    allocation = _allocation_or_404(allocation_id)
    state_label = _("waiting to start") if allocation.state is AllocationState.queued else _("being computed")
    return jsonify(state=allocation.state.value, state_label=state_label, phase=allocation.phase, phase_label=phase_label(allocation),
                   progress=round(allocation.progress, 3), finished=allocation.state not in allocations.ACTIVE_STATES)


@bp.route("/allocations/<int:allocation_id>/move", methods=["POST"])
@coordinator_required
def move_student(allocation_id: int):
    """Put a student into a slot by hand; the new assignment is locked (a re-solve keeps it)."""
    allocation = _done_or_404(allocation_id)
    form = MoveForm(allocation)
    if form.validate_on_submit():
        student, slot = db.session.get(Student, form.student.data), db.session.get(Slot, form.slot.data)
        done, _moved = commit_or_show(form, lambda: allocations.move_student(current_user, allocation, student, slot,
                                                                             utc_now()), "slot")
        if done:
            flash(_("%(student)s now attends %(offer)s in round %(round)d; this assignment is fixed.",
                    student=student.display_name, offer=slot.offer.title, round=slot.round.position), "success")
            if request.form.get("back") == "student":
                return redirect(url_for("coordinator.allocation_student", allocation_id=allocation.id, student_id=student.id))
            return redirect(url_for("coordinator.allocation", allocation_id=allocation.id, _anchor="move-heading"))
        if request.form.get("back") == "student" and student is not None:
            for message in [*form.student.errors, *form.slot.errors]:
                flash(message, "error")
            return redirect(url_for("coordinator.allocation_student", allocation_id=allocation.id, student_id=student.id))
    return _render(allocation, form, 422)


@bp.route("/allocations/<int:allocation_id>/students")
@coordinator_required
def allocation_students(allocation_id: int):
    """Find the student to move by name or class."""
    allocation = _done_or_404(allocation_id)
    query = (request.args.get("q") or "").strip()[:60]
    found = allocations.find_students(allocation.career_day, query)
    return render_template("coordinator/allocation_students.html", allocation=allocation, career_day=allocation.career_day,
                           query=query, found=found, limit=allocations.SEARCH_LIMIT)


@bp.route("/allocations/<int:allocation_id>/students/<int:student_id>")
@coordinator_required
def allocation_student(allocation_id: int, student_id: int):
    """A student's programme per round with each slot's free seats; a move is one button."""
    allocation = allocations.load_allocation(_done_or_404(allocation_id))
    student = db.session.get(Student, student_id)
    if student is None or student.school_class.career_day_id != allocation.career_day_id:
        abort(404)
    usable = allocation.solver_status in allocations.USABLE_STATUSES and not allocations.is_published(allocation)
    return render_template("coordinator/allocation_student.html", allocation=allocation, career_day=allocation.career_day,
                           student=student, rounds=allocations.student_programme(allocation, student), movable=usable)


@bp.route("/allocations/<int:allocation_id>/assignments/<int:assignment_id>/unlock", methods=["POST"])
@coordinator_required
def unlock_assignment(allocation_id: int, assignment_id: int):
    allocation = _done_or_404(allocation_id)
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or assignment.allocation_id != allocation.id:
        abort(404)
    done, _unlocked = commit_or_flash(lambda: allocations.unlock(current_user, assignment, utc_now()))
    if done:
        flash(_("%(student)s is no longer fixed to %(offer)s; a re-solve may change it.",
                student=assignment.student.display_name, offer=assignment.slot.offer.title), "success")
    return redirect(url_for("coordinator.allocation", allocation_id=allocation.id, _anchor="locked-heading"))


@bp.route("/allocations/<int:allocation_id>/resolve", methods=["POST"])
@coordinator_required
def resolve_allocation(allocation_id: int):
    """Queue a new run that keeps the fixed assignments and changes as little as it can."""
    allocation = _allocation_or_404(allocation_id)
    done, new = commit_or_flash(lambda: allocations.resolve_with_minimal_changes(current_user, allocation, utc_now()))
    return redirect(url_for("coordinator.allocation", allocation_id=new.id if done else allocation.id))


@bp.route("/allocations/<int:allocation_id>/publish", methods=["POST"])
@coordinator_required
def publish_allocation(allocation_id: int):
    """Publish as the day's next version; before the wishes deadline only with ``close_early`` ticked."""
    allocation = _allocation_or_404(allocation_id)
    close_early = request.form.get("close_early") == "1"
    done, publication = commit_or_flash(
        lambda: allocations.publish(current_user, allocation, utc_now(), close_early=close_early))
    if not done:
        return redirect(url_for("coordinator.allocation", allocation_id=allocation.id, _anchor="finish-heading"))
    flash(_("Version %(n)d of the plan is published: schools and companies now see route sheets, class lists and "
            "door lists. Booking, registration and wishes are closed.", n=publication.version), "success")
    return redirect(url_for("coordinator.career_day", career_day_id=allocation.career_day_id))


# ---------------------------------------------------------------------------------------------
# downloads


def _json(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


@bp.route("/allocations/<int:allocation_id>/instance.json")
@coordinator_required
def allocation_instance(allocation_id: int):
    """The allocation-instance/1 the run answers (its fixed assignments as they are now)."""
    allocation = allocations.load_allocation(_allocation_or_404(allocation_id))  # constant queries
    return download(_json(exports.instance_for(allocation)), "application/json",
                     f"allocation-{allocation.id}-instance.json")


@bp.route("/allocations/<int:allocation_id>/result.json")
@coordinator_required
def allocation_result(allocation_id: int):
    allocation = allocations.load_allocation(_done_or_404(allocation_id))  # constant queries
    result = exports.result_for(allocation, exports.instance_for(allocation))
    return download(_json(result), "application/json", f"allocation-{allocation.id}-result.json")


@bp.route("/allocations/<int:allocation_id>/assignments.csv")
@coordinator_required
def allocation_csv(allocation_id: int):
    allocation = _done_or_404(allocation_id)
    return download(exports.assignments_csv(allocation, _), "text/csv; charset=utf-8",
                     f"allocation-{allocation.id}-assignments.csv")


@bp.route("/allocations/<int:allocation_id>/assignments.xlsx")
@coordinator_required
def allocation_xlsx(allocation_id: int):
    allocation = _done_or_404(allocation_id)
    return download(exports.assignments_xlsx(allocation, _), XLSX, f"allocation-{allocation.id}-assignments.xlsx")


# ---------------------------------------------------------------------------------------------
# print pages (after publication)


def _print_page(career_day_id: int, template: str, build, name: str):
    """A print page of the published allocation; before publication, back to the day with the reason."""
    career_day = career_day_or_404(career_day_id)
    version = parse_id(request.args.get("version"))  # an earlier version; absent: the current one
    try:
        data = build(career_day, version=version)
    except DomainError as error:
        flash(_(error.message, **error.params), "error")
        return redirect(url_for("coordinator.career_day", career_day_id=career_day.id))
    return render_template(template, career_day=career_day, back_url=url_for("coordinator.career_day", career_day_id=career_day.id),
                           **{name: data})


@bp.route("/career-days/<int:career_day_id>/print/route-sheets")
@coordinator_required
def print_route_sheets(career_day_id: int):
    """Every student's route sheet, several per A4 page."""
    return _print_page(career_day_id, "print/route_sheets.html", printing.route_sheets, "sheets")


@bp.route("/career-days/<int:career_day_id>/print/door-lists")
@coordinator_required
def print_door_lists(career_day_id: int):
    """Every slot's door list, one per page."""
    return _print_page(career_day_id, "print/door_lists.html", printing.door_lists, "door_lists")
