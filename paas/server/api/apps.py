"""/api/v1/apps: create, list, describe and destroy apps."""
from __future__ import annotations

from flask import Blueprint, jsonify

from paas.server.api.inputs import json_body
from paas.server.auth import principal, require_token, services
from paas.server.serialize import app_info_json, app_json

bp = Blueprint("apps", __name__)
bp.before_request(require_token)


@bp.get("/apps")
def list_apps():
    """Each app with its request rate and 5xx share over the last 5 minutes (`rates`, null
    where metrics are off), all apps' from one query."""
    who = principal()
    apps = [a for a in services().apps.list() if who.may_access(a.name)]
    metrics = services().metrics
    rates = metrics.recent_rates([a.name for a in apps]) if metrics else {}
    return jsonify([{**app_json(a), "rates": rates.get(a.name)} for a in apps])


@bp.post("/apps")
def create_app():
    app = services().apps.create(json_body("name").get("name"))
    return jsonify(app_json(app)), 201


@bp.get("/apps/<name>")
def app_info(name: str):
    return jsonify(app_info_json(services().apps.info(name)))


@bp.delete("/apps/<name>")
def destroy_app(name: str):
    remaining = services().apps.destroy(name)
    return jsonify({"destroyed": name, "services_remaining": remaining})
