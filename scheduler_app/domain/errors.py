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


class DomainErrors(DomainError):
    """Several rule violations found together (a form shows each next to its field): ``errors``."""

    def __init__(self, errors: list[DomainError]):
        first = errors[0]
        super().__init__(first.message, first.field, **first.params)
        self.errors = errors


class Collector:
    """Checks a form's rules all at once: ``with collector.check(): …`` records the DomainError a
    block raises and goes on; :meth:`raise_any` raises them together (one stays a plain DomainError)."""

    def __init__(self):
        self.errors: list[DomainError] = []

    def check(self):
        return _Recording(self)

    def add(self, error: DomainError) -> None:
        self.errors.append(error)

    def raise_any(self) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise DomainErrors(self.errors)


class _Recording:
    def __init__(self, collector: Collector):
        self.collector = collector

    def __enter__(self):
        return self

    def __exit__(self, kind, error, _traceback):
        if isinstance(error, DomainError) and not isinstance(error, NotAllowed):
            self.collector.errors.extend(getattr(error, "errors", [error]))
            return True
        return False


def each(error: DomainError) -> list[DomainError]:
    """The single errors inside ``error`` (itself, unless it carries several)."""
    return list(getattr(error, "errors", [error]))


class NotAllowed(DomainError):
    """The actor may not do this (a view turns it into 403)."""


def N_(message: str) -> str:
    """Mark an English msgid for translation without translating it here (the domain has no locale);
    the view or template translates it with ``_()``."""
    return message
