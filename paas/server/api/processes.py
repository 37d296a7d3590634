"""/api/v1/apps/<app>/ps, /resources and /run: processes, scaling, restarts, resource limits,
one-off commands. The changes are long operations and answer through `progress.respond`."""
from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, jsonify

from paas.errors import InvalidInput
from paas.server.api.inputs import json_body
from paas.server.api.progress import respond
from paas.server.auth import require_token, services
from paas.services.processes import RUN_TIMEOUT, parse_scale

bp = Blueprint("processes", __name__)
bp.before_request(require_token)


@bp.get("/apps/<name>/ps")
def ps(name: str):
    services().apps.get(name)
    return jsonify({"formation": services().store.get_formation(name),
                    "processes": [asdict(p) for p in services().processes.ps(name)]})


@bp.post("/apps/<name>/ps/scale")
def scale(name: str):
    svc = services()
    svc.apps.get(name)
    body = json_body()
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in body.values()):
        raise InvalidInput('expected {"TYPE": N, ...} with whole numbers')
    changes = parse_scale([f"{k}={v}" for k, v in body.items()])  # the CLI's rules
    return respond(lambda on_line: {"formation": svc.processes.scale(name, changes, on_line)})


@bp.post("/apps/<name>/ps/restart")
def restart(name: str):
    svc = services()
    svc.apps.get(name)
    process = json_body("type", optional=True).get("type")
    if process is not None and not isinstance(process, str):
        raise InvalidInput("type must be a process type (a string) or null for all")

    def work(on_line):
        svc.processes.restart(name, process, on_line)
        return {"restarted": process or "all"}

    return respond(work)


@bp.get("/apps/<name>/resources")
def get_resources(name: str):
    services().apps.get(name)
    return jsonify(services().store.get_resources(name))


@bp.patch("/apps/<name>/resources")
def set_resources(name: str):
    svc = services()
    svc.apps.get(name)
    body = json_body("process", "limits")
    limits, process = body.get("limits"), body.get("process")
    if not isinstance(limits, dict) or not all(isinstance(v, str) for v in limits.values()) \
            or not isinstance(process, (str, type(None))):
        raise InvalidInput('expected {"process": TYPE or null, "limits": {"memory": "512m", ...}}')
    args = [f"{k}={v}" for k, v in limits.items()]
    return respond(lambda on_line: {
        "resources": svc.processes.set_resources(name, process, args, on_line)})


@bp.post("/apps/<name>/run")
def run(name: str):
    """A one-off container; the result carries its exit status."""
    svc = services()
    svc.apps.get(name)
    body = json_body("command", "timeout")
    command, timeout = body.get("command"), body.get("timeout", RUN_TIMEOUT)
    return respond(lambda on_line: {"exit": svc.processes.run(name, command, on_line, timeout)})
