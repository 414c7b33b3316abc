"""Exports of a career day's allocation: allocation-format/1 files for the engine, and the
assignments as CSV (for German Excel: UTF-8 with BOM, ``;``) and XLSX.

CSV and XLSX come from the same rows (:func:`assignment_rows`) and the same columns
(:data:`COLUMNS`, whose headers are msgids: the boundary passes its ``translate``).
"""
from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter
from sqlalchemy import select
from sqlalchemy.orm import aliased

from scheduler_app.domain.allocation import (
    USABLE_STATUSES,
    build_instance,
    instance_for,
    latest_done_allocation,
    result_dict,
)
from scheduler_app.domain import publication
from scheduler_app.domain.errors import N_
from scheduler_app.extensions import db
from scheduler_app.models import (
    Allocation,
    Assignment,
    CareerDay,
    Offer,
    Organisation,
    Room,
    Round,
    SchoolClass,
    Student,
)

COLUMNS = (
    ("school", N_("School")),
    ("class_name", N_("Class")),
    ("student", N_("Student")),
    ("round", N_("Round")),
    ("time", N_("Time")),
    ("offer", N_("Offer")),
    ("company", N_("Company")),
    ("room", N_("Room")),
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _identity(text: str) -> str:
    return text


def time_range(round_) -> str:
    return f"{round_.starts_at:%H:%M}–{round_.ends_at:%H:%M}"


@dataclass(frozen=True)
class AssignmentRow:
    school: str
    class_name: str
    student: str
    round: int
    time: str
    offer: str
    company: str
    room: str

    def values(self) -> list:
        return [getattr(self, key) for key, _ in COLUMNS]


def assignment_rows(allocation: Allocation) -> list[AssignmentRow]:
    """One row per assignment, ordered by school, class, student and round. A published allocation's
    rows come from its snapshot: the download says what the printed sheets say."""
    snapshot = publication.snapshot_of_published(allocation)
    if snapshot is not None:
        return _plan_rows(publication.read_plan(snapshot))
    rows = []
    company_org = aliased(Organisation)
    for school, class_name, student, position, starts_at, ends_at, offer, company, room in db.session.execute(
        select(Organisation.name, SchoolClass.name, Student.display_name, Round.position, Round.starts_at, Round.ends_at,
               Offer.title, company_org.name, Room.name)
        .select_from(Assignment)
        .join(Student, Student.id == Assignment.student_id).join(SchoolClass, SchoolClass.id == Student.class_id)
        .join(Organisation, Organisation.id == SchoolClass.school_id)
        .join(Round, Round.id == Assignment.round_id).join(Offer, Offer.id == Assignment.offer_id)
        .join(company_org, company_org.id == Offer.company_id)
        .outerjoin(Room, Room.id == Offer.room_id)
        .where(Assignment.allocation_id == allocation.id)
    ):
        rows.append(AssignmentRow(school=school, class_name=class_name, student=student, round=position,
                                  time=f"{starts_at:%H:%M}–{ends_at:%H:%M}", offer=offer, company=company, room=room or ""))
    return sorted(rows, key=lambda r: (r.school, r.class_name, r.student, r.round))


def _plan_rows(plan: publication.Plan) -> list[AssignmentRow]:
    rows = []
    for klass in plan.classes:
        for student in klass.students:
            for slot in plan.by_student.get(student.id, {}).values():
                rows.append(AssignmentRow(
                    school=klass.school, class_name=klass.name, student=student.name, round=slot.round.position,
                    time=time_range(slot.round), offer=slot.offer.title, company=slot.offer.company,
                    room=slot.offer.room or "",
                ))
    return sorted(rows, key=lambda r: (r.school, r.class_name, r.student, r.round))


def _cell(value):
    """Text that a spreadsheet would run as a formula is prefixed with an apostrophe (names are typed
    by teachers and students: "=HYPERLINK(…)" must stay text)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def assignments_csv(allocation: Allocation, translate: Callable[[str], str] = _identity) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([translate(header) for _, header in COLUMNS])
    for row in assignment_rows(allocation):
        writer.writerow([_cell(value) for value in row.values()])
    return buffer.getvalue().encode("utf-8-sig")


def assignments_xlsx(allocation: Allocation, translate: Callable[[str], str] = _identity) -> bytes:
    """The rows as a one-sheet workbook with a frozen header row (:func:`xlsx_workbook`)."""
    rows = [[translate(header) for _, header in COLUMNS]]
    rows += [[_cell(value) for value in row.values()] for row in assignment_rows(allocation)]
    return xlsx_workbook(translate(N_("Assignments"))[:31], rows)


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # characters XML 1.0 cannot hold
#: every value is written as what it is: a text starting with "=" stays text (no formula injection)
_XLSX_OPTIONS = {"in_memory": True, "constant_memory": True, "strings_to_formulas": False,
                 "strings_to_urls": False, "strings_to_numbers": False}


def xlsx_workbook(title: str, rows: list[list]) -> bytes:
    """One sheet ``title`` with ``rows`` (texts as text, ints as numbers), the first row frozen.

    Written with XlsxWriter, row by row (``constant_memory``): for 25,000 rows about twice as fast as
    openpyxl's write-only mode (openpyxl still reads uploads). Characters XML cannot hold are dropped."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, _XLSX_OPTIONS)
    sheet = workbook.add_worksheet(_XML_ILLEGAL.sub("", title)[:31])
    sheet.freeze_panes(1, 0)
    for number, row in enumerate(rows):
        sheet.write_row(number, 0, [_XML_ILLEGAL.sub("", value) if isinstance(value, str) else value for value in row])
    workbook.close()
    return buffer.getvalue()


def result_for(allocation: Allocation, instance: dict) -> dict:
    """The allocation as allocation-result/1. After manual moves the engine's objective no longer
    describes the assignments: it is recomputed, and the result is then only ``feasible`` (its
    optimality is no longer proven, so no bound is claimed)."""
    from scheduler_app.solver import check

    result = result_dict(allocation)
    if result["status"] not in USABLE_STATUSES:
        return result
    recomputed = check(instance, result).objective
    if recomputed is not None and recomputed != result["objective"]:
        result.update(objective=recomputed, status="feasible", bound=None)
    return result


def export_files(career_day: CareerDay, directory: Path | str, translate: Callable[[str], str] = _identity) -> list[Path]:
    """Write ``instance.json`` and, if the day has a finished allocation, the latest one's
    ``result.json`` (allocation-format/1) plus ``assignments.csv`` and ``assignments.xlsx``.
    Returns the paths written. Reads only."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    allocation = latest_done_allocation(career_day)
    instance = instance_for(allocation) if allocation else build_instance(career_day)
    written = [_write_json(directory / "instance.json", instance)]
    if allocation is not None:
        written.append(_write_json(directory / "result.json", result_for(allocation, instance)))
        (directory / "assignments.csv").write_bytes(assignments_csv(allocation, translate))
        (directory / "assignments.xlsx").write_bytes(assignments_xlsx(allocation, translate))
        written += [directory / "assignments.csv", directory / "assignments.xlsx"]
    return written


def _write_json(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path

