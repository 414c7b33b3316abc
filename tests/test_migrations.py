"""The migrations build exactly the schema the models describe, and roll back, on SQLite and PostgreSQL.

A model change without a migration fails ``test_migrated_schema_matches_the_models_*``.
"""
from __future__ import annotations

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from scheduler_app.extensions import db
from scheduler_app.factory import create_app
from tests.conftest import settings

CYCLIC_FOREIGN_KEYS = {
    ("career_day", "fk_career_day_published_allocation", "allocation"),
    ("alliance_meeting", "fk_alliance_meeting_chosen_candidate", "candidate_date"),
}


def _app(url: str):
    return create_app(settings(SQLALCHEMY_DATABASE_URI=url))


def _table_names(connection) -> set[str]:
    return set(sa.inspect(connection).get_table_names())


def _check_constraints(connection, schema: str | None = None) -> dict[str, set[str]]:
    inspector = sa.inspect(connection)
    return {
        table: {check["name"] for check in inspector.get_check_constraints(table, schema=schema)}
        for table in inspector.get_table_names(schema=schema)
        if table != "alembic_version"
    }


def _assert_upgrades_and_downgrades(url: str) -> None:
    app = _app(url)
    model_tables = set(db.metadata.tables)
    with app.app_context():
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            assert _table_names(connection) == model_tables | {"alembic_version"}
            foreign_keys = {
                (table, fk["name"], fk["referred_table"])
                for table in ("career_day", "alliance_meeting")
                for fk in sa.inspect(connection).get_foreign_keys(table)
            }
            assert CYCLIC_FOREIGN_KEYS <= foreign_keys
        flask_migrate.downgrade(revision="base")
        with db.engine.connect() as connection:
            assert _table_names(connection) == {"alembic_version"}
        flask_migrate.upgrade()  # and up again: the downgrade left nothing behind that gets in the way
        with db.engine.connect() as connection:
            assert _table_names(connection) == model_tables | {"alembic_version"}
        db.engine.dispose()


def _schema_differences(url: str) -> list:
    app = _app(url)
    with app.app_context():
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        db.engine.dispose()
    return differences


def test_migrations_upgrade_and_downgrade_on_sqlite(tmp_path):
    _assert_upgrades_and_downgrades(f"sqlite:///{tmp_path / 'migrations.sqlite'}")


@pytest.mark.postgres
def test_migrations_upgrade_and_downgrade_on_postgresql(throwaway_postgres_url):
    _assert_upgrades_and_downgrades(throwaway_postgres_url)


def test_migrated_schema_matches_the_models_on_sqlite(tmp_path):
    assert _schema_differences(f"sqlite:///{tmp_path / 'compare.sqlite'}") == []


@pytest.mark.postgres
def test_migrated_schema_matches_the_models_on_postgresql(throwaway_postgres_url):
    assert _schema_differences(throwaway_postgres_url) == []


def test_migrated_check_constraints_are_the_models_and_all_named(tmp_path):
    """Alembic's comparison ignores CHECK constraints, so compare them with a ``create_all`` schema."""
    migrated_app = _app(f"sqlite:///{tmp_path / 'migrated.sqlite'}")
    with migrated_app.app_context():
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            migrated = _check_constraints(connection)
        db.engine.dispose()
    created_app = _app(f"sqlite:///{tmp_path / 'created.sqlite'}")
    with created_app.app_context():
        db.create_all()
        with db.engine.connect() as connection:
            created = _check_constraints(connection)
        db.engine.dispose()

    assert migrated == created
    names = set().union(*migrated.values())
    assert all(name and name.startswith("ck_") for name in names), sorted(map(str, names))
    assert {"ck_employer_event_booked_within_capacity", "ck_allocation_slot_assigned_within_capacity",
            "ck_career_day_registered_within_max", "ck_slot_min_size_within_capacity",
            "ck_organisation_organisation_kind"} <= names


