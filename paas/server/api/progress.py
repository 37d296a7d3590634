"""Long operations (deploy, rollback, restart, scale, config and resource changes, one-offs):
how their progress lines reach the client. Every such route answers through `respond`.

A client that sends `Accept: application/x-ndjson` gets JSON lines as they happen:
`{"line": "..."}` for each line the operation writes, then one verdict, `{"result": {...}}` or
`{"error": {"id": ..., "message": ...}}`. The operation runs in a worker thread, so it finishes
even if the client goes away (as a push does). The status line waits for the first event, up
to GRACE seconds: an error that comes before any progress (bad input, no release yet) is then
an ordinary error answer with its own status; once the stream has begun it is 200 and the
verdict is its last line.

Any other client gets one JSON answer at the end: the result with `output` (the lines), or
the error with them.
"""
from __future__ import annotations

import json
import logging
import queue
import threading
from typing import Callable

from flask import Response, jsonify, request

from paas.errors import PaasError
from paas.server.limits import client_gone

NDJSON = "application/x-ndjson"
GRACE = 2.0  # seconds the status may wait for an operation's first line or early failure
CHECK_SECONDS = 1.0  # how often a silent stream looks whether its client is still there

log = logging.getLogger("paas.api")

# work(on_line) -> the result object. It runs outside the request (in a worker thread when
# streaming), so it must take what it needs from the request before: services, g.token_name.
Work = Callable[[Callable[[str], None]], dict]


def wants_stream() -> bool:
    return request.accept_mimetypes.best_match(["application/json", NDJSON]) == NDJSON


def respond(work: Work, status: int = 200):
    if wants_stream():
        return _stream(work)
    lines: list[str] = []
    try:
        result = work(lines.append)
    except PaasError as exc:
        exc.output = lines  # the user sees, say, the release command's output with the error
        raise
    return jsonify({**result, "output": lines}), status


def _stream(work: Work) -> Response:
    events: queue.Queue = queue.Queue()

    def run() -> None:
        try:
            events.put(("result", work(lambda line: events.put(("line", line)))))
        except PaasError as exc:
            events.put(("error", exc))
        except Exception as exc:  # the stream must end with a verdict whatever broke
            log.exception("operation failed")
            events.put(("error", PaasError(f"{type(exc).__name__}: {exc}")))

    threading.Thread(target=run, name="paas-operation", daemon=True).start()
    try:
        first = events.get(timeout=GRACE)
    except queue.Empty:
        first = None
    if first is not None and first[0] == "error":
        raise first[1]  # nothing was streamed yet: an answer with the error's own status

    environ = request.environ

    def next_event():
        # The operation goes on without its client (as a push does); the thread does not wait.
        while True:
            try:
                return events.get(timeout=CHECK_SECONDS)
            except queue.Empty:
                if client_gone(environ):
                    return None

    def body():
        event = first if first is not None else next_event()
        while event is not None:
            kind, value = event
            yield json.dumps({kind: value.to_dict() if kind == "error" else value}) + "\n"
            if kind != "line":
                return
            event = next_event()

    return Response(body(), mimetype=NDJSON,
                    headers={"X-Accel-Buffering": "no", "Cache-Control": "no-cache"})
