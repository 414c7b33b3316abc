"""Alliances for the coordinator: create one, add members (found or registered on the way) and their
delegates, import them from a list, pass a delegate's personal link on, and see attendance over time.
Only the coordinating agency's coordinators reach an alliance; for anyone else its ids answer 404."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from scheduler_app.domain import alliances, meetings, programmes, rosters
from scheduler_app.domain.delegate_links import link_url
from scheduler_app.domain.scope import works_with
from scheduler_app.extensions import db
from scheduler_app.models import Alliance, AllianceDelegate, AllianceMember, OrganisationKind
from scheduler_app.models_base import utc_now
from scheduler_app.web.access import coordinator_required
from scheduler_app.web.actions import commit_or_flash, commit_or_show
from scheduler_app.web.coordinator import bp
from scheduler_app.web.coordinator.forms import (
    KIND_NAMES,
    NEW_ORGANISATION,
    AllianceForm,
    DelegateForm,
    MemberForm,
    MemberListForm,
)


def alliance_or_404(alliance_id: int) -> Alliance:
    """The alliance, if the signed-in coordinator's agency coordinates it; 404 otherwise."""
    alliance = db.session.get(Alliance, alliance_id)
    if not alliances.may_manage(current_user, alliance):
        abort(404)
    return alliance


def _member_or_404(member_id: int) -> AllianceMember:
    member = db.session.get(AllianceMember, member_id)
    if member is None or not alliances.may_manage(current_user, member.alliance):
        abort(404)
    return member


def _delegate_or_404(delegate_id: int) -> AllianceDelegate:
    delegate = db.session.get(AllianceDelegate, delegate_id)
    if delegate is None or not alliances.may_manage(current_user, delegate.member.alliance):
        abort(404)
    return delegate


@bp.route("/alliances", endpoint="alliances")
@coordinator_required
def alliances_list():
    shown = alliances.alliances_of(current_user)
    return render_template("coordinator/alliances.html", alliances=shown,
                           meeting_counts=meetings.count_meetings([alliance.id for alliance in shown]))


@bp.route("/alliances/new", methods=["GET", "POST"])
@coordinator_required
def new_alliance():
    agencies = programmes.agencies_of(current_user)
    if not agencies:
        abort(403)
    form = AllianceForm()
    if len(agencies) == 1:
        del form.agency
    else:
        form.agency.choices = [SelectChoice(agency.id, agency.name) for agency in agencies]
    if form.validate_on_submit():
        agency = agencies[0] if len(agencies) == 1 else next((a for a in agencies if a.id == form.agency.data), None)
        if agency is None:
            abort(404)
        done, alliance = commit_or_show(form, lambda: alliances.create_alliance(
            current_user, agency, form.name.data, form.region.data, form.federal_state.data, utc_now()), "name")
        if done:
            flash(_("The alliance “%(name)s” has been created. Next, add its members.", name=alliance.name), "success")
            return redirect(url_for("coordinator.alliance", alliance_id=alliance.id))
    return render_template("coordinator/alliance_form.html", form=form), 422 if form.errors else 200


def render_alliance(alliance: Alliance, member_form: MemberForm | None = None, delegate_forms: dict | None = None):
    """The alliance page; a form that failed is passed in to show its errors next to its fields."""
    now = utc_now()
    coming, past = meetings.meetings_by_time(alliance, now)
    held = list(reversed(past))[-6:]  # the last six held meetings, oldest first
    delegate_forms = delegate_forms or {}
    for member in alliance.members:
        delegate_forms.setdefault(member.id, DelegateForm(prefix=f"member-{member.id}", formdata=None))
    members = sorted(alliance.members, key=lambda m: (not m.required, m.organisation.name.casefold()))
    return render_template(
        "coordinator/alliance.html", alliance=alliance, members=members, coming=coming, past=past, held=held,
        attendance=alliances.attendance(alliance, held), member_form=member_form or MemberForm(alliance, formdata=None),
        delegate_forms=delegate_forms, kind_names=KIND_NAMES, states={m.id: meetings.state_of(m, now) for m in coming + past},
        reachable={m.organisation_id for m in alliance.members if works_with(current_user, m.organisation)},
        federal_state=alliances.FEDERAL_STATES.get(alliance.federal_state or ""),
    ), 422 if (member_form and member_form.errors) or any(f.errors for f in delegate_forms.values()) else 200


@bp.route("/alliances/<int:alliance_id>")
@coordinator_required
def alliance(alliance_id: int):
    return render_alliance(alliance_or_404(alliance_id))


@bp.route("/alliances/<int:alliance_id>/members", methods=["POST"])
@coordinator_required
def add_member(alliance_id: int):
    alliance = alliance_or_404(alliance_id)
    form = MemberForm(alliance)
    if form.validate_on_submit():
        chosen = next((o for o in form.choosable if o.id == form.organisation.data), None)
        if form.organisation.data != NEW_ORGANISATION and chosen is None:
            abort(404)
        done, member = commit_or_show(form, lambda: alliances.add_member(
            current_user, alliance, utc_now(), organisation=chosen, kind=OrganisationKind(form.kind.data),
            name=form.name.data, city=form.city.data, required=form.required.data), "name")
        if done:
            flash(_("“%(name)s” is now a member. Add its delegates.", name=member.organisation.name), "success")
            return redirect(url_for("coordinator.alliance", alliance_id=alliance.id, _anchor=f"member-{member.id}"))
    return render_alliance(alliance, member_form=form)


