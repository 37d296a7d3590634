"""The web application: JSON API under /api/v1, the dashboard at / and git smart HTTP under
/git, one WSGI app.

`create_app(settings, services=None)` builds it; tests pass their own services.
"""
from __future__ import annotations

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from paas import __version__
from paas.bootstrap import Services, build_services
from paas.errors import PaasError
from paas.server.limits import LongRequests
from paas.settings import Settings

API_BODY_LIMIT = 1024 * 1024


def create_app(settings: Settings | None = None, services: Services | None = None) -> Flask:
    settings = settings or Settings.from_env()
    services = services or build_services(settings)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = API_BODY_LIMIT
    app.extensions["paas"] = services

    from paas.server.api import apps as apps_api
    from paas.server.api import meta as meta_api
    from paas.server.api import builds as builds_api
    from paas.server.api import certs as certs_api
    from paas.server.api import domains as domains_api
    from paas.server.api import logs as logs_api
    from paas.server.api import metrics as metrics_api
    from paas.server.api import processes as processes_api
    from paas.server.api import releases as releases_api
    from paas.server.api import tokens as tokens_api
    from paas.server.api import storage as storage_api
    from paas.server.api import datastores as datastores_api
    from paas.server.api import nodes as nodes_api
    from paas.server.api import app_moves as app_moves_api
    from paas.server.api import platform_backups as platform_backups_api

    for module in (meta_api, apps_api, releases_api, processes_api, logs_api, domains_api,
                   builds_api, tokens_api, certs_api, storage_api, metrics_api, datastores_api,
                   nodes_api, app_moves_api, platform_backups_api):
        app.register_blueprint(module.bp, url_prefix="/api/v1")

    from paas.server.dashboard import register as register_dashboard

    register_dashboard(app, settings)

    @app.after_request
    def headers(resp):
        # Every answer names the server's release, so the CLI can warn about a mismatch
        # without an extra request.
        resp.headers["Paas-Version"] = __version__
        # API answers carry config values, tokens and logs: no cache keeps them.
        if request.path.startswith("/api/"):
            resp.headers.setdefault("Cache-Control", "no-store")
        return resp

    @app.errorhandler(PaasError)
    def paas_error(exc: PaasError):
        return jsonify(exc.to_dict()), exc.status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        ids = {404: "not_found", 405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type"}
        message = exc.description if exc.code != 404 else f"no route for {request.path}"
        return jsonify({"id": ids.get(exc.code or 500, "error"), "message": message}), exc.code

    from paas.server.git import mount_git

    app.wsgi_app = mount_git(app.wsgi_app, services)  # type: ignore[method-assign]
    # Long-lived requests never take the threads short ones need (paas.server.limits).
    app.wsgi_app = LongRequests(app.wsgi_app, settings.api_streams)  # type: ignore[method-assign]
    # Behind the router at https://PAAS_API_HOST: the scheme is the router's (request.is_secure).
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=0, x_proto=1)  # type: ignore[method-assign]
    return app
