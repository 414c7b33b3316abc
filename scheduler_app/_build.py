"""Build step: compile the translation catalogues (.po → .mo) whenever the package is installed.

Wired in pyproject.toml as setuptools' ``build_py`` command, so ``pip install -e .`` and
``pip install .`` both leave compiled catalogues; nobody compiles them by hand.
"""
from __future__ import annotations

from pathlib import Path

from setuptools.command.build_py import build_py

TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def compile_catalogues(translations: Path = TRANSLATIONS) -> list[Path]:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po_path in sorted(translations.glob("*/LC_MESSAGES/*.po")):
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        mo_path = po_path.with_suffix(".mo")
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        written.append(mo_path)
    return written


class BuildPyWithCatalogues(build_py):
    def run(self):
        compile_catalogues()
        super().run()
