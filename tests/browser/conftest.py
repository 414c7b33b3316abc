"""Browser fixtures: the app served by a real HTTP server in a background thread, and a chromium page.

``live_server`` yields ``LiveServer(url, app)``; set up data with ``with live_server.app.app_context():``
(and commit) before the page loads it. ``browser_page`` is a fresh phone-sized page (390×844, German)
in Debian's chromium, driven by Playwright's sync API; tests skip with a message without chromium.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import NamedTuple

import pytest
from werkzeug.serving import make_server

from scheduler_app.config import PROJECT_ROOT
from tests.conftest import settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PHONE_VIEWPORT = {"width": 390, "height": 844}
ARTIFACTS = PROJECT_ROOT / "test-artifacts"


class LiveServer(NamedTuple):
    url: str  # base URL without a trailing slash, e.g. http://127.0.0.1:40123
    app: object


@pytest.fixture
def live_server(tmp_path):
    """The app on a free port of 127.0.0.1, with a file-based SQLite database and CSRF protection on."""
    from scheduler_app.extensions import db
    from scheduler_app.factory import create_app

    app = create_app(settings(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'live.sqlite'}", WTF_CSRF_ENABLED=True))
    with app.app_context():
        db.create_all()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium) to run browser tests")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(browser):
    """A new page with a phone viewport and a German browser; closed after the test."""
    context = browser.new_context(viewport=PHONE_VIEWPORT, locale="de-DE", is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(request):
    """``screenshot(page, "name")`` saves test-artifacts/<test name>-<name>.png (gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def fits_the_phone(page) -> bool:
    """No sideways scrolling. On a mobile viewport ``innerWidth`` grows with overflowing content, so the
    page is compared with the screen's width (``clientWidth``) instead. Measured on the loaded page: a
    button that posts a form may still be navigating when this is called (on a busy machine the old
    document was gone and the new one not there yet), so the measurement waits for the new one."""
    from playwright.sync_api import Error

    for attempt in range(3):
        page.wait_for_load_state("load")
        try:
            return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        except Error:  # the document changed under the measurement: measure the new one
            if attempt == 2:
                raise
    return False
