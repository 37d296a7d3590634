"""/api/v1/apps/<app>/logs: recent lines, or a live stream with ?tail=1 (text/plain)."""
from __future__ import annotations

from flask import Blueprint, Response, request, stream_with_context

from paas.errors import InvalidInput
from paas.server.auth import require_token, services

bp = Blueprint("logs", __name__)
bp.before_request(require_token)


@bp.get("/apps/<name>/logs")
def logs(name: str):
    services().apps.get(name)
    lines = request.args.get("lines", default=100, type=int)
    if lines is None or not 1 <= lines <= 10000:
        raise InvalidInput("lines must be a number from 1 to 10000")
    if request.args.get("tail") in ("1", "true"):
        stream = services().logs.follow(name, lines)
        return Response(stream_with_context(line + "\n" for line in stream),
                        mimetype="text/plain", headers={"X-Accel-Buffering": "no"})
    return Response("".join(line + "\n" for line in services().logs.recent(name, lines)),
                    mimetype="text/plain")
