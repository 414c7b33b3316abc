"""Command-line boundary: each command is one transaction, committed once at the end."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from scheduler_app.domain import accounts
from scheduler_app.domain.errors import DomainError
from scheduler_app.extensions import db
from scheduler_app.models_base import utc_now

users = AppGroup("users", help="Manage user accounts.")


def _stdin_is_terminal() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


@users.command("create-coordinator")
@click.option("--email", help="The coordinator's e-mail address (asked for at a terminal).")
@click.option("--name", help="The coordinator's name (asked for at a terminal).")
@click.option("--agency", default="Koordinierungsstelle", show_default=True, help="Name of the coordinating agency.")
@click.option("--password", envvar="COORDINATOR_PASSWORD",
              help="The password (or the environment variable COORDINATOR_PASSWORD; asked for at a terminal).")
def create_coordinator(email: str | None, name: str | None, agency: str, password: str | None) -> None:
    """Create a coordinator who signs in with e-mail and password.

    At a terminal, what is missing is asked for. Without one (a deployment script, ``docker exec``
    without ``-t``) nothing can be asked: the command names the options it needs and stops."""
    missing = [option for option, value in (("--email", email), ("--name", name), ("--password", password))
               if not value]
    if missing and not _stdin_is_terminal():
        raise click.UsageError(f"No terminal to ask on: please give {', '.join(missing)} "
                               "(the password may come from the environment variable COORDINATOR_PASSWORD).")
    email = email or click.prompt("E-mail")
    name = name or click.prompt("Name")
    password = password or click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = accounts.create_coordinator(email, name, password, agency, utc_now())
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Coordinator {user.email} created.")




i18n = AppGroup("i18n", help="Maintain the translation catalogues.")


@i18n.command("update")
def update_translations() -> None:
    """Extract user-visible strings and merge them into the German catalogue; list untranslated ones."""
    from scheduler_app.i18n_catalog import update_catalogue

    total, missing = update_catalogue("de")
    click.echo(f"{total} strings, {len(missing)} without German translation.")
    for msgid in missing:
        click.echo(f"  {msgid}")


@i18n.command("fill")
@click.argument("translations", type=click.File("r", encoding="utf-8"))
def fill_translations(translations) -> None:
    """Set German translations from a JSON object {msgid: German text}, then compile."""
    import json

    from scheduler_app.i18n_catalog import fill_catalogue

    filled, missing = fill_catalogue("de", json.load(translations))
    click.echo(f"{filled} translations set, {len(missing)} still missing.")
    for msgid in missing:
        click.echo(f"  {msgid}")


careerday = AppGroup("careerday", help="Allocate, export and publish career days.")


def _career_day_or_fail(day_id: int):
    from scheduler_app.models import CareerDay

    career_day = db.session.get(CareerDay, day_id)
    if career_day is None:
        raise click.ClickException(f"No career day with id {day_id}.")
    return career_day


@careerday.command("list")
def list_career_days() -> None:
    """List career days: id, date, name, classes, students, allocation status."""
    from sqlalchemy import select

    from scheduler_app.domain.allocation import career_day_status
    from scheduler_app.models import CareerDay

    days = db.session.scalars(select(CareerDay).order_by(CareerDay.date, CareerDay.id)).all()
    if not days:
        click.echo("No career days.")
    for day in days:
        students = sum(len(c.students) for c in day.classes)
        click.echo(f"{day.id:>4}  {day.date:%Y-%m-%d}  {day.name}  classes={len(day.classes)}  students={students}  "
                   f"status={career_day_status(day)}")


@careerday.command("allocate")
@click.argument("day", type=int)
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), default=None, help="Seconds the engine may search.")
def allocate_career_day(day: int, time_limit: float | None) -> None:
    """Run the allocation engine for DAY (an id) now, in this process, and print the result."""
    from scheduler_app.allocation_runs import run_allocation
    from scheduler_app.domain.allocation import start_allocation
    from scheduler_app.domain.allocation_review import review

    try:
        allocation = start_allocation(None, _career_day_or_fail(day), utc_now())
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Allocation {allocation.id} started.")
    allocation = run_allocation(allocation.id, utc_now, time_limit_s=time_limit)  # commits its result itself
    if allocation is None:
        raise click.ClickException("Another process claimed this allocation first.")
    click.echo(f"Allocation {allocation.id}: {allocation.state.value}, status {allocation.solver_status}, "
               f"objective {allocation.objective}, bound {allocation.bound}")
    if allocation.error:
        raise click.ClickException(allocation.error)
    summary = review(allocation)
    for bar in summary.histogram:
        label = f"rank {bar.rank}" if bar.rank is not None else "unranked"
        click.echo(f"  {label:>9}: {bar.count}")
    click.echo(f"  students fully served: {summary.fully_served} of {summary.students}")
    for problem in summary.problems:
        click.echo(f"  problem: {problem.get('message')}")
    if allocation.solver_status not in ("optimal", "feasible"):
        raise click.exceptions.Exit(1)


@careerday.command("export")
@click.argument("day", type=int)
@click.option("-o", "--output", "directory", required=True, type=click.Path(file_okay=False), help="Directory to write to.")
def export_career_day(day: int, directory: str) -> None:
    """Write instance.json and the latest result.json (allocation-format/1) plus the assignments as CSV/XLSX."""
    from flask import current_app
    from flask_babel import force_locale, gettext

    from scheduler_app.domain.exports import export_files

    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        paths = export_files(_career_day_or_fail(day), directory, translate=gettext)
    for path in paths:
        click.echo(str(path))


@careerday.command("publish")
@click.argument("day", type=int)
@click.option("--allocation", "allocation_id", type=int, default=None, help="Allocation id (default: the latest finished one).")
@click.option("--close-early", is_flag=True, help="Publish before the wishes deadline, closing wishes early.")
def publish_career_day(day: int, allocation_id: int | None, close_early: bool) -> None:
    """Publish an allocation of DAY as the next version: route sheets, door lists and class lists
    become available, booking, registration and wishes close."""
    from scheduler_app.domain.allocation import latest_done_allocation, publish
    from scheduler_app.models import Allocation

    career_day = _career_day_or_fail(day)
    allocation = db.session.get(Allocation, allocation_id) if allocation_id else latest_done_allocation(career_day)
    if allocation is None or allocation.career_day_id != career_day.id:
        raise click.ClickException("No finished allocation of this career day.")
    try:
        publication = publish(None, allocation, utc_now(), close_early=close_early)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Allocation {allocation.id} of {career_day.name} published as version {publication.version}.")


meetings_group = AppGroup("meetings", help="Alliance meetings: list them, show the date the rule picks.")


@meetings_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of {id, alliance, title, state, date}.")
def list_meetings(as_json: bool) -> None:
    """List alliance meetings: id, alliance, title, state (draft, polling, date_fixed, held) and the date."""
    import json

    from scheduler_app.domain import meetings

    now = utc_now()
    rows = [{"id": meeting.id, "alliance": meeting.alliance.name, "title": meeting.title,
             "state": meetings.state_of(meeting, now).value,
             "date": meeting.chosen_candidate.starts_at.isoformat() if meeting.chosen_candidate else None}
            for meeting in meetings.all_meetings()]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("No alliance meetings.")
    for row in rows:
        click.echo(f"{row['id']:>4}  {row['alliance']}  {row['title']}  {row['state']}  {row['date'] or '-'}")


@meetings_group.command("decide")
@click.argument("meeting_id", metavar="ID", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print {chosen, ranking: [...]} as JSON.")
def decide_meeting(meeting_id: int, as_json: bool) -> None:
    """Print the ranking of ID's candidate dates by the rule, with each date's figures, and the date
    the rule picks; exits with 1 when no date can be chosen. Only reports: it fixes nothing."""
    import json

    from scheduler_app.domain import meetings
    from scheduler_app.domain.date_rule import RULE_STEPS
    from scheduler_app.models import AllianceMeeting

    meeting = db.session.get(AllianceMeeting, meeting_id)
    if meeting is None:
        raise click.ClickException(f"No alliance meeting with id {meeting_id}.")
    ranking = meetings.ranking(meeting)
    if as_json:
        click.echo(json.dumps(ranking.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(f"{meeting.title} ({meeting.alliance.name})")
        click.echo("Rule: " + " ".join(RULE_STEPS))
        click.echo(f"{'rank':>4}  {'candidate':>9}  {'starts_at':<19}  required  available  yes  if_need_be  no  clash  blocking")
        for rank, date in enumerate(ranking.dates, 1):
            click.echo(f"{rank:>4}  {date.candidate:>9}  {date.starts_at.isoformat():<19}  {'yes' if date.all_required else 'no':<8}  "
                       f"{date.available:>9}  {date.yes:>3}  {date.if_need_be:>10}  {date.no:>2}  {'yes' if date.clash else 'no':<5}  "
                       f"{', '.join(date.blocking) or '-'}")
        chosen = ranking.chosen
        click.echo(f"chosen: candidate {chosen.candidate} ({chosen.starts_at.isoformat()})" if chosen else
                   "chosen: none - no date suits every required member")
    if ranking.chosen is None:
        raise click.exceptions.Exit(1)


events_group = AppGroup("events", help="Employer events: list them, show their registrations.")


@events_group.command("list")
@click.option("--json", "as_json", is_flag=True,
              help="Print a JSON list of {id, title, company, starts_at, capacity, confirmed, waiting, state, url}.")
def list_events(as_json: bool) -> None:
    """One line per employer event: id, title, company, start, capacity, confirmed places, waiting
    places, state (draft, published, past, cancelled) and the public URL (from PUBLIC_BASE_URL)."""
    import json

    from flask import current_app

    from scheduler_app.domain import employer_events

    now, base_url = utc_now(), current_app.config["PUBLIC_BASE_URL"]
    rows = [employer_events.summary(event, now, base_url) for event in employer_events.all_events()]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("No employer events.")
    for row in rows:
        click.echo(f"{row['id']:>4}  {row['title']}  {row['company']}  {row['starts_at']}  capacity {row['capacity']}  "
                   f"confirmed {row['confirmed']}  waiting {row['waiting']}  {row['state']}  {row['url']}")


@events_group.command("show")
@click.argument("event_id", metavar="ID", type=int)
@click.option("--json", "as_json", is_flag=True,
              help="Print {event: {...as in list}, confirmed: [{id, name, organisation, places, attended}], "
                   "waitlist: [{position, id, name, organisation, places}]}.")
def show_event(event_id: int, as_json: bool) -> None:
    """The registrations of ID: the confirmed ones with their places, then the waitlist in order."""
    import json

    from flask import current_app

    from scheduler_app.domain import employer_events
    from scheduler_app.models import EmployerEvent

    event = db.session.get(EmployerEvent, event_id)
    if event is None:
        raise click.ClickException(f"No employer event with id {event_id}.")

    def organisation(registration) -> str | None:
        return registration.organisation_name or (registration.organisation.name if registration.organisation else None)

    data = {
        "event": employer_events.summary(event, utc_now(), current_app.config["PUBLIC_BASE_URL"]),
        "confirmed": [{"id": r.id, "name": r.name, "organisation": organisation(r), "places": r.places, "attended": r.attended}
                      for r in sorted(employer_events.confirmed(event), key=lambda r: r.id)],
        "waitlist": [{"position": r.waitlist_position, "id": r.id, "name": r.name, "organisation": organisation(r),
                      "places": r.places} for r in employer_events.waitlist(event)],
    }
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    summary = data["event"]
    click.echo(f"{summary['id']}  {summary['title']}  {summary['company']}  {summary['starts_at']}  {summary['state']}  "
               f"{summary['url']}")
    click.echo(f"Confirmed: {summary['confirmed']} of {summary['capacity']} places")
    for row in data["confirmed"]:
        click.echo(f"  {row['id']:>5}  {row['places']:>3}  {row['name']}  {row['organisation'] or '-'}")
    click.echo(f"Waitlist: {summary['waiting']} places")
    for row in data["waitlist"]:
        click.echo(f"  {row['position']:>3}.  {row['id']:>5}  {row['places']:>3}  {row['name']}  {row['organisation'] or '-'}")


jobs = AppGroup("jobs", help="The background job process.")


def _parse_now(value: str | None):
    """``--now``: an ISO date-time; without an offset it is UTC (the clock the jobs keep)."""
    from datetime import datetime, timezone

    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise click.BadParameter(f"not an ISO date-time: {value!r} (e.g. 2027-06-30T12:00)", param_hint="--now") from error
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


@jobs.command("run")
@click.option("--once", is_flag=True, help="Run every sweep once and exit.")
@click.option("--now", "now_text", default=None, metavar="ISO",
              help="With --once: act as if it were then (UTC unless an offset is given), e.g. 2027-06-30T12:00.")
def run_jobs(once: bool, now_text: str | None) -> None:
    """Run the job process (APScheduler); the only place background work happens."""
    import logging

    from flask import current_app

    from scheduler_app.jobs import build_scheduler, run_once

    now = _parse_now(now_text)
    if now is not None and not once:
        raise click.UsageError("--now needs --once: a running job process keeps the real clock.")
    app = current_app._get_current_object()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # a line every 3 s per sweep is noise
    if once:
        for name, count in run_once(app, now).items():
            click.echo(f"{name}: {count}")
        return
    click.echo("Job process running; press Ctrl+C to stop.")
    try:
        build_scheduler(app).start()
    except (KeyboardInterrupt, SystemExit):
        pass


@jobs.command("status")
def jobs_status() -> None:
    """Each job's last run, what it did and what failed; the mail queue; failed due items."""
    from scheduler_app.domain.job_status import job_status

    status = job_status()
    for job in status.jobs:
        click.echo(f"job {job.name}: last_run={_iso(job.started_at)} finished={_iso(job.finished_at)} did={job.did} "
                   f"simulated_now={_iso(job.simulated_now)} error={job.error or '-'}")
    counts = status.mail_counts
    click.echo("mail: " + " ".join(f"{state}={counts.get(state, 0)}" for state in ("waiting", "sent", "failed", "not_sent")))
    for mail in status.failed_mails:
        click.echo(f"mail_failed {mail.id}: to={mail.recipient} attempts={mail.attempts} reason={mail.last_error}")
    for mail in status.retrying_mails:
        click.echo(f"mail_retrying {mail.id}: to={mail.recipient} attempts={mail.attempts} "
                   f"next={_iso(mail.next_attempt_at)} reason={mail.last_error}")
    click.echo(f"due_items: done={status.items_done} failed={len(status.failed_items)}")
    for item in status.failed_items:
        click.echo(f"item_failed {item.kind} {item.target} due={_iso(item.due_at)}: {item.outcome}")
    for item in status.recent_items[:RECENT_ITEMS_SHOWN]:
        if not item.failed:
            click.echo(f"item_done {item.kind} {item.target} due={_iso(item.due_at)} at={_iso(item.done_at)}: {item.outcome}")


