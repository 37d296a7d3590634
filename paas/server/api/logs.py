"""/api/v1/apps/<app>/logs: recent lines, or a live stream with ?tail=1 (text/plain);
?release=N: the lines of that release's containers only."""
from __future__ import annotations

from flask import Blueprint, Response, request, stream_with_context

from paas.errors import InvalidInput
from paas.server.api.inputs import query_int
from paas.server.auth import require_token, services
from paas.server.limits import client_gone

bp = Blueprint("logs", __name__)
bp.before_request(require_token)


@bp.get("/apps/<name>/logs")
def logs(name: str):
    services().apps.get(name)
    lines = query_int("lines", 100, 1, 10000)
    release = query_int("release", None, 1, 10**9)
    tail = request.args.get("tail", "0")
    if tail not in ("0", "1", "true", "false"):
        raise InvalidInput("tail must be 1 or 0")
    if release is not None:  # a past release's lines: 404 when there is no such release
        if tail in ("1", "true"):
            raise InvalidInput("release and tail=1 cannot go together: follow the current logs")
        services().releases.get(name, release)
        return Response("".join(line + "\n" for line in
                                services().logs.recent(name, lines, release=release)),
                        mimetype="text/plain")
    if tail in ("1", "true"):
        polls, environ = services().logs.polls(name, lines), request.environ

        def follow():
            # A quiet tail writes nothing, so it asks the socket whether its client left
            # (else it would hold a thread for up to FOLLOW_MAX_SECONDS).
            yield ""  # the status and headers now, even when there is no line yet
            try:
                for batch in polls:
                    if batch:
                        yield "".join(line + "\n" for line in batch)
                    elif client_gone(environ):
                        return
            finally:
                polls.close()

        return Response(stream_with_context(follow()), mimetype="text/plain",
                        headers={"X-Accel-Buffering": "no"})
    return Response("".join(line + "\n" for line in services().logs.recent(name, lines)),
                    mimetype="text/plain")
