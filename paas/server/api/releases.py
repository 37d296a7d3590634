"""/api/v1/apps/<app>/releases and /config: releases, rollback, config vars."""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from paas.errors import InvalidInput, PaasError
from paas.server.api.apps import json_body
from paas.server.auth import require_token, services
from paas.server.serialize import diff_json, release_json

bp = Blueprint("releases", __name__)
bp.before_request(require_token)


class Progress:
    """Collects the lines a deploy writes, to return them with the result, or with the error
    when it fails (so the user sees, say, the release command's output)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, line: str) -> None:
        self.lines.append(line)

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, kind, exc, tb) -> None:
        if isinstance(exc, PaasError):
            exc.output = self.lines


@bp.get("/apps/<name>/releases")
def list_releases(name: str):
    services().apps.get(name)
    limit = request.args.get("limit", type=int)
    releases = services().releases.list(name)
    if limit is not None:
        releases = releases[:max(limit, 0)]
    return jsonify([release_json(r) for r in releases])


@bp.get("/apps/<name>/releases/<version>")
def release_info(name: str, version: str):
    services().apps.get(name)
    release, changes = services().releases.info(name, version)
    return jsonify({**release_json(release), "changes": diff_json(changes)})


@bp.post("/apps/<name>/releases/rollback")
def rollback(name: str):
    services().apps.get(name)
    version = json_body().get("version")
    before = services().store.current_release(name)
    with Progress() as progress:
        release = services().releases.rollback(name, version, g.token_name, progress)
    return jsonify({**release_json(release), "output": progress.lines,
                    "previous_version": before.version if before else None}), 201


@bp.get("/apps/<name>/config")
def get_config(name: str):
    services().apps.get(name)
    return jsonify(services().store.get_config(name))


@bp.patch("/apps/<name>/config")
def change_config(name: str):
    """Body: {"KEY": "value", "OTHER": null}: a string sets, null unsets; one release."""
    services().apps.get(name)
    body = json_body()
    set_ = {k: v for k, v in body.items() if v is not None}
    unset = [k for k, v in body.items() if v is None]
    if any(not isinstance(v, str) for v in set_.values()):
        raise InvalidInput("config values must be strings (or null to unset)")
    with Progress() as progress:
        release = services().releases.change_config(name, set_, unset, g.token_name, progress)
    return jsonify({
        "config": services().store.get_config(name),
        "release": release_json(release) if release else None,
        "output": progress.lines,
    })
