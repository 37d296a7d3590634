"""Whether a TCP port of this host has a listener: a bind without SO_REUSEPORT fails then.

The router listens with SO_REUSEPORT (for its handover, paas.server.handover), so a second
platform configured with the same port by mistake would bind beside it and take half of its
connections instead of failing: `make up` asks here first.
"""
from __future__ import annotations

import errno
import socket


def taken(port: int, host: str = "0.0.0.0") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is no listener
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return True
            raise
    return False
