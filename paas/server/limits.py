"""Keeping the API available: a cap on long-lived requests, and noticing a client that left.

The API runs in one gunicorn process with PAAS_API_STREAMS + 16 threads. A log tail, a live
stream, a push or a change that deploys holds its thread for seconds to an hour; short requests
(health, reads) must always find one. So `LongRequests` counts the requests that may last
(anything but a plain GET, and GETs that stream) and answers 503 beyond the cap, leaving the
remaining threads to short requests. A stream releases its slot when its body is closed, which
gunicorn does when the response ends or the client is gone.

`client_gone(environ)` peeks at the client's socket without reading it, so a stream that has
nothing to send (a quiet log tail, a silent `run`) can still end when its client left.
"""
from __future__ import annotations

import json
import socket
import threading
from typing import Callable, Iterable

STREAM_SUFFIXES = ("/logs/stream",)  # the dashboard's server-sent events


def is_long(environ) -> bool:
    """Might this request hold its thread for long? Pushes, changes (they deploy), log tails,
    live streams."""
    method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "")
    if path.startswith("/git/"):
        return method != "GET"  # info/refs is quick; the packs are not
    if method not in ("GET", "HEAD", "OPTIONS"):
        return True
    query = environ.get("QUERY_STRING", "")
    if path.endswith("/logs") and any(p in ("tail=1", "tail=true") for p in query.split("&")):
        return True
    return path.endswith(STREAM_SUFFIXES) and not path.startswith("/api/")


class LongRequests:
    """WSGI middleware: at most `cap` long-lived requests at once; 503 beyond."""

    def __init__(self, app, cap: int, is_long: Callable[[dict], bool] = is_long) -> None:
        self.app, self.cap, self.is_long = app, cap, is_long
        self.active = 0
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        if not self.is_long(environ):
            return self.app(environ, start_response)
        with self._lock:
            if self.active >= self.cap:
                busy = True
            else:
                busy, self.active = False, self.active + 1
        if busy:
            return _busy(start_response, self.cap)
        try:
            body = self.app(environ, start_response)
        except BaseException:
            self._release()
            raise
        return _Releasing(body, self._release)

    def _release(self) -> None:
        with self._lock:
            self.active -= 1


def _busy(start_response, cap: int):
    body = json.dumps({"id": "busy", "message": f"the API already serves {cap} long-lived "
                       "requests (log tails, streams, pushes, deploys; PAAS_API_STREAMS): "
                       "try again in a moment"}).encode()
    start_response("503 Service Unavailable", [("Content-Type", "application/json"),
                                               ("Retry-After", "5"),
                                               ("Content-Length", str(len(body)))])
    return [body]


class _Releasing:
    """The response body; closing it (WSGI servers always do) frees the request's slot once."""

    def __init__(self, body: Iterable[bytes], release: Callable[[], None]) -> None:
        self.body, self.release, self.done = body, release, False

    def __iter__(self):
        return iter(self.body)

    def close(self) -> None:
        try:
            getattr(self.body, "close", lambda: None)()
        finally:
            if not self.done:
                self.done = True
                self.release()


def client_gone(environ) -> bool:
    """True when the client has closed its connection (gunicorn and werkzeug's server put the
    socket in the environ; without one, nobody can tell, so False)."""
    sock = environ.get("gunicorn.socket") or environ.get("werkzeug.socket")
    if sock is None:
        return False
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False  # connected, nothing sent: still there
    except OSError:
        return True
