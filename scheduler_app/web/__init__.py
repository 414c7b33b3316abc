"""The web layer: one blueprint per audience. Views parse, call one domain function, commit, redirect."""


def blueprints():
    from scheduler_app.web.auth import bp as auth
    from scheduler_app.web.company import bp as company
    from scheduler_app.web.coordinator import bp as coordinator
    from scheduler_app.web.delegate import bp as delegate
    from scheduler_app.web.events import bp as events
    from scheduler_app.web.feeds import bp as feeds
    from scheduler_app.web.public import bp as public
    from scheduler_app.web.school import bp as school
    from scheduler_app.web.student import bp as student

    return [public, auth, coordinator, school, company, student, delegate, feeds, events]
