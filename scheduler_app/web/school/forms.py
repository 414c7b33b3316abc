"""A teacher's forms (shapes only); the rules are the domain's."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from scheduler_app.domain import classes
from scheduler_app.models import CareerDay
from scheduler_app.web.forms import BoundedIntegerField, round_choices

ROSTER_TEXT_MAX_LENGTH = classes.MAX_HEADCOUNT * (classes.NAME_MAX_LENGTH + 2)


class ClassForm(FlaskForm):
    school = SelectField(_l("School"), coerce=int)
    name = StringField(_l("Class"), validators=[InputRequired(_l("Please enter a name.")), Length(max=classes.NAME_MAX_LENGTH)],
                       description=_l("For example “9b”."))
    grade = BoundedIntegerField(_l("Grade"), [InputRequired(_l("Please enter a number."))], minimum=1, maximum=13)
    headcount = BoundedIntegerField(_l("Number of students"), [InputRequired(_l("Please enter a number."))], minimum=1,
                                    maximum=classes.MAX_HEADCOUNT)
    first_round = SelectField(_l("Arrives for round"), coerce=int)
    last_round = SelectField(_l("Stays until round"), coerce=int)
    teacher_name = StringField(_l("Accompanying teacher"), validators=[Optional(), Length(max=classes.TEACHER_MAX_LENGTH)])

    def __init__(self, career_day: CareerDay, schools, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if len(schools) == 1:
            del self.school  # the usual case: nothing to choose
        else:
            self.school.choices = [SelectChoice(school.id, school.name) for school in schools]
        rounds = round_choices(career_day)
        self.first_round.choices = rounds
        self.last_round.choices = rounds
        self.positions = [r.position for r in career_day.rounds]

    def presence(self) -> tuple[int | None, int | None]:
        """None for "from the start" / "until the end", so the class stays the whole day when rounds are added."""
        first, last = self.first_round.data, self.last_round.data
        return (None if first == min(self.positions) else first), (None if last == max(self.positions) else last)

    def fields(self) -> dict:
        first, last = self.presence()
        return dict(name=self.name.data, grade=self.grade.data, headcount=self.headcount.data, first_round=first,
                    last_round=last, teacher_name=self.teacher_name.data)


class AddStudentsForm(FlaskForm):
    names = TextAreaField(_l("Names, one per line"), validators=[
        InputRequired(_l("Please enter at least one name.")), Length(max=ROSTER_TEXT_MAX_LENGTH)],
        description=_l("A first name with an initial or a pseudonym is enough, e.g. “Lena K.”."))


class UploadRosterForm(FlaskForm):
    file = FileField(_l("Roster file (CSV or Excel)"), validators=[FileRequired(_l("Please choose a file."))],
                     description=_l("One column “Name” with a header, or a single column of names. At most 60 names, 1 MB."))


class RenameStudentForm(FlaskForm):
    display_name = StringField(_l("Name"), validators=[InputRequired(_l("Please enter a name.")),
                                                       Length(max=classes.NAME_MAX_LENGTH)])
