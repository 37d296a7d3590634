"""/api/v1/tokens: named API tokens (stored hashed; a token's value is shown once)."""
from __future__ import annotations

from flask import Blueprint, g, jsonify

from paas.server.api.inputs import json_body
from paas.server.auth import require_token, services
from paas.server.serialize import iso

bp = Blueprint("tokens", __name__)
bp.before_request(require_token)


@bp.get("/tokens")
def list_tokens():
    return jsonify([{"name": n, "created_at": iso(t)} for n, t in services().tokens.list()])


@bp.post("/tokens")
def create_token():
    name = json_body("name").get("name")
    return jsonify({"name": name, "token": services().tokens.create(name)}), 201


@bp.delete("/tokens/<name>")
def revoke_token(name: str):
    services().tokens.revoke(name, g.token_name)
    return jsonify({"revoked": name})
