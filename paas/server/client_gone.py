"""Whether the client of a streaming response has gone: a long stream that writes nothing for a
while (a quiet app's log tail) must not hold a server thread for a client that left."""
from __future__ import annotations

import select
import socket


def client_gone(environ: dict) -> bool:
    """True when the request's connection was closed by the client. Only gunicorn hands the
    socket over (`gunicorn.socket`); elsewhere (tests through WSGI in process) it is never."""
    sock = environ.get("gunicorn.socket")
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        # Readable with nothing to read is an orderly close; data would be a next request.
        return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
    except (OSError, ValueError):  # reset, or already closed on our side
        return True
