"""Routing decisions: which host names and upstreams an app's nginx file carries."""
from __future__ import annotations

from paas.ports import Proxy
from paas.render.nginx import render_app
from paas.settings import Settings


class Router:
    def __init__(self, settings: Settings, proxy: Proxy) -> None:
        self.settings = settings
        self.proxy = proxy

    def server_names(self, app: str) -> list[str]:
        return [f"{app}.{self.settings.domain}"]

    def route(self, app: str, host_ports: list[int]) -> None:
        upstreams = [f"{self.settings.bind_host}:{port}" for port in sorted(host_ports)]
        self.proxy.apply_app(app, render_app(app=app, server_names=self.server_names(app),
                                             upstreams=upstreams, http_port=self.settings.http_port))

    def unroute(self, app: str) -> None:
        self.proxy.remove_app(app)
