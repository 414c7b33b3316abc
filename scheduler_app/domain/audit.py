"""Recording who changed what: every domain workflow that changes data writes one entry."""
from __future__ import annotations

from datetime import datetime

from scheduler_app.extensions import db
from scheduler_app.models import AuditEntry, User


def record(actor: User | None, action: str, obj, now: datetime, **details) -> AuditEntry:
    entry = AuditEntry(
        at=now,
        actor_id=actor.id if actor is not None else None,
        action=action,
        object_type=type(obj).__tablename__,
        object_id=getattr(obj, "id", None),
        details=details or None,
    )
    db.session.add(entry)
    return entry
