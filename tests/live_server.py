"""A real server for tests that race requests, and a client that uses it as a person would.

:class:`LiveServer` runs gunicorn (sync workers, a subprocess, 127.0.0.1 on a free port) on the app
built by :func:`app_from_settings_file` from a JSON file of settings the test writes: the developer's
environment is never read. :class:`Browser` signs in through the real forms (CSRF tokens included)
with urllib and a cookie jar, follows no redirects (a POST's own status is the answer), and
:meth:`Browser.copy` gives another tab of the same session. :func:`race` fires requests from
threads released at the same moment.

The ``live_database``, ``live_app`` and ``live_server`` fixtures in ``tests/conftest.py`` wire
these up on the database the suite runs on (a SQLite file, or a throwaway PostgreSQL database when
``TEST_DATABASE_URL`` names PostgreSQL), once per session; each test builds its own rows there. A
test module needing other settings starts its own :class:`LiveServer` on ``live_database``.
"""
from __future__ import annotations

import gc
import html
import http.cookiejar
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import gunicorn

from scheduler_app.config import TestingConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent
WORKER_PATH = "/_live/worker"  # added by app_from_settings_file only: which worker answered
# gunicorn 25+ opens a control socket at one path per user: servers of tests running side by side would share it
CONTROL_SOCKET_OFF = ["--no-control-socket"] if gunicorn.version_info >= (25, 1) else []
T = TypeVar("T")


