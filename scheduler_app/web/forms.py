"""What every blueprint's forms share: field types and base classes. Each blueprint keeps its own forms
(``web/<blueprint>/forms.py``, or beside the views of a one-module blueprint); forms check shapes
(lengths, formats), the domain checks rules."""
import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import IntegerField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange

from scheduler_app.domain import dates

_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,12}")


class BoundedIntegerField(IntegerField):
    """A whole number from ``minimum`` to ``maximum``. Anything else (letters, decimals, a number of
    5,000 digits, which ``int()`` refuses with an error of its own) is the field error "Please enter
    a number between … and …"; an empty field is left to the required/optional validators."""

    def __init__(self, label=None, validators=None, *, minimum: int, maximum: int, **kwargs):
        self.range_message = _l("Please enter a number between %(low)d and %(high)d.", low=minimum, high=maximum)
        super().__init__(label, [*(validators or []), NumberRange(minimum, maximum, self.range_message)], **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = valuelist[0].strip()
        if not _WHOLE_NUMBER.fullmatch(text):
            self.data = None
            raise ValueError(self.range_message)
        self.data = int(text)


def round_choices(career_day) -> list[SelectChoice]:
    """The day's rounds as choices: "Runde 2 (09:45–10:30)", the value the round's position."""
    return [SelectChoice(r.position, _("Round %(n)d (%(starts)s–%(ends)s)", n=r.position,
                                       starts=dates.time(r.starts_at), ends=dates.time(r.ends_at)))
            for r in career_day.rounds]
