"""What the job process did, for ``flask jobs status`` and the coordinator's page: each job's last run,
the mail queue by state (failed mails with their reasons) and the due items that failed."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, true

from scheduler_app.extensions import db
from scheduler_app.models import DueItem, JobRun, MailState, OutgoingMail

LISTED = 200


@dataclass(frozen=True)
class JobStatus:
    jobs: list[JobRun]
    mail_counts: dict[str, int]
    failed_mails: list[OutgoingMail]
    retrying_mails: list[OutgoingMail]
    items_done: int
    failed_items: list[DueItem]
    recent_items: list[DueItem]


def job_status(agencies: set[int] | None = None) -> JobStatus:
    """Everything for ``flask jobs status`` (``agencies`` None); on a coordinator's page the failed and
    retried mails are only those written on behalf of the coordinator's ``agencies`` (the counts are
    the whole queue's: they name no one)."""
    listed = OutgoingMail.agency_id.in_(agencies) if agencies is not None else true()
    counts = {state.value: count for state, count in
              db.session.execute(select(OutgoingMail.state, func.count()).group_by(OutgoingMail.state)).all()}
    return JobStatus(
        jobs=list(db.session.scalars(select(JobRun).order_by(JobRun.name))),
        mail_counts=counts,
        failed_mails=list(db.session.scalars(select(OutgoingMail).where(OutgoingMail.state == MailState.failed, listed)
                                             .order_by(OutgoingMail.id.desc()).limit(LISTED))),
        retrying_mails=list(db.session.scalars(select(OutgoingMail).where(OutgoingMail.state == MailState.waiting,
                                                                          OutgoingMail.attempts > 0, listed)
                                               .order_by(OutgoingMail.id).limit(LISTED))),
        items_done=db.session.scalar(select(func.count()).select_from(DueItem).where(DueItem.failed.is_(False))),
        failed_items=list(db.session.scalars(select(DueItem).where(DueItem.failed.is_(True)).order_by(DueItem.id.desc())
                                             .limit(LISTED))),
        recent_items=list(db.session.scalars(select(DueItem).order_by(DueItem.id.desc()).limit(50))),
    )
