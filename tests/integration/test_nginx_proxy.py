"""The real nginx, run by NginxProxy on loopback: route, refuse a broken file, run two side by side."""
from __future__ import annotations

import http.server
import threading

import pytest

from paas.adapters.nginx_proxy import NginxProxy, RouterError
from paas.render.nginx import render_app
from tests.support import free_port, http_get


class Backend:
    def __init__(self, body: str) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                data = f"{body} host={self.headers['Host']} xff={self.headers['X-Forwarded-For']}".encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def backend():
    b = Backend("backend-one")
    yield b
    b.close()


def make_proxy(path):
    proxy = NginxProxy(path, free_port(), listen="127.0.0.1")
    proxy.ensure_running()
    return proxy


@pytest.fixture
def proxy(tmp_path):
    p = make_proxy(tmp_path / "nginx")
    yield p
    p.stop()


def app_text(proxy, app, ports):
    return render_app(app=app, server_names=[f"{app}.localhost"], http_port=proxy.http_port,
                      listen="127.0.0.1", upstreams=[f"127.0.0.1:{p}" for p in ports])


def url(proxy):
    return f"http://127.0.0.1:{proxy.http_port}/"


def test_routes_by_host_and_404s_unknown_hosts(proxy, backend):
    assert proxy.is_running()
    proxy.apply_app("hello", app_text(proxy, "hello", [backend.port]))
    status, body = http_get(url(proxy), host="hello.localhost")
    assert status == 200 and body.startswith("backend-one host=hello.localhost xff=127.0.0.1")
    assert http_get(url(proxy), host="other.localhost") == (404, "no app is served at this host\n")


def test_app_without_web_process_answers_503(proxy):
    proxy.apply_app("idle", app_text(proxy, "idle", []))
    assert http_get(url(proxy), host="idle.localhost") == (503, "app idle has no running web process\n")


def test_broken_file_is_refused_and_the_previous_one_kept(proxy, backend):
    good = app_text(proxy, "hello", [backend.port])
    proxy.apply_app("hello", good)
    with pytest.raises(RouterError, match="nginx rejected the new config") as err:
        proxy.apply_app("hello", good.replace("proxy_pass", "proxy_pas"))
    assert "unknown directive" in err.value.message and "\n" not in err.value.message
    assert proxy.app_file("hello").read_text() == good
    assert http_get(url(proxy), host="hello.localhost")[0] == 200
    with pytest.raises(RouterError):
        proxy.apply_app("newapp", "server { bogus; }")
    assert not proxy.app_file("newapp").exists()


def test_remove_app_and_stop(proxy, backend):
    proxy.apply_app("hello", app_text(proxy, "hello", [backend.port]))
    proxy.remove_app("hello")
    assert http_get(url(proxy), host="hello.localhost")[0] == 404
    proxy.stop()
    for _ in range(50):
        if not proxy.is_running():
            break
        threading.Event().wait(0.1)
    assert not proxy.is_running()


def test_ensure_running_is_idempotent_and_restarts_a_dead_nginx(proxy, backend):
    proxy.apply_app("hello", app_text(proxy, "hello", [backend.port]))
    proxy.ensure_running()
    assert http_get(url(proxy), host="hello.localhost")[0] == 200
    proxy.stop()
    for _ in range(50):
        if not proxy.is_running():
            break
        threading.Event().wait(0.1)
    proxy.ensure_running()
    assert http_get(url(proxy), host="hello.localhost")[0] == 200


def test_two_instances_side_by_side(tmp_path, backend):
    other_backend = Backend("backend-two")
    one, two = make_proxy(tmp_path / "one"), make_proxy(tmp_path / "two")
    try:
        one.apply_app("hello", app_text(one, "hello", [backend.port]))
        two.apply_app("hello", app_text(two, "hello", [other_backend.port]))
        assert http_get(url(one), host="hello.localhost")[1].startswith("backend-one")
        assert http_get(url(two), host="hello.localhost")[1].startswith("backend-two")
        two.stop()
        assert http_get(url(one), host="hello.localhost")[0] == 200
    finally:
        one.stop()
        two.stop()
        other_backend.close()