@bp.route("/members/<int:member_id>/required", methods=["POST"])
@coordinator_required
def member_required(member_id: int):
    member = _member_or_404(member_id)
    required = request.form.get("required") == "1"
    done, _result = commit_or_flash(lambda: alliances.set_required(current_user, member, required, utc_now()))
    if done:
        message = _("“%(name)s” is now a required member.") if required else _("“%(name)s” is no longer a required member.")
        flash(message % {"name": member.organisation.name}, "success")
    return redirect(url_for("coordinator.alliance", alliance_id=member.alliance_id, _anchor=f"member-{member.id}"))


@bp.route("/members/<int:member_id>/remove", methods=["POST"])
@coordinator_required
def remove_member(member_id: int):
    member = _member_or_404(member_id)
    alliance_id, name = member.alliance_id, member.organisation.name
    done, _result = commit_or_flash(lambda: alliances.remove_member(current_user, member, utc_now()))
    if done:
        flash(_("“%(name)s” is no longer a member; its delegates' links no longer work.", name=name), "success")
    return redirect(url_for("coordinator.alliance", alliance_id=alliance_id))


@bp.route("/members/<int:member_id>/delegates", methods=["POST"])
@coordinator_required
def add_delegate(member_id: int):
    member = _member_or_404(member_id)
    form = DelegateForm(prefix=f"member-{member.id}")
    if form.validate_on_submit():
        done, delegate = commit_or_show(form, lambda: alliances.add_delegate(
            current_user, member, form.name.data, form.email.data, form.function.data, utc_now(),
            current_app.config["PUBLIC_BASE_URL"]), "email")
        if done:
            flash(_("%(name)s has been added as a delegate of “%(organisation)s”.", name=delegate.name,
                    organisation=member.organisation.name), "success")
            return redirect(url_for("coordinator.alliance", alliance_id=member.alliance_id, _anchor=f"member-{member.id}"))
    return render_alliance(member.alliance, delegate_forms={member.id: form})


@bp.route("/delegates/<int:delegate_id>/remove", methods=["POST"])
@coordinator_required
def remove_delegate(delegate_id: int):
    delegate = _delegate_or_404(delegate_id)
    alliance_id, name = delegate.member.alliance_id, delegate.name
    done, _result = commit_or_flash(lambda: alliances.remove_delegate(current_user, delegate, utc_now()))
    if done:
        flash(_("%(name)s is no longer a delegate; their links no longer work.", name=name), "success")
    return redirect(url_for("coordinator.alliance", alliance_id=alliance_id))


@bp.route("/delegates/<int:delegate_id>/link", methods=["POST"])
@coordinator_required
def delegate_link(delegate_id: int):
    """A new personal link for the delegate, shown once (to pass on by phone); it is stored nowhere."""
    delegate = _delegate_or_404(delegate_id)
    done, token = commit_or_flash(lambda: alliances.show_link(current_user, delegate, utc_now()))
    if not done:
        return redirect(url_for("coordinator.alliance", alliance_id=delegate.member.alliance_id))
    return render_template("coordinator/delegate_link.html", delegate=delegate,
                           link=link_url(current_app.config["PUBLIC_BASE_URL"], token))


@bp.route("/delegates/<int:delegate_id>/withdraw-links", methods=["POST"])
@coordinator_required
def withdraw_delegate_links(delegate_id: int):
    delegate = _delegate_or_404(delegate_id)
    done, count = commit_or_flash(lambda: alliances.withdraw_links(current_user, delegate, utc_now()))
    if done:
        flash(_("%(n)d links of %(name)s have been withdrawn. The next mail brings a new one.", n=count, name=delegate.name),
              "success")
    return redirect(url_for("coordinator.alliance", alliance_id=delegate.member.alliance_id, _anchor=f"member-{delegate.member_id}"))


@bp.route("/alliances/<int:alliance_id>/import", methods=["GET", "POST"])
@coordinator_required
def import_members(alliance_id: int):
    """Upload a member list: every bad row is shown at once and nothing is imported."""
    alliance = alliance_or_404(alliance_id)
    form = MemberListForm()
    problems = []
    if form.validate_on_submit():
        upload = form.file.data

        def import_list():
            rows = alliances.read_member_list(upload.filename or "", upload.read(rosters.MAX_FILE_BYTES + 1))
            return alliances.import_members(current_user, alliance, rows, utc_now(), current_app.config["PUBLIC_BASE_URL"])

        done, result = commit_or_show(form, import_list, "file")
        if not done:  # a file with bad rows: each of them, besides the message
            problems = [(p.row, _(p.message, **p.params)) for p in getattr(result, "problems", [])]
        else:
            flash(_("%(members)d members and %(delegates)d delegates have been added.", members=result.members,
                    delegates=result.delegates), "success")
            return redirect(url_for("coordinator.alliance", alliance_id=alliance.id))
    return render_template("coordinator/alliance_import.html", alliance=alliance, form=form, problems=problems), \
        422 if form.errors else 200
