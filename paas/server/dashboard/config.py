"""Config vars from the app page: set one (a textarea's CRLF newlines become LF) or unset one.
Each change is a release deployed like `paas config:set`, recorded with the session's token."""
from __future__ import annotations

from flask import Blueprint, g, request, url_for

from paas.server.dashboard.common import act, services

bp = Blueprint("config", __name__)


def _back(name: str) -> str:
    return url_for("dashboard.app.show", name=name, _anchor="config")


def _outcome(name: str, done: str, release) -> str:
    if release is None:
        return f"{done}; it takes effect at {name}'s first deploy."
    return f"{done}: restarted {name}, now v{release.version}."


@bp.post("/apps/<name>/config")
def set_var(name: str):
    services().apps.get(name)
    key = request.form.get("key", "").strip()
    # Browsers send a textarea's line breaks as CRLF (HTML's form encoding); users typed LF.
    value = request.form.get("value", "").replace("\r\n", "\n")
    return act(_back(name), lambda out: _outcome(name, f"Set {key}", services().releases.change_config(
        name, {key: value}, [], g.token_name, out)))


@bp.post("/apps/<name>/config/unset")
def unset_var(name: str):
    services().apps.get(name)
    key = request.form.get("key", "").strip()
    return act(_back(name), lambda out: _outcome(name, f"Unset {key}", services().releases.change_config(
        name, {}, [key], g.token_name, out)))
