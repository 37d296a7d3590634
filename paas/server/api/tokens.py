"""/api/v1/tokens: named API tokens with roles (stored hashed; a token's value is shown once);
/api/v1/token: the calling token itself."""
from __future__ import annotations

from flask import g, jsonify, Blueprint

from paas.errors import InvalidInput
from paas.server.api.inputs import json_body
from paas.server.auth import principal, require_token, services
from paas.server.serialize import iso

bp = Blueprint("tokens", __name__)
bp.before_request(require_token)


def token_json(record) -> dict:
    return {"name": record.name, "role": record.role, "apps": list(record.apps),
            "created_by": record.created_by, "created_at": iso(record.created_at),
            "last_used": iso(record.last_used) if record.last_used else None}


@bp.get("/tokens")
def list_tokens():
    return jsonify([token_json(r) for r in services().tokens.records()])


@bp.post("/tokens")
def create_token():
    body = json_body("name", "admin", "apps")
    name, admin, apps = body.get("name"), body.get("admin", False), body.get("apps", [])
    if not isinstance(admin, bool) or not isinstance(apps, list) \
            or not all(isinstance(a, str) for a in apps):
        raise InvalidInput('expected {"name": NAME, "admin": true} or {"name": NAME, "apps": [APP, ...]}')
    token = services().tokens.create(name, apps=apps, admin=admin, created_by=g.token_name)
    return jsonify({"name": name, "role": "admin" if admin else "app", "apps": sorted(set(apps)),
                    "token": token}), 201


@bp.delete("/tokens/<name>")
def revoke_token(name: str):
    revoked = services().tokens.revoke(name, g.token_name)
    return jsonify({"revoked": name, "also_revoked": sorted(n for n in revoked if n != name)})


@bp.get("/token")
def whoami():
    who = principal()
    return jsonify({"name": who.name, "role": who.role, "apps": sorted(who.apps)})
