"""Custom domains: extra host names an app is served at, besides `<app>.<PAAS_DOMAIN>`.

A domain belongs to one app; it is checked before nginx sees it, and nginx -t checks the
result; a change re-routes the running containers without restarting them.
"""
from __future__ import annotations

from typing import Callable

from paas.domain.claims import refusal
from paas.domain.names import validate_domain
from paas.errors import Conflict, Forbidden, NotFound
from paas.ports import Store
from paas.services.deploy import Deployer
from paas.services.router import Router
from paas.services.scheduler import Scheduler
from paas.settings import Settings


class Domains:
    def __init__(self, settings: Settings, store: Store, scheduler: Scheduler, router: Router,
                 deployer: Deployer) -> None:
        self.settings = settings
        self.store = store
        self.scheduler = scheduler
        self.router = router
        self.deployer = deployer
        self.changed: Callable[[], None] = lambda: None  # certificates look for new domains

    def list(self, app: str) -> list[str]:
        return self.router.server_names(app)

    def add(self, app: str, domain: str) -> list[str]:
        domain = validate_domain(domain)
        suffix = f".{self.settings.domain}"
        if domain.endswith(suffix) and self.store.get_app(domain.removesuffix(suffix)):
            raise Conflict(f"domain {domain} is the default host of app {domain.removesuffix(suffix)}")
        why = refusal(domain, app, self.settings.domain, self.settings.api_host)
        if why is not None:
            raise Forbidden(f"domain refused: {why}")
        with self.deployer.lock(app):
            self.store.add_domain(app, domain)
            try:
                self.reroute(app)
            except Exception:
                self.store.remove_domain(app, domain)
                raise
        self.deployer.events.write(app, "domains", f"added {domain}")
        self.changed()
        return self.list(app)

    def remove(self, app: str, domain: str) -> list[str]:
        domain = validate_domain(domain)
        with self.deployer.lock(app):
            if not self.store.remove_domain(app, domain):
                raise NotFound(f"{app} has no domain {domain}")
            self.reroute(app)
        self.deployer.events.write(app, "domains", f"removed {domain}")
        return self.list(app)

    def reroute(self, app: str) -> None:
        """Re-render the app's nginx file (domains or certificates changed); no restart."""
        if self.store.current_release(app) is not None or self.router.proxy.read_app(app):
            self.router.route(app, self.scheduler.web_addresses(self.scheduler.running(app)))
