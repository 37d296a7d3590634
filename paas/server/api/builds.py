"""/api/v1/apps/<app>/builds: every build with its status, buildpack, commit, duration, log;
and a new build of the commit last pushed, deployed like a push (Dokku's ps:rebuild)."""
from __future__ import annotations

from flask import Blueprint, g, jsonify

from paas.errors import Conflict, NotFound
from paas.server.api.inputs import json_body
from paas.server.api.progress import respond
from paas.server.auth import require_token, services
from paas.server.serialize import build_json, release_json

bp = Blueprint("builds", __name__)
bp.before_request(require_token)


@bp.get("/apps/<name>/builds")
def list_builds(name: str):
    services().apps.get(name)
    return jsonify([build_json(b, with_output=False) for b in services().store.list_builds(name)])


@bp.post("/apps/<name>/builds")
def create_build(name: str):
    svc, who = services(), g.token_name
    svc.apps.get(name)
    json_body(optional=True)
    commit = svc.repos.head(name)
    if commit is None:
        raise Conflict(f"{name} has no pushed code to build: git push paas main first")

    def work(on_line):
        release = svc.deployer.deploy_push(name, commit, on_line, created_by=who)
        return release_json(release)

    return respond(work, 201)


@bp.get("/apps/<name>/builds/<int:build_id>")
def build_info(name: str, build_id: int):
    services().apps.get(name)
    build = services().store.get_build(build_id)
    if build is None or build.app != name:
        raise NotFound(f"no build {build_id} of {name}")
    return jsonify(build_json(build, with_output=True))