@pytest.mark.postgres
def test_migrated_check_constraints_are_the_models_on_postgresql(throwaway_postgres_url):
    app = _app(throwaway_postgres_url)
    with app.app_context():
        flask_migrate.upgrade()
        with db.engine.begin() as connection:
            connection.execute(sa.text("CREATE SCHEMA models"))
            db.metadata.create_all(connection.execution_options(schema_translate_map={None: "models"}))
        with db.engine.connect() as connection:
            migrated = _check_constraints(connection)
            created = _check_constraints(connection, schema="models")
        db.engine.dispose()
    assert migrated == created
    assert all(name.startswith("ck_") for name in set().union(*migrated.values()))


SCOPING_REVISION = "77b2ad322f01"
BEFORE_SCOPING = """
INSERT INTO organisation (id, kind, name, created_at) VALUES
    (1, 'agency', 'Jobcenter', '2027-01-01'), (2, 'agency', 'Wirtschaftsförderung', '2027-01-01'),
    (3, 'school', 'Oberschule', '2027-01-01'), (4, 'company', 'Stadtwerke', '2027-01-01'),
    (5, 'school', 'Nur eingeladen', '2027-01-01'), (6, 'school', 'Niemandes Schule', '2027-01-01');
INSERT INTO user_account (id, email, name, active, session_version, created_at) VALUES
    (1, 'k@jobcenter.example', 'K', true, 0, '2027-01-01');
INSERT INTO membership (id, user_id, organisation_id, role) VALUES (1, 1, 2, 'coordinator');
INSERT INTO invitation (id, token_hash, email, name, organisation_id, role, invited_by_id, created_at, expires_at)
    VALUES (1, 'h', 'x@schule.example', 'X', 5, 'contact', 1, '2027-01-01', '2027-01-15');
INSERT INTO programme (id, name, agency_id, created_at) VALUES (1, 'BO-Tage', 1, '2027-01-01');
INSERT INTO venue (id, name) VALUES (1, 'Schulzentrum'), (2, 'Ungenutzt');
INSERT INTO career_day (id, programme_id, name, date, venue_id, wishes_count, slots_per_student, registered_students,
                        created_at, updated_at)
    VALUES (1, 1, 'BO-Tag', '2027-03-10', 1, 5, 3, 20, '2027-01-01', '2027-01-01');
INSERT INTO school_class (id, career_day_id, school_id, name, grade, headcount, class_code, created_at)
    VALUES (1, 1, 3, '9a', 9, 20, 'ABCD2345', '2027-01-01');
INSERT INTO offer (id, career_day_id, company_id, title, created_at, updated_at)
    VALUES (1, 1, 4, 'Elektroniker/in', '2027-01-01', '2027-01-01');
INSERT INTO student (id, class_id, display_name, personal_code, created_at) VALUES (1, 1, 'Mia', 'MIA123', '2027-01-01');
"""


def _migrate_with_data(before_revision: str, statements: str, revision: str) -> None:
    """Inside an app context: upgrade to ``before_revision``, insert the data, upgrade to ``revision``."""
    flask_migrate.upgrade(revision=before_revision)
    with db.engine.begin() as connection:
        for statement in statements.split(";"):
            if statement.strip():
                connection.execute(sa.text(statement))
    flask_migrate.upgrade(revision=revision)


def _carry_over_existing_data_into_scoping(url: str) -> None:
    app = _app(url)
    with app.app_context():
        _migrate_with_data("bb3424c91f86", BEFORE_SCOPING, SCOPING_REVISION)
        with db.engine.connect() as connection:
            partners = set(connection.execute(sa.text("SELECT agency_id, organisation_id FROM agency_partner")).all())
            venues = dict(connection.execute(sa.text("SELECT id, agency_id FROM venue")).all())
            versions = connection.execute(sa.text("SELECT session_version FROM student")).scalars().all()
        db.engine.dispose()
    # the class's school and the offer's company work with the day's agency; the invited school with the
    # inviting coordinator's agency; a school nobody touched works with no one
    assert partners == {(1, 3), (1, 4), (2, 5)}
    assert venues == {1: 1, 2: None}
    assert versions == [0]


