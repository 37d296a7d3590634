"""Who may do what: token roles and the rule that scopes a request to the apps a token names.

Two roles (DESIGN.md, "Trust boundaries"): an `admin` token may do everything; an `app` token may
use the routes of the apps it names, and for any other app gets the same 404 as for an app that
does not exist, so it cannot even learn which apps exist. Everything that is not an app's route
(tokens, creating and destroying apps, the control plane's certificates, whatever is added later)
is admin-only unless listed in ANY_TOKEN: new routes are closed by default.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

ADMIN = "admin"
APP = "app"
ROLES = (ADMIN, APP)

# Route patterns (Flask rules, method) an app token may call although they name no app. GET /apps
# answers with the caller's apps only.
ANY_TOKEN = {
    ("GET", "/api/v1/apps"), ("GET", "/api/v1/openapi.json"), ("GET", "/api/v1/token"),
    ("GET", "/"), ("GET", "/live/apps"), ("GET", "/sign-in"), ("POST", "/sign-in"),
    ("POST", "/sign-out"),
}
# App routes that stay admin-only: destroying an app (API and dashboard).
ADMIN_APP_ROUTES = {("DELETE", "/api/v1/apps/<name>"), ("POST", "/apps/<name>/destroy")}
_APP_RULE = re.compile(r"^(?:/api/v1)?/apps/<name>(?:/|$)")


@dataclass(frozen=True)
class Principal:
    """A signed-in token: its name, its role and (for an app token) its apps."""
    name: str
    role: str = ADMIN
    apps: frozenset[str] = field(default_factory=frozenset)

    @property
    def admin(self) -> bool:
        return self.role == ADMIN

    def may_access(self, app: str) -> bool:
        return self.admin or app in self.apps


# What `decide` answers: go on, 403 (the token's role may not do this), 404 (not its app).
ALLOW, FORBID, HIDE = "allow", "forbidden", "not_found"


def decide(who: Principal, method: str, rule: str, app: str | None) -> str:
    """May `who` call the route `rule` (a Flask URL rule) with `method` for `app` (the rule's
    `<name>`, when it is an app's route)?"""
    if who.admin:
        return ALLOW
    method = "GET" if method == "HEAD" else method
    if (method, rule) in ANY_TOKEN:
        return ALLOW
    if _APP_RULE.match(rule) and app is not None:
        if not who.may_access(app):
            return HIDE
        return FORBID if (method, rule) in ADMIN_APP_ROUTES else ALLOW
    return FORBID


@dataclass(frozen=True)
class TokenRecord:
    """A stored token, without its digest."""
    name: str
    role: str
    apps: tuple[str, ...]
    created_by: str | None
    created_at: float
    last_used: float | None

    def principal(self) -> Principal:
        return Principal(self.name, self.role, frozenset(self.apps))
