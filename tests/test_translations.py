"""Every user-visible string has a German translation, and the installed catalogue is current."""
from babel.messages.mofile import read_mo

from scheduler_app.i18n_catalog import TRANSLATIONS, load, missing_translations


def test_every_user_visible_string_has_a_german_translation():
    missing = missing_translations("de")
    assert not missing, f"untranslated (run `flask --app wsgi i18n update`, then translate): {missing}"


def test_compiled_catalogue_matches_the_po_file():
    mo_path = TRANSLATIONS / "de" / "LC_MESSAGES" / "messages.mo"
    assert mo_path.exists(), "messages.mo missing: `pip install -e .` compiles the catalogues"
    def hashable(value):  # plural messages: a list (from the .mo) or a tuple (from the .po) of forms
        return tuple(value) if isinstance(value, (list, tuple)) else value

    with mo_path.open("rb") as handle:
        compiled = {hashable(message.id): hashable(message.string) for message in read_mo(handle) if message.id}
    source = {hashable(message.id): hashable(message.string) for message in load("de") if message.id and not message.fuzzy}
    assert compiled == source, "messages.mo is stale: run `pip install -e .` or `flask --app wsgi i18n update`"


def test_pages_are_german_by_default_and_english_on_request(client):
    assert "Anmelden" in client.get("/").text
    client.post("/language/en")
    assert "Sign in" in client.get("/").text
