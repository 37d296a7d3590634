"""/api/v1/apps/<app>/domains: the host names an app is served at."""
from __future__ import annotations

from flask import Blueprint, jsonify

from paas.server.api.inputs import json_body
from paas.server.auth import require_token, services

bp = Blueprint("domains", __name__)
bp.before_request(require_token)


@bp.get("/apps/<name>/domains")
def list_domains(name: str):
    services().apps.get(name)
    return jsonify(services().domains.list(name))


@bp.post("/apps/<name>/domains")
def add_domain(name: str):
    services().apps.get(name)
    return jsonify(services().domains.add(name, json_body("domain").get("domain"))), 201


@bp.delete("/apps/<name>/domains/<domain>")
def remove_domain(name: str, domain: str):
    services().apps.get(name)
    return jsonify(services().domains.remove(name, domain))
