"""Entry point for gunicorn: `gunicorn 'paas.server.wsgi:application()'`.

A factory rather than a module-level app, so importing this module does no work."""
from __future__ import annotations

import threading

from paas.bootstrap import build_services
from paas.server.app import create_app
from paas.settings import Settings


def application():
    settings = Settings.from_env()
    services = build_services(settings)
    # One worker serves everything, so whatever is still pending was cut off by a restart.
    services.store.fail_interrupted()
    threading.Thread(target=services.converger.run_forever, args=(threading.Event(),),
                     name="converge", daemon=True).start()
    threading.Thread(target=services.certs.run_forever, args=(threading.Event(),),
                     name="certs", daemon=True).start()
    if services.metrics is not None:
        threading.Thread(target=services.metrics.run_forever, args=(threading.Event(),),
                         name="metrics", daemon=True).start()
    return create_app(settings, services)
