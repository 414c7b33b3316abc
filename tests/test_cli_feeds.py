"""``flask feeds list``: one line per feed (kind, owner, absolute URL), links made as needed and stable."""
from __future__ import annotations

from scheduler_app.demo import load_demo
from scheduler_app.extensions import db
from scheduler_app.models import Organisation, OrganisationKind
from scheduler_app.models_base import utc_now


def _demo(app):
    with app.app_context():
        load_demo(utc_now())
        db.session.commit()


def _lines(output: str) -> list[list[str]]:
    return [line.split("\t") for line in output.splitlines()]


def test_feeds_list_names_every_audience_of_the_demo_with_a_working_absolute_link(app, runner):
    _demo(app)

    result = runner.invoke(args=["feeds", "list"])

    assert result.exit_code == 0, result.output
    lines = _lines(result.output)
    assert all(len(line) == 3 for line in lines)
    kinds = {kind for kind, _owner, _url in lines}
    assert {"programme", "school", "class", "student", "company", "coordinator", "delegate"} <= kinds
    client = app.test_client()
    for kind in ("programme", "school", "class", "student", "company", "coordinator", "delegate"):
        url = next(url for k, _owner, url in lines if k == kind)
        assert url.startswith("http://localhost/feeds/") and url.endswith(".ics")
        response = client.get(url.removeprefix("http://localhost"))
        assert response.status_code == 200 and response.text.startswith("BEGIN:VCALENDAR"), kind


def test_feeds_list_prints_the_same_links_again_and_filters_by_organisation(app, runner):
    _demo(app)
    first = runner.invoke(args=["feeds", "list"]).output
    second = runner.invoke(args=["feeds", "list"]).output
    assert first == second  # existing links are printed, never renewed

    with app.app_context():
        school_id = db.session.scalar(db.select(Organisation.id).where(Organisation.kind == OrganisationKind.school)
                                      .order_by(Organisation.id))
    only_school = _lines(runner.invoke(args=["feeds", "list", "--organisation", str(school_id)]).output)
    assert {kind for kind, _owner, _url in only_school} == {"school", "class", "student"}
    assert set(map(tuple, only_school)) <= set(map(tuple, _lines(first)))


def test_feeds_list_of_an_unknown_organisation_prints_nothing(app, runner):
    _demo(app)
    result = runner.invoke(args=["feeds", "list", "--organisation", "99999"])
    assert result.exit_code == 0 and result.output == ""
