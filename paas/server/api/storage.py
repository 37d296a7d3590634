"""/api/v1/apps/<app>/storage: an app's named volumes and where they are mounted."""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from paas.errors import PaasError
from paas.server.api.inputs import json_body
from paas.server.api.progress import respond
from paas.server.auth import require_token, services
from paas.server.serialize import iso, release_json
from paas.services.storage import Storage

bp = Blueprint("storage", __name__)
bp.before_request(require_token)


class Unavailable(PaasError):
    id = "unavailable"
    status = 503


def storage() -> Storage:
    found = services().storage
    if found is None:
        raise Unavailable("volumes need the Docker data adapter, which this platform lacks")
    return found


@bp.get("/apps/<name>/storage")
def list_volumes(name: str):
    services().apps.get(name)
    return jsonify([{"name": v.name, "path": v.path or None, "mounted": bool(v.path),
                     "docker_volume": v.docker_name, "node": v.node or None,
                     "created_at": iso(v.created_at)}
                    for v in storage().list(name)])


@bp.post("/apps/<name>/storage/mounts")
def mount(name: str):
    """Body: {"mount": "NAME:/path"}; a new release when the app has one."""
    svc, who = services(), g.token_name
    svc.apps.get(name)
    text = json_body("mount").get("mount")
    volumes = storage()

    def work(on_line):
        release = volumes.mount(name, text, who, on_line)
        return {"mounts": svc.store.get_mounts(name),
                "release": release_json(release) if release else None}

    return respond(work, 201)


@bp.delete("/apps/<name>/storage/mounts/<volume>")
def unmount(name: str, volume: str):
    svc, who = services(), g.token_name
    svc.apps.get(name)
    volumes = storage()

    def work(on_line):
        release = volumes.unmount(name, volume, who, on_line)
        return {"mounts": svc.store.get_mounts(name),
                "release": release_json(release) if release else None}

    return respond(work)


@bp.delete("/apps/<name>/storage/<volume>")
def destroy(name: str, volume: str):
    """?confirm=APP: the volume's data goes with it."""
    services().apps.get(name)
    storage().destroy(name, volume, request.args.get("confirm"))
    return jsonify({"destroyed": volume})