def test_the_scoping_migration_carries_existing_partnerships_and_venues_over_on_sqlite(tmp_path):
    _carry_over_existing_data_into_scoping(f"sqlite:///{tmp_path / 'scoping.sqlite'}")


@pytest.mark.postgres
def test_the_scoping_migration_carries_existing_partnerships_and_venues_over_on_postgresql(throwaway_postgres_url):
    _carry_over_existing_data_into_scoping(throwaway_postgres_url)
LEASES_AND_NAME_KEYS = "3989bb06b01a"


def _class_names_after_the_name_key_migration(url: str) -> list[tuple[int, str, str]]:
    """Classes stored before names were unique ignoring case ('Dup' and 'DUP' of one school and day)
    keep the first name; the others get ' (2)', ' (3)' so the unique constraint can be created."""
    app = _app(url)
    with app.app_context():
        flask_migrate.upgrade(revision=f"{LEASES_AND_NAME_KEYS}-1")
        with db.engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO organisation (id, kind, name, created_at) VALUES "
                "(1, 'agency', 'Agentur', '2026-01-01'), (2, 'school', 'Schule A', '2026-01-01'), "
                "(3, 'school', 'Schule B', '2026-01-01')"))
            connection.execute(sa.text("INSERT INTO programme (id, name, agency_id, created_at) VALUES (1, 'P', 1, '2026-01-01')"))
            connection.execute(sa.text(
                "INSERT INTO career_day (id, programme_id, name, date, wishes_count, slots_per_student, "
                "registered_students, created_at, updated_at) VALUES (1, 1, 'Tag', '2027-03-10', 5, 3, 0, "
                "'2026-01-01', '2026-01-01')"))
            connection.execute(sa.text(
                "INSERT INTO school_class (id, career_day_id, school_id, name, grade, headcount, class_code, created_at) "
                "VALUES (1, 1, 2, 'Dup', 9, 1, 'A', '2026-01-01'), (2, 1, 2, 'DUP', 9, 1, 'B', '2026-01-01'), "
                "(3, 1, 2, 'dup', 9, 1, 'C', '2026-01-01'), (4, 1, 3, 'DUP', 9, 1, 'D', '2026-01-01')"))
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT id, name, name_key FROM school_class ORDER BY id")).all()
        db.engine.dispose()
    return [tuple(row) for row in rows]


EXPECTED_CLASS_NAMES = [(1, "Dup", "dup"), (2, "DUP (2)", "dup (2)"), (3, "dup (3)", "dup (3)"), (4, "DUP", "dup")]


def test_the_name_key_migration_renames_classes_whose_names_differ_only_in_case_on_sqlite(tmp_path):
    assert _class_names_after_the_name_key_migration(f"sqlite:///{tmp_path / 'names.sqlite'}") == EXPECTED_CLASS_NAMES


@pytest.mark.postgres
def test_the_name_key_migration_renames_classes_whose_names_differ_only_in_case_on_postgresql(throwaway_postgres_url):
    assert _class_names_after_the_name_key_migration(throwaway_postgres_url) == EXPECTED_CLASS_NAMES


