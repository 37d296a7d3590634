"""Log tails of a quiet app notice a client that left: more tails opened and dropped than the
API has threads (16) must leave it answering at once, as a fuzzer's or a closed terminal's do."""
from __future__ import annotations

import socket
import time

from tests.support import http_get

TAILS = 24


def open_tail(platform, app: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", platform.api_port), timeout=10)
    sock.sendall(f"GET /api/v1/apps/{app}/logs?tail=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 f"Authorization: Bearer {platform.token}\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:  # the stream has begun: a server thread is on it
        chunk = sock.recv(4096)
        assert chunk, head
        head += chunk
    assert head.startswith(b"HTTP/1.1 200"), head
    return sock


def test_dropped_log_tails_free_their_threads(faulty):
    assert faulty.paas("apps:create", "quiet").returncode == 0
    for _ in range(TAILS):  # one at a time: each must get a thread, so each must free one
        open_tail(faulty, "quiet").close()
    started = time.monotonic()
    status, _ = http_get(f"{faulty.api_url}/api/v1/health", timeout=10)
    assert status == 200 and time.monotonic() - started < 5
