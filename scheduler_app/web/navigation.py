"""Where each role lands, and which links its navigation shows."""
from urllib.parse import urlsplit

from flask import url_for
from flask_babel import lazy_gettext as _l


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


# The main navigation per role: (endpoint, label). A module that adds a top-level screen adds a line;
# links whose endpoint is not registered (yet) are left out.
ROLE_NAVIGATION = {
    "coordinator": [
        ("coordinator.dashboard", _l("Coordination")),
        ("coordinator.organisations", _l("Schools and companies")),
        ("coordinator.alliances", _l("Alliances")),
        ("coordinator.jobs", _l("Jobs and mail")),
        ("coordinator.employer_events", _l("Employer events")),
    ],
    "school": [("school.dashboard", _l("My school")), ("school.events", _l("Employer events"))],
    "company": [("company.dashboard", _l("My company")), ("company.career_days", _l("Career days")),
                ("company.events", _l("Employer events"))],
}


def navigation_for(user, endpoint: str | None, view_functions) -> list[tuple[str, str, str | None]]:
    """(url, label, aria-current value) for each link the user's roles show: "page" on the page
    itself, "true" elsewhere inside that link's section (the blueprint)."""
    if not user.is_authenticated:
        return []
    roles = [role for role, has in (("coordinator", user.is_coordinator), ("school", user.schools),
                                    ("company", user.companies)) if has]
    shown = [(link_endpoint, label) for role in roles for link_endpoint, label in ROLE_NAVIGATION[role]
             if link_endpoint in view_functions]
    exact = any(link_endpoint == endpoint for link_endpoint, _label in shown)
    section = (endpoint or "").split(".")[0]
    links = []
    for link_endpoint, label in shown:
        if link_endpoint == endpoint:
            current = "page"
        elif not exact and link_endpoint == f"{section}.dashboard":
            current = "true"
        else:
            current = None
        links.append((url_for(link_endpoint), label, current))
    return links
