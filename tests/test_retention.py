"""Retention on the demo: after a year of obligations run in seconds (``flask jobs run --once --now``),
no student name the demo created is left in any text column of any table (found through the
metadata, so tables added later are searched too), in the exports or in the log; the figures the
reports need are kept."""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from openpyxl import load_workbook

from scheduler_app.domain.retention import ANONYMOUS_NAME
from scheduler_app.extensions import db
from scheduler_app.models import AuditEntry, CareerDay, EventRegistration, MailState, OutgoingMail, SchoolClass, Student, User
from scheduler_app.models_base import utc_now


def _text_values(connection) -> list[tuple[str, str, str]]:
    """(table, column, value) for every value of every text-like column of every table."""
    found = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (sa.String, sa.Text, sa.JSON, sa.LargeBinary))]
        if not columns:
            continue
        for row in connection.execute(sa.select(*columns)):
            for column, value in zip(columns, row):
                if value is None:
                    continue
                if isinstance(value, bytes):
                    value = value.decode("utf-8", "ignore")
                elif not isinstance(value, str):
                    value = json.dumps(value, ensure_ascii=False)
                found.append((table.name, column.name, value))
    return found


def _hits(names: set[str], texts) -> list[str]:
    return sorted({f"{where}: {name}" for where, text in texts for name in names if name in text})


def test_a_year_after_the_demo_no_student_name_is_left_anywhere_and_the_figures_remain(app, runner, tmp_path, caplog):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        names = set(db.session.scalars(sa.select(Student.display_name)))
        student_count = db.session.scalar(sa.select(sa.func.count()).select_from(Student))
        day = db.session.scalars(sa.select(CareerDay)).one()
        day_id, until = day.id, day.retention_until
        # registrants may be pupils; a registrant who happens to share the name of an adult the product keeps
        # (a class's teacher, a user) cannot be searched for
        adults = set(db.session.scalars(sa.select(SchoolClass.teacher_name))) | set(db.session.scalars(sa.select(User.name)))
        registrants = set(db.session.scalars(sa.select(EventRegistration.name))) - adults
        db.session.execute(sa.update(Student).where(Student.id.in_(sa.select(Student.id).limit(5)))
                           .values(wishes_submitted_at=None))  # a few have not ranked: the reminder counts them
        db.session.commit()
    assert len(names) > 100
    allocated = runner.invoke(args=["careerday", "allocate", str(day_id), "--time-limit", "5"])
    assert "Allocation 1: done" in allocated.output, allocated.output
    published = runner.invoke(args=["careerday", "publish", str(day_id), "--close-early"])  # a snapshot with the names
    assert published.exit_code == 0, published.output
    with app.app_context():  # a student named in the audit log and in a mail, as later features may write them
        some = sorted(names)[0]
        db.session.add(AuditEntry(at=utc_now(), action="student.note", object_type="school_class", object_id=1,
                                  details={"note": f"{some} fehlt"}))
        db.session.add(OutgoingMail(recipient="lehrkraft@example.org", subject=f"Laufzettel {some}", body=f"{some}: Raum A101",
                                    personal_data=True, created_at=utc_now() - timedelta(days=1)))
        db.session.commit()
    before = tmp_path / "before"
    assert runner.invoke(args=["careerday", "export", str(day_id), "-o", str(before)]).exit_code == 0
    assert _hits(names, [("assignments.csv", (before / "assignments.csv").read_text(encoding="utf-8-sig"))])  # the test can fail

    later = datetime.combine(until, datetime.min.time()) + timedelta(days=200)
    with caplog.at_level(logging.DEBUG):
        outputs = [runner.invoke(args=["jobs", "run", "--once", "--now", moment.isoformat()]).output
                   for moment in (utc_now(), utc_now() + timedelta(days=40), later - timedelta(days=400 - 365), later)]
    assert "retention: " in outputs[-1]

    with app.app_context():
        texts = [((table, column), value) for table, column, value in _text_values(db.session.connection())]
        day = db.session.get(CareerDay, day_id)
        figures, deleted_at = day.retained_figures, day.personal_data_deleted_at
        students_left = db.session.scalar(sa.select(sa.func.count()).select_from(Student))
        registrations = set(db.session.scalars(sa.select(EventRegistration.name)))
        mail_states = set(db.session.scalars(sa.select(OutgoingMail.state)))
    after = tmp_path / "after"
    assert runner.invoke(args=["careerday", "export", str(day_id), "-o", str(after)]).exit_code == 0
    exports = [(path.name, path.read_text(encoding="utf-8-sig")) for path in after.glob("*.json")]
    exports += [(path.name, path.read_text(encoding="utf-8-sig")) for path in after.glob("*.csv")]
    for path in after.glob("*.xlsx"):
        exports.append((path.name, " ".join(str(cell) for row in load_workbook(path).active.iter_rows(values_only=True)
                                            for cell in row)))

    assert _hits(names, texts) == []
    assert _hits(registrants, texts) == []  # registrants may be pupils too: their confirmations were emptied
    assert _hits(names, exports) == []
    assert _hits(names, [("log", caplog.text)]) == []
    assert "not sent (no mail server)" in caplog.text  # the log was captured
    assert students_left == 0 and deleted_at is not None
    assert figures["students"] == student_count and sum(bar["count"] for bar in figures["histogram"]) > 0
    assert len(figures["offers"]) >= 30 and any(offer["assigned"] for offer in figures["offers"])
    assert len(figures["schools"]) == 8 and all(school["students"] for school in figures["schools"])
    assert registrations == {ANONYMOUS_NAME} and not registrations & registrants
    assert mail_states <= {MailState.not_sent}
