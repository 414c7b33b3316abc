"""The job process and the mail queue, for coordinators: each job's last run and error, the mails
waiting, sent, failed (with the server's reason; only mails written for the coordinator's agencies are listed) and not sent for want of a mail server."""
from flask import render_template
from flask_login import current_user

from scheduler_app.domain.job_status import job_status
from scheduler_app.domain.scope import agency_ids
from scheduler_app.web.access import coordinator_required
from scheduler_app.web.coordinator import bp


@bp.route("/jobs")
@coordinator_required
def jobs():
    return render_template("coordinator/jobs.html", status=job_status(agency_ids(current_user)))