def app_from_settings_file(path: str):
    """The app for a live server: the testing defaults, then the settings in the JSON file ``path``.
    Errors are handled as in production (TESTING off), so a failure is the app's 500 page."""
    import os

    from sqlalchemy import text

    from scheduler_app.extensions import db
    from scheduler_app.factory import create_app

    settings = {key: getattr(TestingConfig, key) for key in dir(TestingConfig) if key.isupper()}
    settings.update(TESTING=False, WTF_CSRF_ENABLED=True)
    settings.update(json.loads(Path(path).read_text()))
    app = create_app(settings)
    def worker() -> str:
        """Which worker answered; it opens the worker's first database connection on the way, so the
        race's first requests are not slowed (and spread out) by connecting."""
        db.session.execute(text("SELECT 1"))
        return str(os.getpid())

    app.add_url_rule(WORKER_PATH, "live_worker", worker)
    gc.freeze()  # loaded once before the fork (--preload): no worker walks these objects again, not even at exit
    return app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LiveServer:
    """gunicorn with ``workers`` sync workers serving :func:`app_from_settings_file` on ``settings``."""

    def __init__(self, settings: dict, directory: Path, workers: int = 4):
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._settings_path = directory / "live-settings.json"
        self._settings_path.write_text(json.dumps(settings))
        self.log_path = directory / "gunicorn.log"
        self._log = self.log_path.open("wb")
        self._process = subprocess.Popen(
            # --preload: the app is imported once, then forked (create_app opens no connection, so
            # nothing is shared); four imports on a busy 2-core machine took 16 s
            [sys.executable, "-m", "gunicorn", "--preload", "--workers", str(workers), "--worker-class", "sync",
             "--bind", f"127.0.0.1:{self.port}", "--timeout", "60", "--graceful-timeout", "5", "--access-logfile", "-",
             *CONTROL_SOCKET_OFF, f"tests.live_server:app_from_settings_file({str(self._settings_path)!r})"],
            cwd=PROJECT_ROOT, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        try:
            self._wait_for_every_worker(timeout=60)
        except BaseException:
            self.stop()
            raise

    def _wait_for_every_worker(self, timeout: float) -> None:
        """Until every worker has answered once: a race against fewer workers would prove less."""
        deadline = time.monotonic() + timeout
        seen: set[str] = set()
        while len(seen) < self.workers:
            if self._process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self._process.returncode}:\n{self.log()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {len(seen)} of {self.workers} workers answered:\n{self.log()}")
            try:
                answers = race(2 * self.workers, lambda _i: Browser(self.url).get(WORKER_PATH))
            except OSError:
                time.sleep(0.2)
                continue
            seen |= {answer.text for answer in answers if answer.status == 200}

    def warm_up(self, browser: Browser, path: str) -> str:
        """Open ``path`` in ``browser`` on every worker (loads, compiles and renders what the form's
        route needs once per process), so a race's first requests run as fast as the rest and
        really overlap; returns the page's CSRF token. Without it the first, slow requests of cold
        workers spread out and an unguarded check-then-insert could pass by luck."""
        answers = race(3 * self.workers, lambda _i: browser.copy().get(path))
        assert {answer.status for answer in answers} == {200}, [answer.status for answer in answers]
        return browser.csrf_token(path)

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown: the test is over
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._log.close()


@dataclass(frozen=True)
class Answer:
    status: int
    text: str
    location: str | None

    def errors(self) -> list[str]:
        """The error messages on the page (next to fields, or in the summary above a form), as text."""
        fields = re.findall(r'<p class="error"[^>]*>(.*?)</p>', self.text, re.S)
        summaries = re.findall(r'<div class="error-summary"[^>]*>(.*?)</div>', self.text, re.S)
        return [html.unescape(re.sub(r"<[^>]+>", " ", m)).strip() for m in fields + summaries]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 3xx itself is the answer


class Browser:
    """One person's browser: a cookie jar, real forms with their CSRF token, no redirects followed."""

    def __init__(self, base_url: str, cookies: http.cookiejar.CookieJar | None = None):
        self.base_url = base_url
        self.cookies = cookies if cookies is not None else http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirects())

    def copy(self) -> Browser:
        """Another tab of the same browser: the same cookies as now, changed independently from here on."""
        jar = http.cookiejar.CookieJar()
        for cookie in self.cookies:
            jar.set_cookie(cookie)
        return Browser(self.base_url, jar)

    def _open(self, request: urllib.request.Request) -> Answer:
        try:
            with self._opener.open(request, timeout=120) as response:
                return Answer(response.status, response.read().decode("utf-8", "replace"), response.headers.get("Location"))
        except urllib.error.HTTPError as error:
            with error:
                return Answer(error.code, error.read().decode("utf-8", "replace"), error.headers.get("Location"))

    def get(self, path: str, headers: dict | None = None) -> Answer:
        return self._open(urllib.request.Request(self.base_url + path, headers=headers or {}))

    def post(self, path: str, data: dict | list, headers: dict | None = None) -> Answer:
        body = urllib.parse.urlencode(data, doseq=True).encode()
        return self._open(urllib.request.Request(self.base_url + path, data=body, headers=headers or {}, method="POST"))

    def csrf_token(self, form_page: str, headers: dict | None = None) -> str:
        """The CSRF token of the form on ``form_page`` (valid for this session)."""
        answer = self.get(form_page, headers)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', answer.text)
        if match is None:
            raise AssertionError(f"no CSRF token on {form_page} ({answer.status})")
        return match.group(1)

    def submit(self, form_page: str, action: str, data: dict, headers: dict | None = None) -> Answer:
        """Open the form's page, then post ``data`` with its CSRF token to ``action``."""
        return self.post(action, {**data, "csrf_token": self.csrf_token(form_page, headers)}, headers)

    def sign_in(self, email: str, password: str, headers: dict | None = None) -> Answer:
        answer = self.submit("/auth/login", "/auth/login", {"email": email, "password": password}, headers)
        if answer.status != 302:
            raise AssertionError(f"sign-in as {email} answered {answer.status}")
        return answer


def race(count: int, action: Callable[[int], T]) -> list[T]:
    """Run ``action(i)`` for i in 0…count-1 in ``count`` threads released at the same moment."""
    start = threading.Barrier(count)

    def run(index: int) -> T:
        start.wait(timeout=60)
        return action(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(run, index) for index in range(count)]
        return [future.result() for future in futures]
