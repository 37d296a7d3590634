"""/api/v1/apps/<name>/export and /api/v1/app-imports/<target>: moving an app between platforms.

An export is the app's own business: an app token may export its apps (it can read their
config and clone their repository already), and gets the usual 404 for others. An import
creates an app, so only an admin token may. The import body is an untrusted archive; paas.services.app_export verifies it whole
before anything is created.
"""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from paas.errors import Forbidden, UnsupportedMediaType
from paas.render.app_archive import MAX_TOTAL_BYTES
from paas.server.auth import principal, require_token, services
from paas.services import app_export

bp = Blueprint("app_moves", __name__)
bp.before_request(require_token)


def _admin_only() -> None:
    if not principal().admin:
        raise Forbidden("only an admin token may import apps")


@bp.get("/apps/<name>/export")
def export_app(name: str):
    services().apps.get(name)
    repo = services().settings.repos_dir / f"{name}.git"
    data = app_export.export(services().store, name, app_export.repo_members(repo))
    return Response(data, mimetype="application/x-tar",
                    headers={"Content-Disposition": f"attachment; filename={name}.tar"})


@bp.put("/app-imports/<target>")
def import_app(target: str):
    """Body: an archive from apps:export; `target` is the new (unused) app name."""
    _admin_only()
    if request.mimetype not in ("application/x-tar", "application/octet-stream"):
        raise UnsupportedMediaType("send the archive as application/x-tar")
    request.max_content_length = MAX_TOTAL_BYTES  # the API's 1 MiB is for JSON bodies
    doc, _others = app_export.parse(request.get_data())
    found = services()
    current = app_export.restore(found.store, target, doc)
    try:
        app_export.restore_repo(found.repos.init(target), _others)
    except BaseException:
        found.repos.remove(target)
        found.store.delete_app(target)
        raise
    return jsonify({"app": target, "releases": len(doc["releases"]),
                    "current_release": f"v{current}" if current else None}), 201
