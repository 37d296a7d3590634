"""Entry point for gunicorn: `gunicorn 'paas.server.wsgi:application()'`.

A factory rather than a module-level app, so importing this module does no work."""
from __future__ import annotations

from paas.server.app import create_app
from paas.settings import Settings


def application():
    settings = Settings.from_env()
    app = create_app(settings)
    return app
