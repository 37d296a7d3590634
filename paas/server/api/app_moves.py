"""/api/v1/apps/<name>/export and /api/v1/app-imports/<target>: moving an app between platforms.

An export is the app's own business: an app token may export its apps (it can read their
config and clone their repository already), and gets the usual 404 for others. An import
creates an app, so only an admin token may. The routes only translate: the use case is
paas.services.app_moves, which verifies the untrusted archive whole before creating anything.
"""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from paas.errors import Forbidden, UnsupportedMediaType
from paas.render.app_archive import MAX_TOTAL_BYTES
from paas.server.auth import principal, require_token, services

bp = Blueprint("app_moves", __name__)
bp.before_request(require_token)


def _admin_only() -> None:
    if not principal().admin:
        raise Forbidden("only an admin token may import apps")


@bp.get("/apps/<name>/export")
def export_app(name: str):
    data = services().moves.export(name)
    return Response(data, mimetype="application/x-tar",
                    headers={"Content-Disposition": f"attachment; filename={name}.tar"})


@bp.put("/app-imports/<target>")
def import_app(target: str):
    """Body: an archive from apps:export; `target` is the new (unused) app name."""
    _admin_only()
    if request.mimetype not in ("application/x-tar", "application/octet-stream"):
        raise UnsupportedMediaType("send the archive as application/x-tar")
    request.max_content_length = MAX_TOTAL_BYTES  # the API's 1 MiB is for JSON bodies
    lines: list[str] = []
    made = services().moves.import_app(target, request.get_data(), lines.append)
    current = made.current_release
    return jsonify({"app": made.app, "releases": made.releases,
                    "current_release": f"v{current}" if current else None,
                    "services": made.services, "volumes": made.volumes,
                    "images": made.images, "output": lines}), 201
