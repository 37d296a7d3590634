"""Roll back from the app page: the release's button makes a new release of its code and
config, deployed like `paas releases:rollback vN`."""
from __future__ import annotations

from flask import Blueprint, g, request, url_for

from paas.server.dashboard.common import act, services

bp = Blueprint("releases", __name__)


@bp.post("/apps/<name>/rollback")
def rollback(name: str):
    services().apps.get(name)
    version = request.form.get("version", "").strip() or None

    def work(out) -> str:
        before = services().store.current_release(name)
        release = services().releases.rollback(name, version, g.token_name, out)
        undo = f" (undo: roll back to v{before.version})" if before else ""
        return f"{release.description}: {name} is now v{release.version}{undo}."

    return act(url_for("dashboard.app.show", name=name, _anchor="releases"), work)
