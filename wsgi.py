"""WSGI entry point: ``gunicorn wsgi:app`` in production, ``flask --app wsgi …`` for commands."""
from scheduler_app.factory import create_app

app = create_app()
