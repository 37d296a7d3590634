"""Issue 15 against the real nginx: a known load with a known share of 500s and a slow route,
counted exactly from the per-app JSON access log, across a log rotation (USR1 reopen) and a
collector restart."""
from __future__ import annotations

import http.server
import re
import threading
import time
import urllib.request

import pytest

from paas.adapters.access_logs import AccessLogs
from paas.adapters.metrics_store import MetricsStore
from paas.adapters.nginx_proxy import NginxProxy
from paas.domain.metrics import access_log_name
from paas.render.nginx import render_app
from paas.services.metrics import Metrics
from paas.settings import Settings
from tests.support import free_port

SLOW = 0.3
LINE = re.compile(rb'\{"t":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d","s":"(200|500)",'
                  rb'"rt":"\d+\.\d{3}","ut":"\d+\.\d{3}"\}')


class Backend:
    def __init__(self) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                if self.path == "/slow":
                    time.sleep(SLOW)
                status = 500 if self.path == "/fail" else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class Apps:
    def list_apps(self):
        return [type("App", (), {"name": "shop"})()]

    def list_releases(self, app):
        return []


@pytest.fixture
def router(tmp_path):
    backend = Backend()
    proxy = NginxProxy(tmp_path / "nginx", free_port(), listen="127.0.0.1")
    proxy.ensure_running()
    log = proxy.prefix / "logs" / access_log_name("shop")
    proxy.apply_app("shop", render_app(
        app="shop", server_names=["shop.localhost"], http_port=proxy.http_port,
        listen="127.0.0.1", upstreams=[f"127.0.0.1:{backend.port}"], access_log=str(log)))
    yield proxy
    proxy.stop()
    backend.server.shutdown()


def send(proxy, paths):
    for path in paths:
        req = urllib.request.Request(f"http://127.0.0.1:{proxy.http_port}{path}",
                                     headers={"Host": "shop.localhost"})
        try:
            urllib.request.urlopen(req, timeout=10).read()
        except urllib.error.HTTPError as exc:
            assert exc.code == 500


def collector(tmp_path, proxy):
    logs = AccessLogs(proxy.prefix / "logs", proxy.reopen_logs, rotate_at=8 * 1024, settle=2.0)
    return Metrics(Settings(home=tmp_path), Apps(), MetricsStore(tmp_path / "paas.db"), logs)


def counted(metrics) -> tuple[int, int]:
    rows = metrics.metrics.requests("shop", 0).values()
    return sum(r.requests for r in rows), sum(r.status["5xx"] for r in rows)


def wait_counted(metrics, expected, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:  # nginx flushes its buffer every 5 s
        metrics.collect_once()
        if counted(metrics)[0] >= expected:
            return counted(metrics)
        time.sleep(0.5)
    return counted(metrics)


def test_a_known_load_is_counted_exactly_across_rotation_and_restart(tmp_path, router):
    log = router.prefix / "logs" / access_log_name("shop")
    before = log.stat().st_ino
    first = ["/fail" if i % 10 == 0 else "/" for i in range(150)] + ["/slow"] * 4
    send(router, first)
    metrics = collector(tmp_path, router)
    assert wait_counted(metrics, len(first)) == (154, 15)
    # 154 lines of ~80 bytes passed the 8 KiB cap: the log was renamed and nginx reopened it
    assert log.stat().st_ino != before
    second = ["/fail" if i % 10 == 0 else "/" for i in range(100)]
    send(router, second)
    restarted = collector(tmp_path, router)  # the control plane restarted meanwhile
    assert wait_counted(restarted, 254) == (254, 25)
    restarted.collect_once()  # nothing more arrives: a later pass adds nothing
    assert counted(restarted) == (254, 25)

    doc = restarted.series("shop", "1h")
    assert sum(doc["requests"]) == 254 and sum(doc["status"]["5xx"]) == 25
    p99 = [v for v in doc["latency_ms"]["total"]["p99"] if v is not None]
    assert max(p99) >= SLOW * 1000
    # What nginx wrote has the exact shape the collector reads without a JSON parser.
    written = log.read_bytes().splitlines()
    assert len(written) == 100 and all(LINE.fullmatch(w) for w in written), written[:3]
