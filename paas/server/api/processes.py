"""/api/v1/apps/<app>/ps and /resources: processes, scaling, restarts, resource limits."""
from __future__ import annotations

import json
import queue
import threading
from dataclasses import asdict

from flask import Blueprint, Response, jsonify

from paas.errors import InvalidInput, PaasError
from paas.server.api.apps import json_body
from paas.server.api.releases import Progress
from paas.server.auth import require_token, services
from paas.services.processes import parse_scale

bp = Blueprint("processes", __name__)
bp.before_request(require_token)


@bp.get("/apps/<name>/ps")
def ps(name: str):
    services().apps.get(name)
    return jsonify({"formation": services().store.get_formation(name),
                    "processes": [asdict(p) for p in services().processes.ps(name)]})


@bp.post("/apps/<name>/ps/scale")
def scale(name: str):
    services().apps.get(name)
    body = json_body()
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in body.values()):
        raise InvalidInput('expected {"TYPE": N, ...} with whole numbers')
    changes = parse_scale([f"{k}={v}" for k, v in body.items()])  # the CLI's rules
    with Progress() as progress:
        formation = services().processes.scale(name, changes, progress)
    return jsonify({"formation": formation, "output": progress.lines})


@bp.post("/apps/<name>/ps/restart")
def restart(name: str):
    services().apps.get(name)
    process = json_body().get("type")
    with Progress() as progress:
        services().processes.restart(name, process, progress)
    return jsonify({"restarted": process or "all", "output": progress.lines})


@bp.get("/apps/<name>/resources")
def get_resources(name: str):
    services().apps.get(name)
    return jsonify(services().store.get_resources(name))


@bp.patch("/apps/<name>/resources")
def set_resources(name: str):
    services().apps.get(name)
    body = json_body()
    limits = body.get("limits")
    if not isinstance(limits, dict) or not all(isinstance(v, str) for v in limits.values()):
        raise InvalidInput('expected {"process": TYPE or null, "limits": {"memory": "512m", ...}}')
    with Progress() as progress:
        found = services().processes.set_resources(
            name, body.get("process"), [f"{k}={v}" for k, v in limits.items()], progress)
    return jsonify({"resources": found, "output": progress.lines})


@bp.post("/apps/<name>/run")
def run(name: str):
    """Streams the one-off's output as JSON lines `{"line": ...}`, then `{"exit": N}`."""
    services().apps.get(name)
    command = json_body().get("command")
    lines: queue.Queue = queue.Queue()
    processes = services().processes

    def work() -> None:
        try:
            lines.put({"exit": processes.run(name, command, lambda l: lines.put({"line": l}))})
        except PaasError as exc:
            lines.put({"error": exc.to_dict()})
        except Exception as exc:  # the stream must end with a verdict whatever broke
            lines.put({"error": {"id": "error", "message": f"{type(exc).__name__}: {exc}"}})

    threading.Thread(target=work, daemon=True).start()

    def stream():
        while True:
            item = lines.get()
            yield json.dumps(item) + "\n"
            if "exit" in item or "error" in item:
                return

    return Response(stream(), mimetype="application/x-ndjson", headers={"X-Accel-Buffering": "no"})
