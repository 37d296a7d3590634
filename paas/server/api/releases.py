"""/api/v1/apps/<app>/releases and /config: releases, rollback, config vars."""
from __future__ import annotations

from flask import Blueprint, g, jsonify

from paas.errors import InvalidInput
from paas.server.api.inputs import json_body, query_int
from paas.server.api.progress import respond
from paas.server.auth import require_token, services
from paas.server.serialize import diff_json, release_json

bp = Blueprint("releases", __name__)
bp.before_request(require_token)


@bp.get("/apps/<name>/releases")
def list_releases(name: str):
    services().apps.get(name)
    limit = query_int("limit", None, 1, 100000)
    return jsonify([release_json(r) for r in services().releases.list(name, limit)])


@bp.get("/apps/<name>/releases/<version>")
def release_info(name: str, version: str):
    services().apps.get(name)
    release, changes = services().releases.info(name, version)
    return jsonify({**release_json(release), "changes": diff_json(changes)})


@bp.post("/apps/<name>/releases/rollback")
def rollback(name: str):
    svc, who = services(), g.token_name
    svc.apps.get(name)
    version = json_body("version", optional=True).get("version")

    def work(on_line):
        before = svc.store.current_release(name)
        release = svc.releases.rollback(name, version, who, on_line)
        return {**release_json(release), "previous_version": before.version if before else None}

    return respond(work, 201)


@bp.get("/apps/<name>/config")
def get_config(name: str):
    services().apps.get(name)
    return jsonify(services().store.get_config(name))


@bp.patch("/apps/<name>/config")
def change_config(name: str):
    """Body: {"KEY": "value", "OTHER": null}: a string sets, null unsets; one release."""
    svc, who = services(), g.token_name
    svc.apps.get(name)
    body = json_body()
    set_ = {k: v for k, v in body.items() if v is not None}
    unset = [k for k, v in body.items() if v is None]
    if any(not isinstance(v, str) for v in set_.values()):
        raise InvalidInput("config values must be strings (or null to unset)")

    def work(on_line):
        release = svc.releases.change_config(name, set_, unset, who, on_line)
        return {"config": svc.store.get_config(name),
                "release": release_json(release) if release else None}

    return respond(work)
