"""A job process for tests: ``python -m tests.job_sweeper SETTINGS_JSON NOW [DIE]`` runs every sweep
once as ``flask jobs run --once --now NOW`` would. ``DIE`` makes it die like ``kill -9`` (``os._exit``,
no clean-up, no rollback sent): ``mail:N`` while writing the N-th mail of a due item (mid-transaction),
``send:N`` right after the SMTP server accepted the N-th message (before its result is recorded)."""
from __future__ import annotations

import os
import sys
from datetime import datetime


def main(settings_path: str, now: str, die: str | None) -> None:
    from scheduler_app import delivery, jobs, obligations
    from scheduler_app.domain import employer_events
    from tests.live_server import app_from_settings_file

    if die:
        where, count = die.split(":")
        calls = {"n": 0}

        def dying(original):
            def wrapper(*args, **kwargs):
                if where == "send":
                    result = original(*args, **kwargs)
                calls["n"] += 1
                if calls["n"] >= int(count):
                    os._exit(9)
                return original(*args, **kwargs) if where != "send" else result
            return wrapper

        if where == "mail":  # every module through which the sweeps write mails
            obligations.queue_mail = dying(obligations.queue_mail)
            employer_events.queue_mail = dying(employer_events.queue_mail)
        else:
            delivery.SmtpConnection.send = dying(delivery.SmtpConnection.send)
    app = app_from_settings_file(settings_path)
    for name, count in jobs.run_once(app, datetime.fromisoformat(now)).items():
        print(f"{name}: {count}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