RECENT_ITEMS_SHOWN = 20


def _iso(moment) -> str:
    return moment.isoformat(timespec="seconds") if moment is not None else "-"


demo_group = AppGroup("demo", help="Demo data for trying the app.")


@demo_group.command("load")
def load_demo_data() -> None:
    """Load the demo district (Landkreis Osnabrück) into an empty database, in one transaction."""
    from flask import current_app

    from scheduler_app.demo import DEMO_PASSWORD, load_demo

    try:
        summary = load_demo(utc_now(), base_url=current_app.config["PUBLIC_BASE_URL"])
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Demo loaded: {summary.schools} schools, {summary.companies} companies, {summary.students} students, "
               f"{summary.offers} offers. Password of every demo account: {DEMO_PASSWORD}")


def prepare_database(app: Flask):
    """Make a fresh clone ready to run: the instance folder, the migrations, and the demo data when
    the database has no organisations yet (committed once). Returns the demo summary, or None when
    the database already had data. Running it again changes nothing."""
    import flask_migrate
    from sqlalchemy.engine import make_url

    from scheduler_app.demo import database_is_empty, load_demo

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    with app.app_context():
        flask_migrate.upgrade()
        if not database_is_empty():
            return None
        summary = load_demo(utc_now(), base_url=app.config["PUBLIC_BASE_URL"])
        db.session.commit()
        return summary


