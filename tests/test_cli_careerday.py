"""``flask careerday``: list, allocate, export, publish — the same domain functions as the UI."""
from __future__ import annotations

import json

from sqlalchemy import select

from scheduler_app.extensions import db
from scheduler_app.models import Allocation, AllocationState, CareerDay
from tests.domain.allocation_data import make_small_day, require_solver


def _small_day_id(app) -> int:
    with app.app_context():
        day = make_small_day()
        db.session.commit()
        return day.career_day.id


def test_careerday_list_shows_each_day_with_classes_students_and_status(app, runner):
    day_id = _small_day_id(app)

    result = runner.invoke(args=["careerday", "list"])

    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if "BO-Tag Bramsche" in line)
    assert line.split()[0] == str(day_id)
    assert "2027-03-10" in line and "classes=2" in line and "students=12" in line and "status=not allocated" in line


def test_careerday_allocate_runs_the_engine_and_prints_status_and_histogram(app, runner):
    require_solver()
    day_id = _small_day_id(app)

    result = runner.invoke(args=["careerday", "allocate", str(day_id), "--time-limit", "20"])

    assert result.exit_code == 0, result.output
    assert "status optimal" in result.output or "status feasible" in result.output
    assert "rank 1:" in result.output and "students fully served: 12 of 12" in result.output
    with app.app_context():
        allocation = db.session.scalar(select(Allocation))
        assert allocation.state is AllocationState.done and len(allocation.assignments) == 30


def test_careerday_allocate_refuses_an_unknown_day(app, runner):
    result = runner.invoke(args=["careerday", "allocate", "999"])
    assert result.exit_code != 0 and "No career day with id 999" in result.output


def test_careerday_export_then_publish(app, runner, tmp_path):
    require_solver()
    day_id = _small_day_id(app)
    assert runner.invoke(args=["careerday", "allocate", str(day_id)]).exit_code == 0

    exported = runner.invoke(args=["careerday", "export", str(day_id), "-o", str(tmp_path)])
    refused = runner.invoke(args=["careerday", "publish", str(day_id)])
    published = runner.invoke(args=["careerday", "publish", str(day_id), "--close-early"])

    assert exported.exit_code == 0, exported.output
    assert json.loads((tmp_path / "instance.json").read_text(encoding="utf-8"))["format"] == "allocation-instance/1"
    assert (tmp_path / "assignments.csv").read_bytes().decode("utf-8-sig").startswith("Schule;Klasse;Schüler/in")
    assert refused.exit_code != 0 and "confirm closing them early" in refused.output
    assert published.exit_code == 0 and "version 1" in published.output, published.output
    with app.app_context():
        day = db.session.get(CareerDay, day_id)
        assert day.published_allocation_id == db.session.scalar(select(Allocation.id))
    assert "published" in runner.invoke(args=["careerday", "list"]).output


def test_careerday_publish_without_a_finished_allocation_fails_and_publishes_nothing(app, runner):
    day_id = _small_day_id(app)
    result = runner.invoke(args=["careerday", "publish", str(day_id)])
    assert result.exit_code != 0 and "No finished allocation" in result.output
    with app.app_context():
        assert db.session.get(CareerDay, day_id).published_allocation_id is None
