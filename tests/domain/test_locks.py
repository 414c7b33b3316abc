"""Row locks and unique violations (scheduler_app/domain/locks.py); the locks on databases that
several connections really share (a SQLite file and a throwaway PostgreSQL database)."""
from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from scheduler_app.domain.errors import DomainError
from scheduler_app.domain.locks import Gone, lock_for_update, lock_or_gone, unique_violation_as, violated_constraint
from scheduler_app.extensions import db
from scheduler_app.models import SchoolClass
from tests import factories


def _class_id(app, **fields) -> int:
    with app.app_context():
        school_class = factories.make_school_class(factories.make_career_day(rounds=1), **fields)
        db.session.commit()
        return school_class.id


def _set_headcount(app, class_id: int, headcount: int) -> None:
    with app.app_context():
        db.session.execute(sa.update(SchoolClass).where(SchoolClass.id == class_id).values(headcount=headcount))
        db.session.commit()


def test_the_locked_object_and_everything_read_after_the_lock_are_as_last_committed(own_app):
    class_id = _class_id(own_app, headcount=5)
    with own_app.app_context():
        school_class = db.session.get(SchoolClass, class_id)
        assert school_class.headcount == 5
        _other_request = threading.Thread(target=_set_headcount, args=(own_app, class_id, 9))
        _other_request.start()
        _other_request.join()
        assert school_class.headcount == 5  # the session still holds what it read

        locked = lock_for_update(school_class)

        assert locked is school_class and school_class.headcount == 9
        assert lock_for_update(SchoolClass, class_id) is school_class  # by model and id, too
        db.session.rollback()


def test_a_second_transaction_waits_for_the_lock_and_then_sees_the_first_ones_change(own_app):
    class_id = _class_id(own_app, headcount=5)
    first_locked, order = threading.Event(), []

    def first():
        with own_app.app_context():
            school_class = lock_for_update(SchoolClass, class_id)
            first_locked.set()
            time.sleep(0.5)  # the second one tries meanwhile
            school_class.headcount += 1
            order.append("first commits")
            db.session.commit()

    def second():
        first_locked.wait(timeout=10)
        with own_app.app_context():
            school_class = lock_for_update(SchoolClass, class_id)
            order.append(f"second sees {school_class.headcount}")
            school_class.headcount += 1
            db.session.commit()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert order == ["first commits", "second sees 6"]
    with own_app.app_context():
        assert db.session.get(SchoolClass, class_id).headcount == 7


def test_a_row_deleted_meanwhile_locks_as_none_or_gone(own_app):
    class_id = _class_id(own_app)
    with own_app.app_context():
        school_class = db.session.get(SchoolClass, class_id)
        with own_app.app_context():
            db.session.execute(sa.delete(SchoolClass).where(SchoolClass.id == class_id))
            db.session.commit()
        with pytest.raises(Gone):
            lock_or_gone(school_class)
        db.session.rollback()
        assert lock_for_update(SchoolClass, class_id) is None
        db.session.rollback()


def test_a_unique_violation_becomes_the_given_error_and_others_pass_unchanged(db_session):
    career_day = factories.make_career_day(rounds=1)
    school = factories.make_organisation()
    factories.make_school_class(career_day, school, name="9b")
    db_session.commit()
    taken = DomainError("Name taken.", field="name")

    db_session.add(SchoolClass(career_day=career_day, school=school, name=" 9B ", grade=9, headcount=1, class_code="X1"))
    with pytest.raises(DomainError) as error, unique_violation_as("uq_school_class_career_day_id_school_id_name_key", taken):
        db_session.flush()
    assert error.value is taken
    db_session.rollback()

    db_session.add(SchoolClass(career_day=career_day, school=school, name="9c", grade=99, headcount=1, class_code="X2"))
    with pytest.raises(IntegrityError) as error, unique_violation_as("uq_school_class_career_day_id_school_id_name_key", taken):
        db_session.flush()  # a CHECK constraint, not the unique one
    assert violated_constraint(error.value) != "uq_school_class_career_day_id_school_id_name_key"
    db_session.rollback()
