"""A build's page: its status, commit, buildpack, duration and full output."""
from __future__ import annotations

from flask import Blueprint, render_template

from paas.server.dashboard.common import services

bp = Blueprint("builds", __name__)


@bp.get("/apps/<name>/builds/<int:build_id>")
def show(name: str, build_id: int):
    services().apps.get(name)
    build = services().builds.get(name, build_id)
    release = next((r for r in services().releases.list(name) if r.build_id == build_id), None)
    return render_template("build.html", name=name, build=build, release=release)
