"""Routing decisions: which host names and upstreams an app's nginx file carries."""
from __future__ import annotations

import time
from typing import Callable

from paas.domain.address import order, upstream
from paas.domain.certs import CONTROL, routes, serving
from paas.ports import Proxy, Store
from paas.render.nginx import render_app, render_control
from paas.settings import Settings

CONTROL_FILE = "control"


class Router:
    def __init__(self, settings: Settings, proxy: Proxy, store: Store,
                 thumbprint: Callable[[], str | None] = lambda: None) -> None:
        self.settings = settings
        self.proxy = proxy
        self.store = store
        self.thumbprint = thumbprint  # the ACME account's, for HTTP-01 answers (None: no ACME)

    def default_host(self, app: str) -> str:
        return f"{app}.{self.settings.domain}"

    def server_names(self, app: str) -> list[str]:
        return [self.default_host(app), *self.store.list_domains(app)]

    def render(self, app: str, host_ports: list[int]) -> str:
        # Ports on bind_host (one host) or Addresses of swarm nodes: the router takes both.
        upstreams = [upstream(p, self.settings.bind_host) for p in sorted(host_ports, key=order)]
        names, options = self.server_names(app), self.store.get_tls(app)
        return render_app(app=app, server_names=names, upstreams=upstreams,
                          http_port=self.settings.http_port, https_port=self.settings.https_port,
                          routes=routes(names, self.store.list_certs(app), options, time.time()),
                          hsts=options.hsts, thumbprint=self.thumbprint())

    def render_control(self) -> str | None:
        """The control plane's server blocks at PAAS_API_HOST, or None when it is not set."""
        host = self.settings.api_host
        if not host:
            return None
        cert = serving(self.store.list_certs(CONTROL), time.time()).get(host)
        return render_control(
            host=host, api=f"{self.settings.bind_host}:{self.settings.api_port}",
            http_port=self.settings.http_port, https_port=self.settings.https_port,
            site=(host, cert.cert_path, cert.key_path) if cert else None,
            thumbprint=self.thumbprint())

    def ensure_control(self) -> bool:
        """Bring the control plane's file to what it should be; True if it changed."""
        text = self.render_control()
        current = self.proxy.read_platform(CONTROL_FILE)
        if text == current:
            return False
        if text is None:
            self.proxy.remove_platform(CONTROL_FILE)
        else:
            self.proxy.apply_platform(CONTROL_FILE, text)
        return True

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
