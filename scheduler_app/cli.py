"""Command-line boundary: each command is one transaction, committed once at the end."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from scheduler_app.domain import accounts
from scheduler_app.domain.errors import DomainError
from scheduler_app.extensions import db
from scheduler_app.models_base import utc_now

users = AppGroup("users", help="Manage user accounts.")


@users.command("create-coordinator")
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.option("--agency", default="Koordinierungsstelle", show_default=True, help="Name of the coordinating agency.")
@click.password_option()
def create_coordinator(email: str, name: str, agency: str, password: str) -> None:
    """Create a coordinator who signs in with e-mail and password."""
    try:
        user = accounts.create_coordinator(email, name, password, agency, utc_now())
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Coordinator {user.email} created.")




i18n = AppGroup("i18n", help="Maintain the translation catalogues.")


@i18n.command("update")
def update_translations() -> None:
    """Extract user-visible strings and merge them into the German catalogue; list untranslated ones."""
    from scheduler_app.i18n_catalog import update_catalogue

    total, missing = update_catalogue("de")
    click.echo(f"{total} strings, {len(missing)} without German translation.")
    for msgid in missing:
        click.echo(f"  {msgid}")


@i18n.command("fill")
@click.argument("translations", type=click.File("r", encoding="utf-8"))
def fill_translations(translations) -> None:
    """Set German translations from a JSON object {msgid: German text}, then compile."""
    import json

    from scheduler_app.i18n_catalog import fill_catalogue

    filled, missing = fill_catalogue("de", json.load(translations))
    click.echo(f"{filled} translations set, {len(missing)} still missing.")
    for msgid in missing:
        click.echo(f"  {msgid}")


def register(app: Flask) -> None:
    for group in (users, i18n):
        app.cli.add_command(group)