@click.command("start")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option("--jobs/--no-jobs", default=True, show_default=True,
              help="Also start the job process (`flask jobs run`) beside the server, so allocations run.")
def start(host: str, port: int, jobs: bool) -> None:
    """Prepare the database (migrations, demo data) and serve the app with the development server."""
    import subprocess
    import sys

    from flask.cli import ScriptInfo
    from werkzeug.serving import run_simple

    from scheduler_app.demo import DEMO_ACCOUNTS, DEMO_PASSWORD

    app = click.get_current_context().ensure_object(ScriptInfo).load_app()
    summary = prepare_database(app)
    if summary is not None:
        click.echo(f"Demo data loaded: {summary.schools} schools, {summary.companies} companies, "
                   f"{summary.students} students.")
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    click.echo(f"\nOpen http://{shown_host}:{port}/ and sign in with one of the demo accounts "
               f"(password: {DEMO_PASSWORD}):")
    for email, role in DEMO_ACCOUNTS:
        click.echo(f"  {email:<28} {role}")
    click.echo("Development server only; see README for production.\n")
    # The job process is a separate process, as in production: the web server never runs jobs itself.
    job_process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "run"]) if jobs else None
    try:
        run_simple(host, port, app, use_reloader=False, use_debugger=False, threaded=True)
    finally:
        if job_process is not None:
            job_process.terminate()
            job_process.wait(timeout=10)


