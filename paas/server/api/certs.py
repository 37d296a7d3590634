"""/api/v1/apps/<app>/certs and /tls: the app's certificates, automatic certificates (a long
operation), manual ones, and its redirect and HSTS options; /api/v1/control-plane/certs: the
certificate of PAAS_API_HOST (ACME when it is on, or a manual one)."""
from __future__ import annotations

from flask import Blueprint, jsonify

from paas.domain.certs import CONTROL, Status
from paas.errors import InvalidInput
from paas.server.api.inputs import json_body
from paas.server.api.progress import respond
from paas.server.auth import require_token, services
from paas.server.serialize import iso

bp = Blueprint("certs", __name__)
bp.before_request(require_token)


def status_json(row: Status) -> dict:
    return {"domain": row.domain, "source": row.source or None, "issuer": row.issuer or None,
            "expires": iso(row.expires), "state": row.state,
            "next_renewal": iso(row.next_renewal), "last_error": row.last_error or None}


def _rows(name: str) -> list[dict]:
    return [status_json(r) for r in services().certs.status(name)]


@bp.get("/apps/<name>/certs")
def list_certs(name: str):
    services().apps.get(name)
    return jsonify(_rows(name))


@bp.post("/apps/<name>/certs/auto")
def enable_auto(name: str):
    svc = services()
    svc.apps.get(name)
    json_body(optional=True)
    return respond(lambda on_line: {"certs": [status_json(r) for r in
                                              svc.certs.enable_auto(name, on_line)]})


@bp.delete("/apps/<name>/certs/auto")
def disable_auto(name: str):
    services().apps.get(name)
    return jsonify([status_json(r) for r in services().certs.disable_auto(name)])


@bp.post("/apps/<name>/certs")
def add_manual(name: str):
    services().apps.get(name)
    return _add(name)


@bp.delete("/apps/<name>/certs/<domain>")
def remove(name: str, domain: str):
    services().apps.get(name)
    services().certs.remove(name, domain)
    return jsonify(_rows(name))


@bp.get("/control-plane/certs")
def control_certs():
    return jsonify(_rows(CONTROL))


@bp.post("/control-plane/certs")
def control_add():
    return _add(CONTROL)


@bp.delete("/control-plane/certs/<domain>")
def control_remove(domain: str):
    services().certs.remove(CONTROL, domain)
    return jsonify(_rows(CONTROL))


def _add(owner: str):
    body = json_body("cert", "key")
    if not all(isinstance(body.get(k), str) and body[k] for k in ("cert", "key")):
        raise InvalidInput('expected {"cert": PEM, "key": PEM}')
    domains = services().certs.add_manual(owner, body["cert"].encode(), body["key"].encode())
    return jsonify({"domains": domains, "certs": _rows(owner)}), 201


@bp.patch("/apps/<name>/tls")
def options(name: str):
    services().apps.get(name)
    body = json_body("redirect", "hsts")
    if not all(isinstance(v, bool) for v in body.values()):
        raise InvalidInput('expected {"redirect": true|false, "hsts": true|false}')
    chosen = services().certs.set_options(name, body.get("redirect"), body.get("hsts"))
    return jsonify({"auto": chosen.auto, "redirect": chosen.redirect, "hsts": chosen.hsts})
