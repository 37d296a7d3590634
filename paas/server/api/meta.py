"""Platform endpoints: health (open), and the OpenAPI document."""
from __future__ import annotations

from flask import Blueprint, jsonify

from paas import __version__
from paas.server.auth import require_token, services
from paas.server.openapi import document

bp = Blueprint("meta", __name__)


@bp.get("/health")
def health():
    """Open, so that the CLI and monitors read the versions without a token: the release of
    the code that answers and the schema version of the state it opened."""
    return jsonify({"status": "ok", "version": __version__,
                    "state_version": services().store.schema_version()})


@bp.get("/openapi.json")
def openapi():
    require_token()
    return jsonify(document())
