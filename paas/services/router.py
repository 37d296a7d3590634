"""Routing decisions: which host names and upstreams an app's nginx file carries."""
from __future__ import annotations

import time
from typing import Callable

from paas.domain.certs import CONTROL, routes, serving
from paas.domain.metrics import access_log_name
from paas.ports import Proxy, Store
from paas.render.nginx import render_app, render_control
from paas.services.metrics import access_log_dir
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

    def render(self, app: str, addresses: list[str], backups: list[str] = ()) -> str:
        """`addresses` (host:port) are where the web processes answer: each container's own
        address on its app network, so requests skip Docker's userland proxy. `backups` only
        take requests that none of them can (a deploy's old containers while the new settle)."""
        upstreams = sorted(addresses)
        names, options = self.server_names(app), self.store.get_tls(app)
        return render_app(app=app, server_names=names, upstreams=upstreams,
                          backups=sorted(set(backups) - set(addresses)),
                          http_port=self.settings.http_port, https_port=self.settings.https_port,
                          routes=routes(names, self.store.list_certs(app), options, time.time()),
                          hsts=options.hsts, thumbprint=self.thumbprint(),
                          access_log=str(access_log_dir(self.settings) / access_log_name(app)),
                          # Web processes on swarm nodes: a node may die under them.
                          remote=self.settings.scheduler == "swarm")

    def render_control(self) -> str | None:
        """The control plane's server blocks at PAAS_API_HOST, or None when it is not set."""
        host = self.settings.api_host
        if not host:
            return None
        cert = serving(self.store.list_certs(CONTROL), time.time()).get(host)
        return render_control(
            host=host, api=self.settings.api_local,
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

    def route(self, app: str, addresses: list[str], backups: list[str] = ()) -> None:
        self.proxy.apply_app(app, self.render(app, addresses, backups))

    def ensure(self, app: str, addresses: list[str], backups: list[str] = ()) -> bool:
        """Route only when the app's file differs from what it should be; True if it did.
        (A reload costs every app: old nginx workers close their idle keep-alive connections.)"""
        text = self.render(app, addresses, backups)
        if self.proxy.read_app(app) == text:
            return False
        self.proxy.apply_app(app, text)
        return True

    def unroute(self, app: str) -> None:
        self.proxy.remove_app(app)
