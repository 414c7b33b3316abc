"""Errors the domain raises for rule violations; views show them next to the field they concern."""
from __future__ import annotations


class DomainError(Exception):
    """A rule was broken. ``message`` is an English msgid (translated by the view); ``field`` names
    the form field it belongs to, if any; ``params`` fill placeholders in the message."""

    def __init__(self, message: str, field: str | None = None, **params):
        super().__init__(message % params if params else message)
        self.message = message
        self.field = field
        self.params = params


class NotAllowed(DomainError):
    """The actor may not do this (a view turns it into 403)."""


def N_(message: str) -> str:
    """Mark an English msgid for translation without translating it here (the domain has no locale);
    the view or template translates it with ``_()``."""
    return message
