"""Platform endpoints: health (open), and the OpenAPI document."""
from __future__ import annotations

from flask import Blueprint, jsonify

from paas.server.auth import require_token
from paas.server.openapi import document

bp = Blueprint("meta", __name__)


@bp.get("/health")
def health():
    return jsonify({"status": "ok"})


@bp.get("/openapi.json")
def openapi():
    require_token()
    return jsonify(document())