MEETINGS_REVISION = "ddb1c5a80e02"
BEFORE_MEETINGS = """
INSERT INTO organisation (id, kind, name, created_at) VALUES
    (1, 'agency', 'Wirtschaftsförderung', '2027-01-01'), (2, 'company', 'Stadtwerke', '2027-01-01');
INSERT INTO user_account (id, email, name, active, session_version, created_at) VALUES
    (1, 'Delegierte@Stadtwerke.example', 'Dana Delegierte', true, 0, '2027-01-02');
INSERT INTO alliance (id, name, coordinating_agency_id, created_at) VALUES (1, 'Bündnis', 1, '2027-01-01');
INSERT INTO alliance_member (id, alliance_id, organisation_id, joined_on) VALUES (1, 1, 2, '2027-01-01');
INSERT INTO alliance_delegate (id, member_id, user_id) VALUES (1, 1, 1);
INSERT INTO alliance_meeting (id, alliance_id, title, created_at, updated_at) VALUES (1, 1, 'Treffen', '2027-01-03', '2027-01-03');
INSERT INTO candidate_date (id, meeting_id, starts_at, ends_at) VALUES
    (1, 1, '2027-03-02 14:00:00', '2027-03-02 16:00:00'), (2, 1, '2027-03-09 14:00:00', '2027-03-09 16:00:00');
INSERT INTO poll_vote (id, candidate_id, organisation_id, voter_id, answer, updated_at) VALUES
    (1, 1, 2, 1, 'yes', '2027-01-04'), (2, 2, 2, 1, 'no', '2027-01-05');
INSERT INTO meeting_invitation (id, meeting_id, organisation_id, user_id, reply, attendees) VALUES (1, 1, 2, 1, 'pending', 1);
"""


def _carry_over_existing_data_into_meetings(url: str) -> None:
    app = _app(url)
    with app.app_context():
        _migrate_with_data("d88f1e6aab5f", BEFORE_MEETINGS, MEETINGS_REVISION)
        with db.engine.begin() as connection:  # the new kinds pass the CHECK constraint
            connection.execute(sa.text("INSERT INTO organisation (id, kind, name, created_at) VALUES "
                                       "(3, 'chamber', 'IHK', '2027-01-01'), (4, 'training_provider', 'BNW', '2027-01-01')"))
        with db.engine.connect() as connection:
            delegates = connection.execute(sa.text("SELECT id, name, email, member_id FROM alliance_delegate")).all()
            responses = connection.execute(sa.text(
                "SELECT meeting_id, organisation_id, delegate_id, answered_by FROM poll_response")).all()
            invitations = connection.execute(sa.text("SELECT delegate_id, name, email FROM meeting_invitation")).all()
            polled = connection.execute(sa.text("SELECT poll_sent_at IS NOT NULL FROM alliance_meeting")).scalar()
            votes = connection.execute(sa.text("SELECT COUNT(*) FROM poll_vote")).scalar()
        flask_migrate.downgrade(revision="d88f1e6aab5f")  # and back: the delegate's account is found by e-mail
        with db.engine.connect() as connection:
            old_delegates = connection.execute(sa.text("SELECT member_id, user_id FROM alliance_delegate")).all()
            voters = connection.execute(sa.text("SELECT DISTINCT voter_id FROM poll_vote")).scalars().all()
            kinds = connection.execute(sa.text("SELECT kind FROM organisation WHERE id IN (3, 4)")).scalars().all()
        db.engine.dispose()
    assert [tuple(row) for row in delegates] == [(1, "Dana Delegierte", "delegierte@stadtwerke.example", 1)]
    assert [tuple(row) for row in responses] == [(1, 2, 1, "Dana Delegierte")]
    assert [tuple(row) for row in invitations] == [(1, "Dana Delegierte", "delegierte@stadtwerke.example")]
    assert polled and votes == 2
    assert [tuple(row) for row in old_delegates] == [(1, 1)] and voters == [1]
    assert kinds == ["company", "company"]  # the old schema knows no chambers or training providers


def test_the_meetings_migration_carries_delegates_votes_and_invitations_over_on_sqlite(tmp_path):
    _carry_over_existing_data_into_meetings(f"sqlite:///{tmp_path / 'meetings.sqlite'}")


@pytest.mark.postgres
def test_the_meetings_migration_carries_delegates_votes_and_invitations_over_on_postgresql(throwaway_postgres_url):
    _carry_over_existing_data_into_meetings(throwaway_postgres_url)
