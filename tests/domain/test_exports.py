"""Exports: allocation-format/1 files the engine's own checker accepts, and CSV/XLSX for spreadsheets."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from openpyxl import load_workbook

from scheduler_app.domain.allocation import move_student
from scheduler_app.domain.exports import COLUMNS, assignments_csv, assignments_xlsx, export_files
from tests.domain.allocation_data import allocate, make_small_day, require_solver

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2027, 2, 2, 9, 0)


def _solver_check(directory: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scheduler_app.solver", "check", str(directory / "instance.json"),
                           str(directory / "result.json")], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120)


def test_export_files_writes_instance_and_result_that_the_engines_checker_accepts(db_session, tmp_path):
    require_solver()
    day = make_small_day()
    db_session.commit()
    allocation = allocate(day.career_day)

    paths = export_files(day.career_day, tmp_path)

    assert sorted(p.name for p in paths) == ["assignments.csv", "assignments.xlsx", "instance.json", "result.json"]
    result = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))
    assert result["format"] == "allocation-result/1" and len(result["assignments"]) == len(allocation.assignments)
    checked = _solver_check(tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_exported_result_stays_valid_after_a_manual_move(db_session, tmp_path):
    require_solver()
    day = make_small_day(capacity=5)
    db_session.commit()
    allocation = allocate(day.career_day)
    student, round_ = day.classes[1].students[0], day.career_day.rounds[1]
    attended = {a.offer_id for a in allocation.assignments if a.student_id == student.id}
    offer = next(o for o in day.offers if o.id not in attended)
    move_student(None, allocation, student, next(s for s in offer.slots if s.round_id == round_.id), NOW)
    db_session.commit()

    export_files(day.career_day, tmp_path)

    instance = json.loads((tmp_path / "instance.json").read_text(encoding="utf-8"))
    assert any(s.get("locked_slots") for s in instance["students"])
    checked = _solver_check(tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_export_without_an_allocation_writes_only_the_instance(db_session, tmp_path):
    day = make_small_day()
    assert [p.name for p in export_files(day.career_day, tmp_path)] == ["instance.json"]


def test_assignments_csv_is_for_german_excel_and_has_one_row_per_assignment(db_session):
    require_solver()
    day = make_small_day()
    db_session.commit()
    allocation = allocate(day.career_day)

    data = assignments_csv(allocation, translate=str.upper)

    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [header.upper() for _, header in COLUMNS]
    assert len(rows) == 1 + len(allocation.assignments)
    first = dict(zip([key for key, _ in COLUMNS], rows[1]))
    assert first["school"] == "Realschule Bramsche" and first["class_name"] in ("9a", "10b")
    assert first["time"] in {f"{r.starts_at:%H:%M}–{r.ends_at:%H:%M}" for r in day.career_day.rounds}


def test_assignments_xlsx_holds_the_same_rows_as_the_csv(db_session):
    require_solver()
    day = make_small_day()
    db_session.commit()
    allocation = allocate(day.career_day)

    sheet = load_workbook(io.BytesIO(assignments_xlsx(allocation))).active
    csv_rows = list(csv.reader(io.StringIO(assignments_csv(allocation).decode("utf-8-sig")), delimiter=";"))

    xlsx_rows = [[str(value) if value is not None else "" for value in row] for row in sheet.iter_rows(values_only=True)]
    assert xlsx_rows == csv_rows


def test_names_that_look_like_formulas_stay_text_in_spreadsheets(db_session):
    require_solver()
    day = make_small_day()
    day.classes[0].students[0].display_name = "=HYPERLINK(\"http://evil\")"
    db_session.commit()
    allocation = allocate(day.career_day)

    sheet = load_workbook(io.BytesIO(assignments_xlsx(allocation))).active
    names = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "'=HYPERLINK(\"http://evil\")" in names
    assert not any(str(cell.value).startswith("=") for row in sheet.iter_rows() for cell in row)
    csv_rows = list(csv.reader(io.StringIO(assignments_csv(allocation).decode("utf-8-sig")), delimiter=";"))
    assert "'=HYPERLINK(\"http://evil\")" in [row[2] for row in csv_rows]


def test_xlsx_cells_keep_markup_characters_and_drop_what_xml_cannot_hold():
    from scheduler_app.domain.exports import xlsx_workbook

    data = xlsx_workbook("Zuteilungen", [["Name", "Runde"], ["<Ali & \"Bea\">\x07", 3]])

    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.title == "Zuteilungen" and sheet.freeze_panes == "A2"
    assert list(sheet.iter_rows(values_only=True)) == [("Name", "Runde"), ("<Ali & \"Bea\">", 3)]
