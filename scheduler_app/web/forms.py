"""Form shapes (lengths, formats). Rules beyond shape live in the domain."""
import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, PasswordField
from wtforms.validators import DataRequired, Email, Length, NumberRange

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


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
