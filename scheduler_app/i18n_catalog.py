"""Keeping the German catalogue complete: extract every user-visible string and merge it into the .po.

``flask i18n update`` runs :func:`update_catalogue`; a test uses :func:`missing_translations` so that
a string without a German translation fails the suite.
"""
from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from scheduler_app._build import compile_catalogues
from scheduler_app.config import PROJECT_ROOT

TRANSLATIONS = PROJECT_ROOT / "scheduler_app" / "translations"
KEYWORDS = {
    "_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
    "DomainError": None, "NotAllowed": None, "N_": None,
}
METHOD_MAP = [("scheduler_app/**.py", "python"), ("templates/**.html", "jinja2"), ("templates/mail/**.txt", "jinja2")]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"},
           "templates/mail/**.txt": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}


def extract() -> Catalog:
    catalog = Catalog(project="scheduler_app", domain="messages")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(PROJECT_ROOT), METHOD_MAP, OPTIONS, keywords=KEYWORDS, strip_comment_tags=True,
        directory_filter=lambda path: ".venv" not in Path(path).parts and "node_modules" not in Path(path).parts,
    ):
        if isinstance(message, tuple) and not message[0]:
            continue
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def load(locale: str) -> Catalog:
    with po_path(locale).open("rb") as handle:
        return read_po(handle, locale=locale)


def update_catalogue(locale: str = "de") -> tuple[int, list[str]]:
    """Merge newly extracted strings into the locale's .po and compile it; returns (total, untranslated msgids)."""
    template = extract()
    catalog = load(locale)
    catalog.update(template, no_fuzzy_matching=True)
    catalog.obsolete.clear()
    _save(locale, catalog)
    return len(template), missing_translations(locale, template)


def fill_catalogue(locale: str, translations: dict[str, str]) -> tuple[int, list[str]]:
    """Set msgstrs from ``translations`` (msgid → text; for a plural, singular msgid → [singular, plural]),
    save and compile; returns (set, still missing)."""
    update_catalogue(locale)
    catalog = load(locale)
    filled = 0
    for message in catalog:
        plural = isinstance(message.id, tuple)
        key = message.id[0] if plural else message.id
        if key and key in translations and isinstance(translations[key], list) == plural:
            message.string = tuple(translations[key]) if plural else translations[key]
            message.flags.discard("fuzzy")
            filled += 1
    _save(locale, catalog)
    return filled, missing_translations(locale)


def _save(locale: str, catalog: Catalog) -> None:
    with po_path(locale).open("wb") as handle:
        write_po(handle, catalog, sort_output=True, omit_header=False, width=100, include_lineno=False)
    compile_catalogues(TRANSLATIONS)


def missing_translations(locale: str = "de", template: Catalog | None = None) -> list[str]:
    template = template or extract()
    catalog = load(locale)
    missing = []
    for message in template:
        if not message.id:
            continue
        translated = catalog.get(message.id, context=message.context)
        strings = translated.string if translated is not None else None
        if translated is None or translated.fuzzy or not (all(strings) if isinstance(strings, tuple) else strings):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing
