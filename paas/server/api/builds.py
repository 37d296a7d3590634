"""/api/v1/apps/<app>/builds: every build with its status, buildpack, commit, duration, log."""
from __future__ import annotations

from flask import Blueprint, jsonify

from paas.errors import NotFound
from paas.server.auth import require_token, services
from paas.server.serialize import build_json

bp = Blueprint("builds", __name__)
bp.before_request(require_token)


@bp.get("/apps/<name>/builds")
def list_builds(name: str):
    services().apps.get(name)
    return jsonify([build_json(b, with_output=False) for b in services().store.list_builds(name)])


@bp.get("/apps/<name>/builds/<int:build_id>")
def build_info(name: str, build_id: int):
    services().apps.get(name)
    build = services().store.get_build(build_id)
    if build is None or build.app != name:
        raise NotFound(f"no build {build_id} of {name}")
    return jsonify(build_json(build, with_output=True))
