"""Programmes: create one, see everything it holds."""
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from scheduler_app.domain import programmes
from scheduler_app.domain.dashboards import programme_events
from scheduler_app.extensions import db
from scheduler_app.models import FeedKind, Programme
from scheduler_app.models_base import utc_now
from scheduler_app.web.access import coordinator_required
from scheduler_app.web.actions import commit_or_show
from scheduler_app.web.coordinator import bp
from scheduler_app.web.coordinator.forms import ProgrammeForm
from scheduler_app.web.feeds import links_for


@bp.route("/programmes/new", methods=["GET", "POST"])
@coordinator_required
def new_programme():
    agencies = programmes.agencies_of(current_user)
    if not agencies:
        abort(403)
    form = ProgrammeForm()
    if len(agencies) == 1:
        del form.agency  # the usual case: nothing to choose
    else:
        form.agency.choices = [SelectChoice(agency.id, agency.name) for agency in agencies]
    if form.validate_on_submit():
        agency = next(agency for agency in agencies if len(agencies) == 1 or agency.id == form.agency.data)
        done, programme = commit_or_show(form, lambda: programmes.create_programme(
            current_user, agency, form.name.data, form.description.data, utc_now()), "name")
        if done:
            flash(_("Programme “%(name)s” created.", name=programme.name), "success")
            return redirect(url_for("coordinator.programme", programme_id=programme.id))
    return render_template("coordinator/programme_form.html", form=form)


@bp.route("/programmes/<int:programme_id>")
@coordinator_required
def programme(programme_id: int):
    programme = db.session.get(Programme, programme_id)
    if programme is None or not programmes.may_manage(current_user, programme):
        abort(404)
    career_days, employer_events, meetings = programme_events(programme)
    return render_template("coordinator/programme.html", programme=programme, career_days=career_days,
                           employer_events=employer_events, meetings=meetings,
                           calendar=links_for(FeedKind.programme, programme.id, programme.name))
