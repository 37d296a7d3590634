"""Who is calling: Bearer tokens on the API. Used as a blueprint's before_request."""
from __future__ import annotations

from flask import current_app, g, request

from paas.bootstrap import Services
from paas.errors import Unauthorized


def services() -> Services:
    return current_app.extensions["paas"]


def require_token() -> None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    name = services().tokens.identify(token.strip()) if scheme.lower() == "bearer" else None
    if name is None:
        raise Unauthorized("missing or invalid token: pass 'Authorization: Bearer TOKEN'")
    g.token_name = name
