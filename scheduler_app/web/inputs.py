"""What a request may bring in, checked once for every view: ids within the database's integer
range, text without control characters, forms rather than JSON.

- ``<int:…>`` in every route is :class:`IdConverter`: ASCII digits up to 2^31 − 1 (PostgreSQL's
  ``INTEGER``; SQLite's 2^63 is wider), so an id beyond any row is a 404 before a view runs.
- Query strings, form fields and upload file names pass through :class:`CleanParameters`, which
  removes control characters (PostgreSQL refuses NUL; see ``domain/text.py``), the same on every
  database and for every field, present or future.
- A form body that cannot be read (not UTF-8, a broken multipart) answers 400; Werkzeug would
  read it as an empty form, which some forms accept (an invitation accepted without a password).
- JSON bodies answer 415: Flask-WTF would read them as form data of any type (numbers, lists,
  objects), and no view takes JSON.
"""
from __future__ import annotations

import re

from flask import Flask, Request
from werkzeug.datastructures import FileStorage, ImmutableMultiDict, MultiDict
from werkzeug.exceptions import BadRequest, UnsupportedMediaType
from werkzeug.formparser import FormDataParser
from werkzeug.routing import IntegerConverter

from scheduler_app.domain.text import without_control_characters

MAX_ID = 2**31 - 1  # the largest value of an INTEGER column on PostgreSQL
_ID = re.compile(r"[0-9]{1,10}")


class IdConverter(IntegerConverter):
    """``<int:…>``: the ids a table can hold, written in ASCII digits; anything else is a 404."""

    regex = r"[0-9]+"

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def parse_id(text: str | None) -> int | None:
    """An id typed or chosen in a form (e.g. a wish's offer), or None if it cannot be one."""
    if not text or not _ID.fullmatch(text):
        return None
    value = int(text)
    return value if value <= MAX_ID else None


def _clean(value):
    if isinstance(value, str):
        return without_control_characters(value)
    if isinstance(value, FileStorage) and value.filename:
        value.filename = without_control_characters(value.filename)
    return value


class CleanParameters(ImmutableMultiDict):
    """The request's ``args``, ``form`` and ``files`` without control characters in keys, values
    and file names."""

    def __init__(self, mapping=None):
        raw = MultiDict(mapping) if mapping is not None else MultiDict()
        super().__init__([(_clean(key), _clean(value)) for key, value in raw.items(multi=True)])


class StrictFormDataParser(FormDataParser):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, silent=False, **kwargs)


class CleanRequest(Request):
    parameter_storage_class = CleanParameters
    form_data_parser_class = StrictFormDataParser

    def _load_form_data(self) -> None:
        try:
            super()._load_form_data()
        except ValueError:
            self.__dict__["form"], self.__dict__["files"] = CleanParameters(), CleanParameters()
            raise BadRequest() from None

    def get_json(self, *args, **kwargs):
        raise UnsupportedMediaType()


def register(app: Flask) -> None:
    """Before any route is added: every ``<int:…>`` becomes an :class:`IdConverter`."""
    app.url_map.converters["int"] = IdConverter
    app.request_class = CleanRequest
