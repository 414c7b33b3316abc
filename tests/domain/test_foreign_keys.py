"""The database itself removes dependent personal data: ON DELETE CASCADE works on SQLite too."""
import sqlalchemy as sa

from scheduler_app.models import Preference, SchoolClass, Student
from tests.factories import make_career_day, make_offer, make_school_class


def test_deleting_a_class_in_sql_deletes_its_students_and_their_wishes(db_session):
    day = make_career_day()
    offer = make_offer(day)
    school_class = make_school_class(day, students=3)
    db_session.add(Preference(student=school_class.students[0], offer=offer, rank=1))
    db_session.flush()

    db_session.execute(sa.delete(SchoolClass).where(SchoolClass.id == school_class.id))

    assert db_session.scalar(sa.select(sa.func.count()).select_from(Student)) == 0
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Preference)) == 0
