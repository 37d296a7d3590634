"""/api/v1/apps/<app>/logs: recent lines, or a live stream with ?tail=1 (text/plain)."""
from __future__ import annotations

from typing import Iterator

from flask import Blueprint, Response, request, stream_with_context

from paas.errors import InvalidInput
from paas.server.api.inputs import query_int
from paas.server.auth import require_token, services
from paas.server.client_gone import client_gone

bp = Blueprint("logs", __name__)
bp.before_request(require_token)


@bp.get("/apps/<name>/logs")
def logs(name: str):
    services().apps.get(name)
    lines = query_int("lines", 100, 1, 10000)
    tail = request.args.get("tail", "0")
    if tail not in ("0", "1", "true", "false"):
        raise InvalidInput("tail must be 1 or 0")
    if tail in ("1", "true"):
        return Response(stream_with_context(_follow(name, lines, request.environ)),
                        mimetype="text/plain", headers={"X-Accel-Buffering": "no"})
    return Response("".join(line + "\n" for line in services().logs.recent(name, lines)),
                    mimetype="text/plain")


def _follow(name: str, lines: int, environ: dict) -> Iterator[str]:
    """New lines as they come. A quiet app writes nothing, so a client that left would only be
    noticed at the next line: between polls the socket is asked, and the stream ends (freeing
    its server thread) once the client has closed it."""
    yield ""  # the status and headers now, before the first line (which may be long coming)
    for batch in services().logs.polls(name, lines):
        if not batch and client_gone(environ):
            return
        for line in batch:
            yield line + "\n"
