"""The router's handover on real nginx (paas.server.handover's mechanism, without Docker): an
nginx started without SO_REUSEPORT (as a version before it did) takes it by a reload, a second
nginx binds the same port beside it, the first quits, and a keep-alive load sees no failure."""
from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from paas.adapters.nginx_proxy import NginxProxy, RouterError, serving
from paas.adapters.ports import taken
from paas.adapters.sysctl import enable_migrate_req
from paas.domain.certs import Routes
from paas.render.nginx import render_app
from tests.integration.test_nginx_proxy import Backend
from tests.load import Load
from tests.support import free_port


@pytest.fixture
def backend():
    b = Backend("served")
    yield b
    b.close()


class Proxies(list):
    """The nginx processes a test starts, stopped afterwards; called with a name, a new one."""
    def __init__(self, base) -> None:
        super().__init__()
        self.base = base

    def __call__(self, name: str, port: int) -> NginxProxy:
        proxy = NginxProxy(self.base / name, port, listen="127.0.0.1")
        self.append(proxy)
        return proxy


@pytest.fixture
def proxies(tmp_path):
    made = Proxies(tmp_path)
    yield made
    for proxy in made:
        pid = proxy.pid()
        proxy.stop()
        while pid and _alive(pid):
            time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return "Z" not in open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[:1]


def start_without_reuseport(proxy: NginxProxy, app_text: str) -> int:
    """The old version's nginx: the same config but a listen without `reuseport`."""
    proxy.prepare()
    proxy.conf.write_text(proxy.conf.read_text().replace(" reuseport;", ";"))
    proxy.app_file("web").write_text(app_text)
    subprocess.run(["nginx", "-p", str(proxy.prefix), "-c", str(proxy.conf),
                    "-e", str(proxy.prefix / "logs" / "error.log")], check=True)
    deadline = time.monotonic() + 10
    while not (proxy.pid() and serving(proxy.pid())):
        assert time.monotonic() < deadline, "nginx did not start"
        time.sleep(0.05)
    return proxy.pid()


def app(port: int, backend: Backend) -> str:
    return render_app(app="web", server_names=["web.localhost"], http_port=port,
                      listen="127.0.0.1", upstreams=[f"127.0.0.1:{backend.port}"])


def wait_served(load: Load, more: int) -> None:
    target = load.result.ok + more
    deadline = time.monotonic() + 30
    while load.result.ok < target:
        assert time.monotonic() < deadline, load.result.errors[:5]
        time.sleep(0.02)


def test_a_second_nginx_takes_the_port_over_without_a_failed_request(proxies, backend):
    assert enable_migrate_req() is None  # root, Linux >= 5.14: queued connections move
    port = free_port()
    old, new = proxies("old", port), proxies("new", port)
    old_pid = start_without_reuseport(old, app(port, backend))
    with Load(port, "web.localhost", clients=10) as load:
        wait_served(load, 200)
        old.prepare()  # the current config, with reuseport
        assert old.reload()  # ... which the old master sets on the socket it holds
        wait_served(load, 200)
        assert taken(port)  # make up's check sees the port held
        new.prepare()
        new.app_file("web").write_text(app(port, backend))
        new.ensure_running()  # binds beside the old one
        new_pid = new.pid()
        assert new_pid != old_pid
        # A daemon nginx's master forks its workers after the command returns (as make up's
        # handover does, wait for them).
        deadline = time.monotonic() + 10
        while not serving(new_pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert serving(new_pid)
        wait_served(load, 200)
        os.kill(old_pid, signal.SIGQUIT)
        while _alive(old_pid):
            time.sleep(0.02)
        wait_served(load, 500)  # all on the new one now
        result = load.stop()
    print(f"handover: {result.ok} served, {result.retried} retried on a closed idle "
          f"connection, {result.failed} failed")
    assert result.failed == 0, result.errors[:5]
    assert result.bodies == {"served host=web.localhost xff=127.0.0.1"}


def test_without_the_reload_the_second_nginx_cannot_bind(proxies, backend):
    port = free_port()
    old, new = proxies("old", port), proxies("new", port)
    start_without_reuseport(old, app(port, backend))
    new.prepare()
    with pytest.raises(RouterError, match="could not bind"):
        new.ensure_running()


def self_signed(where, name: str) -> tuple[str, str]:
    cert, key = where / "cert.pem", where / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", f"/CN={name}",
                    "-addext", f"subjectAltName=DNS:{name}", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return str(cert), str(key)


def test_https_is_handed_over_too_and_its_port_is_bound_only_while_a_site_is(
        proxies, backend, tmp_path):
    port, tls_port = free_port(), free_port()
    cert, key = self_signed(tmp_path, "web.localhost")
    site = render_app(app="web", server_names=["web.localhost"], http_port=port,
                      https_port=tls_port, listen="127.0.0.1",
                      upstreams=[f"127.0.0.1:{backend.port}"],
                      routes=Routes(plain=(), redirect=(), sites=(("web.localhost", cert, key),)))
    old = NginxProxy(tmp_path / "old", port, listen="127.0.0.1", https_port=tls_port)
    new = NginxProxy(tmp_path / "new", port, listen="127.0.0.1", https_port=tls_port)
    proxies.extend([old, new])
    old_pid = start_without_reuseport(old, site)  # the site's own listen: no reuseport
    assert "ssl_reject_handshake" not in old.conf.read_text()
    with Load(tls_port, "web.localhost", clients=10, tls_ca=cert) as load:
        wait_served(load, 100)
        assert old.prepare()  # now with the HTTPS port's default server and its reuseport
        assert "ssl default_server reuseport;" in old.conf.read_text()
        assert old.reload()
        new.prepare()
        new.app_file("web").write_text(site)
        new.ensure_running()
        assert serving(new.pid())
        wait_served(load, 100)
        os.kill(old_pid, signal.SIGQUIT)
        while _alive(old_pid):
            time.sleep(0.02)
        wait_served(load, 300)
        result = load.stop()
    print(f"https handover: {result.ok} served, {result.retried} retried, {result.failed} failed")
    assert result.failed == 0, result.errors[:5]
    new.remove_app("web")  # the last site on HTTPS: the port is let go
    assert "ssl_reject_handshake" not in new.conf.read_text()
    assert not taken(tls_port) and taken(port)
