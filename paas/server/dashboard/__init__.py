"""The web dashboard at `/`: sign-in with a token, the apps list, each app's page, build logs
and a live log tail. Server-rendered HTML, hand-written CSS and a little JS, no CDN.

`register(app, settings)` sets up sessions (a signed cookie, key stored under PAAS_HOME), CSRF
tokens on every dashboard form (Flask-WTF, checked only here: the bearer-token API and git need
none) and one parent blueprint whose guard runs before every page; one child blueprint per page
or resource. Views call the use cases like the API blueprints do, and never the HTTP API.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Flask, g, render_template, request
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import HTTPException

from paas.errors import NotFound, PaasError, UnsupportedMediaType
from paas.server.auth import enforce_scope, services
from paas.server.dashboard import (app_page, apps, builds, config, data, domains, logs, releases,
                                   session)
from paas.server.dashboard.common import ago_iso, flashed
from paas.settings import Settings

BODY_LIMIT = 64 * 1024  # a config value is at most 32 KiB (MAX_CONFIG_BYTES); forms are small
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
SECURITY_HEADERS = {
    # Only our own files run: HTML that slipped through escaping still could not run a script.
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; "
                               "base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}

csrf = CSRFProtect()
bp = Blueprint("dashboard", __name__, template_folder="templates", static_folder="static",
               static_url_path="/assets")


def register(app: Flask, settings: Settings) -> None:
    app.config.update(
        SECRET_KEY=session.secret_key(settings.home),
        # Platforms side by side on one host share 127.0.0.1, and cookies ignore the port.
        SESSION_COOKIE_NAME=f"paas-{settings.instance}",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=session.IDLE_SECONDS),
        WTF_CSRF_CHECK_DEFAULT=False,  # checked in `guard`, for dashboard views only
        WTF_CSRF_TIME_LIMIT=None,  # a token lives as long as its session
    )
    app.config.setdefault("PAAS_SESSION_IDLE_SECONDS", session.IDLE_SECONDS)
    app.config.setdefault("PAAS_LOG_STREAM_SECONDS", logs.STREAM_SECONDS)
    app.config.setdefault("PAAS_LOG_HEARTBEAT_SECONDS", logs.HEARTBEAT_SECONDS)
    app.session_interface = session.CookieOverHttps()
    csrf.init_app(app)
    app.jinja_env.filters["ago"] = ago_iso
    app.jinja_env.globals["flashed"] = flashed
    app.register_blueprint(bp)


def guard():
    """Before every dashboard view: a session (but for sign-in and static files), a small form
    body, and a valid CSRF token on every POST."""
    request.max_content_length = BODY_LIMIT
    refused = session.check()
    if refused is not None:
        return refused
    if request.endpoint not in session.OPEN:
        # The API's rule: an app token sees its apps only, and no admin page.
        who = services().tokens.named(g.token_name)
        if who is None:  # revoked between the session check and now
            raise NotFound("this session's token is gone; sign in again")
        g.principal = who
        enforce_scope(who)
    if request.method == "POST":
        if request.mimetype not in FORM_TYPES:
            raise UnsupportedMediaType(f"expected a form ({FORM_TYPES[0]}), not "
                                       f"{request.mimetype or 'no content type'}")
        csrf.protect()
    return None


def secure(response):
    response.headers.update(SECURITY_HEADERS)
    # Pages show config values and log lines: no cache (browser or proxy) keeps them.
    if request.endpoint != "dashboard.static":
        response.headers["Cache-Control"] = "no-store"
    return response


def paas_error(exc: PaasError):
    return render_template("error.html", status=exc.status, message=exc.message,
                           output=exc.output), exc.status


def http_error(exc: HTTPException):
    message = exc.description
    if exc.code == 413:
        message = f"the request body is over the dashboard's limit of {BODY_LIMIT // 1024} KiB"
    return render_template("error.html", status=exc.code, message=message, output=[]), exc.code


bp.before_request(guard)
bp.after_request(secure)
bp.register_error_handler(PaasError, paas_error)
bp.register_error_handler(HTTPException, http_error)
for child in (session.bp, apps.bp, app_page.bp, config.bp, releases.bp, domains.bp, builds.bp,
              logs.bp, data.bp):
    bp.register_blueprint(child)


@bp.app_context_processor
def signed_in():
    return {"signed_in_as": g.get("token_name"), "principal": g.get("principal")}
