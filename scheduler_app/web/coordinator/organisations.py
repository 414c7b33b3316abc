"""Schools and companies: register them, invite their contacts, withdraw pending invitations."""
from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from scheduler_app.domain import invitations, organisations
from scheduler_app.domain.scope import works_with
from scheduler_app.extensions import db
from scheduler_app.models import Invitation, Organisation, OrganisationKind
from scheduler_app.models_base import utc_now
from scheduler_app.web.access import coordinator_required
from scheduler_app.web.actions import commit_or_flash, commit_or_show
from scheduler_app.web.coordinator import bp
from scheduler_app.web.coordinator.forms import InvitationForm, OrganisationForm

KIND_LABELS = {
    OrganisationKind.school: _l("Schools"),
    OrganisationKind.company: _l("Companies"),
    OrganisationKind.agency: _l("Coordinating agencies"),
    OrganisationKind.chamber: _l("Chambers and guilds"),
    OrganisationKind.training_provider: _l("Training providers"),
}


def _organisation_or_404(organisation_id: int) -> Organisation:
    """The organisation, if the signed-in coordinator's agencies work with it; 404 otherwise."""
    organisation = db.session.get(Organisation, organisation_id)
    if not works_with(current_user, organisation):
        abort(404)
    return organisation


@bp.route("/organisations", endpoint="organisations")
@coordinator_required
def organisations_list():
    grouped = organisations.organisations_by_kind(current_user, utc_now())
    return render_template("coordinator/organisations.html", grouped=grouped, kind_labels=KIND_LABELS)


@bp.route("/organisations/new", methods=["GET", "POST"])
@coordinator_required
def organisation_new():
    form = OrganisationForm()
    if form.validate_on_submit():
        done, organisation = commit_or_show(form, lambda: organisations.create_organisation(
            current_user, OrganisationKind(form.kind.data), form.name.data, form.city.data, utc_now()), "name")
        if done:
            flash(_("“%(name)s” has been registered.", name=organisation.name), "success")
            return redirect(url_for("coordinator.organisation", organisation_id=organisation.id))
    return render_template("coordinator/organisations_new.html", form=form), 422 if form.errors else 200


def _render_organisation(organisation: Organisation, form: InvitationForm):
    return render_template("coordinator/organisations_detail.html", listing=organisations.listing(organisation, utc_now()),
                           form=form, may_invite=organisation.kind in invitations.INVITABLE_KINDS)


@bp.route("/organisations/<int:organisation_id>")
@coordinator_required
def organisation(organisation_id: int):
    return _render_organisation(_organisation_or_404(organisation_id), InvitationForm())


@bp.route("/organisations/<int:organisation_id>/invitations", methods=["POST"])
@coordinator_required
def invitation_create(organisation_id: int):
    """Invite a contact. The answer shows the link once (for passing it on by phone); it is stored nowhere."""
    organisation = _organisation_or_404(organisation_id)
    if organisation.kind not in invitations.INVITABLE_KINDS:
        abort(404)
    form = InvitationForm()
    if form.validate_on_submit():
        done, invited = commit_or_show(form, lambda: invitations.invite(
            current_user, organisation, form.email.data, form.name.data, utc_now(),
            current_app.config["INVITATION_TTL"], current_app.config["PUBLIC_BASE_URL"]), "email")
        if done:
            invitation, token = invited
            link = invitations.invitation_link(current_app.config["PUBLIC_BASE_URL"], token)
            return render_template("coordinator/invitations_sent.html", invitation=invitation, link=link)
    return _render_organisation(organisation, form), 422


@bp.route("/invitations/<int:invitation_id>/revoke", methods=["POST"])
@coordinator_required
def invitation_revoke(invitation_id: int):
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or not works_with(current_user, invitation.organisation):
        abort(404)
    done, _result = commit_or_flash(lambda: invitations.revoke(current_user, invitation, utc_now()))
    if done:
        flash(_("The invitation for %(email)s has been withdrawn; its link no longer works.", email=invitation.email),
              "success")
    return redirect(url_for("coordinator.organisation", organisation_id=invitation.organisation_id))