feeds_group = AppGroup("feeds", help="Calendar feeds.")


@feeds_group.command("list")
@click.option("--organisation", "organisation_id", type=click.IntRange(1, 2**31 - 1), default=None,
              help="Only the feeds of this organisation (an agency, school or company id).")
def list_feeds(organisation_id: int | None) -> None:
    """One line per feed: kind, owner, absolute URL (from PUBLIC_BASE_URL), tab-separated.

    Makes the private links it needs (their tokens are derived, never stored), so a coordinator can
    pass links on by hand; an existing link is printed as it is, never renewed."""
    from flask import current_app
    from flask_babel import force_locale

    from scheduler_app.domain import feeds
    from scheduler_app.web.feeds import token_key

    base_url, key, now = current_app.config["PUBLIC_BASE_URL"].rstrip("/"), token_key(), utc_now()
    lines = []
    with force_locale("de"):
        for owner in feeds.feed_owners(organisation_id):
            feed = feeds.feed_for(owner.kind, owner.owner_id, key, now)
            lines.append(f"{owner.kind.value}\t{owner.label}\t{base_url}{feeds.feed_path(feed, key, owner.name)}")
    db.session.commit()
    for line in lines:
        click.echo(line)


def register(app: Flask) -> None:
    for group in (users, i18n, careerday, meetings_group, events_group, jobs, demo_group, feeds_group):
        app.cli.add_command(group)
    app.cli.add_command(start)
