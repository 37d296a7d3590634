"""/api/v1/apps/<app>/builds: every build with its status, buildpack, commit, duration, log;
and a new build of the commit last pushed, deployed like a push (Dokku's ps:rebuild)."""
from __future__ import annotations

from flask import Blueprint, g, jsonify

from paas.server.api.inputs import json_body
from paas.server.api.progress import respond
from paas.server.auth import require_token, services
from paas.server.serialize import build_json, release_json

bp = Blueprint("builds", __name__)
bp.before_request(require_token)


@bp.get("/apps/<name>/builds")
def list_builds(name: str):
    services().apps.get(name)
    return jsonify([build_json(b, with_output=False) for b in services().builds.list(name)])


@bp.post("/apps/<name>/builds")
def create_build(name: str):
    svc, who = services(), g.token_name
    svc.apps.get(name)
    json_body(optional=True)
    commit = svc.builds.pushed_commit(name)  # before the stream starts: a 409 stays a 409

    def work(on_line):
        return release_json(svc.builds.rebuild(name, commit, who, on_line))

    return respond(work, 201)


@bp.get("/apps/<name>/builds/<int:build_id>")
def build_info(name: str, build_id: int):
    services().apps.get(name)
    return jsonify(build_json(services().builds.get(name, build_id), with_output=True))
