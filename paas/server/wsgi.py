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
    # A deploy still pending with its app's lock free was cut off by a restart (kill -9,
    # reboot): mark it failed and remove what it left behind before serving anything.
    services.recovery.run()
    threading.Thread(target=services.converger.run_forever, args=(threading.Event(),),
                     name="converge", daemon=True).start()
    threading.Thread(target=services.certs.run_forever, args=(threading.Event(),),
                     name="certs", daemon=True).start()
    if services.backups is not None:
        threading.Thread(target=services.backups.run_forever, args=(threading.Event(),),
                         name="backups", daemon=True).start()
    if services.metrics is not None:
        threading.Thread(target=services.metrics.run_forever, args=(threading.Event(),),
                         name="metrics", daemon=True).start()
    return create_app(settings, services)
