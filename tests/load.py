"""A bounded load generator for loopback: N keep-alive clients hitting the router, over plain
HTTP or, with `tls_ca`, over HTTPS (SNI = the Host, verified against that CA).

Counts every failure: connection errors, 5xx, timeouts. Like browsers and urllib3 (RFC 9112
§9.3.1), a request that finds its idle keep-alive connection closed under it is retried once on
a fresh connection; that retry is counted apart, not as a failure (DESIGN.md, nginx reloads).
"""
from __future__ import annotations

import http.client
import ssl
import statistics
import threading
import time
from dataclasses import dataclass, field

# A closed TLS connection may also end in an EOF or a close_notify alert.
CLOSED = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError,
          ssl.SSLEOFError, ssl.SSLZeroReturnError)


class TLSConnection(http.client.HTTPSConnection):
    """HTTPS to 127.0.0.1 with another name for SNI and the certificate check."""

    def __init__(self, sni: str, port: int, context: ssl.SSLContext, timeout: float) -> None:
        super().__init__("127.0.0.1", port, timeout=timeout, context=context)
        self.sni = sni

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self.sni)


@dataclass
class Result:
    ok: int = 0
    failed: int = 0
    retried: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    bodies: set[str] = field(default_factory=set)

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) if self.latencies else float("nan")


class Load:
    def __init__(self, port: int, host: str, clients: int = 20, max_seconds: float = 900,
                 path: str = "/", timeout: float = 10, tls_ca: str | None = None) -> None:
        self.port, self.host, self.path, self.timeout = port, host, path, timeout
        self.context = ssl.create_default_context(cafile=tls_ca) if tls_ca else None
        self.clients, self.max_seconds = clients, max_seconds
        self.result = Result()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._client, daemon=True) for _ in range(clients)]

    def __enter__(self) -> "Load":
        self.started = time.monotonic()
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> Result:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=self.timeout + 5)
        self.seconds = time.monotonic() - self.started
        return self.result

    def _connect(self) -> http.client.HTTPConnection:
        if self.context is not None:
            return TLSConnection(self.host, self.port, self.context, self.timeout)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)

    def _client(self) -> None:
        conn = self._connect()
        deadline = time.monotonic() + self.max_seconds
        while not self._stop.is_set() and time.monotonic() < deadline:
            started = time.monotonic()
            try:
                status, body, retried = self._request(conn)
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = self._connect()
                self._record(False, f"{type(exc).__name__}: {exc}")
                continue
            if retried:
                conn = retried
            elapsed = time.monotonic() - started
            with self._lock:
                self.result.retried += bool(retried)
            if status >= 500:
                self._record(False, f"HTTP {status}: {body[:80]}")
            else:
                self._record(True, body=body.strip(), latency=elapsed)
        conn.close()

    def _request(self, conn):
        try:
            return (*self._send(conn), None)
        except CLOSED:
            # The idle keep-alive connection was closed by an old nginx worker: retry once.
            conn.close()
            fresh = self._connect()
            return (*self._send(fresh), fresh)

    def _send(self, conn) -> tuple[int, str]:
        conn.request("GET", self.path, headers={"Host": self.host})
        resp = conn.getresponse()
        return resp.status, resp.read().decode(errors="replace")

    def _record(self, ok: bool, error: str = "", body: str = "", latency: float = 0.0) -> None:
        with self._lock:
            if ok:
                self.result.ok += 1
                self.result.latencies.append(latency)
                self.result.bodies.add(body)
            else:
                self.result.failed += 1
                if len(self.result.errors) < 20:
                    self.result.errors.append(error)
