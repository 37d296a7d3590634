"""Routing decisions: which host names and upstreams an app's nginx file carries."""
from __future__ import annotations

from paas.ports import Proxy, Store
from paas.render.nginx import render_app
from paas.settings import Settings


class Router:
    def __init__(self, settings: Settings, proxy: Proxy, store: Store) -> None:
        self.settings = settings
        self.proxy = proxy
        self.store = store

    def default_host(self, app: str) -> str:
        return f"{app}.{self.settings.domain}"

    def server_names(self, app: str) -> list[str]:
        return [self.default_host(app), *self.store.list_domains(app)]

    def render(self, app: str, host_ports: list[int]) -> str:
        upstreams = [f"{self.settings.bind_host}:{port}" for port in sorted(host_ports)]
        return render_app(app=app, server_names=self.server_names(app), upstreams=upstreams,
                          http_port=self.settings.http_port)

    def route(self, app: str, host_ports: list[int]) -> None:
        self.proxy.apply_app(app, self.render(app, host_ports))

    def ensure(self, app: str, host_ports: list[int]) -> bool:
        """Route only when the app's file differs from what it should be; True if it did."""
        text = self.render(app, host_ports)
        if self.proxy.read_app(app) == text:
            return False
        self.proxy.apply_app(app, text)
        return True

    def unroute(self, app: str) -> None:
        self.proxy.remove_app(app)
