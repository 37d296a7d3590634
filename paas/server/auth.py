"""Who is calling and what they may do: Bearer tokens on the API, checked by every API
blueprint's before_request, and the same scope rule for the dashboard (`paas.domain.access`)."""
from __future__ import annotations

from flask import current_app, g, request

from paas.bootstrap import Services
from paas.domain.access import FORBID, HIDE, Principal, decide
from paas.errors import Forbidden, NotFound, Unauthorized


def services() -> Services:
    return current_app.extensions["paas"]


def require_token() -> None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    who = services().tokens.authenticate(token.strip()) if scheme.lower() == "bearer" else None
    if who is None:
        raise Unauthorized("missing or invalid token: pass 'Authorization: Bearer TOKEN'")
    g.token_name, g.principal = who.name, who
    enforce_scope(who)


def enforce_scope(who: Principal) -> None:
    """404 for an app the token may not use (as for one that does not exist), 403 for what
    only an admin token may do."""
    rule = request.url_rule.rule if request.url_rule is not None else request.path
    app = (request.view_args or {}).get("name")
    verdict = decide(who, request.method, rule, app)
    if verdict == HIDE:
        raise NotFound(f"no such app: {app}")
    if verdict == FORBID:
        raise Forbidden(f"only an admin token may {request.method} {request.path} "
                        f"(token {who.name} is for: {', '.join(sorted(who.apps)) or 'no apps'})")


def principal() -> Principal:
    """The caller of the current (authenticated) request."""
    return g.principal
