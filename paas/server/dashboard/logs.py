"""The live log tail: a page, and the server-sent events stream its EventSource reads.

A stream holds one of gunicorn's threads, so it ends when the client has gone (found by
writing: a comment is sent after HEARTBEAT_SECONDS of silence) and after STREAM_SECONDS at
most; EventSource then reconnects by itself with the id of the last line it got, and lines up
to that one are not sent again.
"""
from __future__ import annotations

import time

from flask import Blueprint, Response, current_app, render_template, request

from paas.server.api.inputs import query_int
from paas.server.dashboard.common import services
from paas.server.dashboard.session import passive

STREAM_SECONDS = 600
HEARTBEAT_SECONDS = 5
RECONNECT_MS = 2000
BACKLOG = 200

bp = Blueprint("logs", __name__)


def event(line: str) -> str:
    """One SSE event; the id is the line's time, `<iso time> source: text`."""
    flat = line.replace("\r", " ").replace("\n", " ")
    return f"id: {flat.split(' ', 1)[0]}\ndata: {flat}\n\n"


def newer(lines: list[str], after: str) -> list[str]:
    # ISO 8601 times in one format and zone compare as strings.
    return [l for l in lines if l.split(" ", 1)[0] > after] if after else lines


@bp.get("/apps/<name>/logs")
def page(name: str):
    services().apps.get(name)
    return render_template("logs.html", name=name, backlog=BACKLOG)


@bp.get("/apps/<name>/logs/stream")
@passive
def stream(name: str):
    services().apps.get(name)
    lines = query_int("lines", BACKLOG, 1, 1000)
    after = request.headers.get("Last-Event-ID", "").strip()
    polls = services().logs.polls(name, lines, current_app.config["PAAS_LOG_STREAM_SECONDS"])
    heartbeat = current_app.config["PAAS_LOG_HEARTBEAT_SECONDS"]

    def events():
        yield f"retry: {RECONNECT_MS}\n\n"
        quiet = time.monotonic()
        try:
            for batch in polls:
                fresh = newer(batch, after)
                if fresh:
                    yield "".join(event(line) for line in fresh)
                    quiet = time.monotonic()
                elif time.monotonic() - quiet >= heartbeat:
                    yield ": still here\n\n"
                    quiet = time.monotonic()
        finally:
            polls.close()  # also when the server closes us because the client went away

    return Response(events(), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
