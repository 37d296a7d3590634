"""Entry point for gunicorn: `gunicorn 'paas.server.wsgi:application()'`.

A factory rather than a module-level app, so importing this module does no work."""
from __future__ import annotations

import signal
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
    stop = _stop_on_shutdown()
    threading.Thread(target=services.converger.run_forever, args=(stop,),
                     name="converge", daemon=True).start()
    threading.Thread(target=services.certs.run_forever, args=(stop,),
                     name="certs", daemon=True).start()
    if services.backups is not None:
        threading.Thread(target=services.backups.run_forever, args=(stop,),
                         name="backups", daemon=True).start()
    if services.metrics is not None:
        threading.Thread(target=services.metrics.run_forever, args=(stop,),
                         name="metrics", daemon=True).start()
    return create_app(settings, services)


def _stop_on_shutdown() -> threading.Event:
    """Set when gunicorn tells this worker to stop. The worker may take its graceful timeout to
    finish requests; the background loops must not go on meanwhile (convergence would start
    containers again after `make down`, or after a test removed them). gunicorn's own handlers
    still run."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        return stop  # signal handlers can only be set from the main thread
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
        previous = signal.getsignal(signum)
        if not callable(previous):
            continue  # not under a gunicorn worker: leave the default (exit) alone

        def handler(number, frame, previous=previous):
            stop.set()
            previous(number, frame)
        signal.signal(signum, handler)
    return stop
