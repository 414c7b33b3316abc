"""Where each role lands, and which links its navigation shows."""
from urllib.parse import urlsplit

from flask import url_for


def home_for(user) -> str:
    if user.is_coordinator:
        return url_for("coordinator.dashboard")
    if user.schools:
        return url_for("school.dashboard")
    if user.companies:
        return url_for("company.dashboard")
    return url_for("public.home")


def is_safe_next(target: str | None) -> bool:
    """Only same-site relative paths are followed after sign-in (no open redirect)."""
    if not target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//")
