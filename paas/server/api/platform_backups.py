"""/api/v1/platform/backup and /api/v1/platform-restores: the whole platform in one archive
(`paas platform:backup` / `paas platform:restore`). Admin tokens only (paas.domain.access: not
an app's route). The routes only translate: the use case is
paas.services.platform_backup.PlatformBackups."""
from __future__ import annotations

from flask import Blueprint, Response, request

from paas.errors import UnsupportedMediaType
from paas.render.app_archive import MAX_TOTAL_BYTES
from paas.server.api.progress import respond
from paas.server.auth import require_token, services

bp = Blueprint("platform_backups", __name__)
bp.before_request(require_token)


@bp.get("/platform/backup")
def backup():
    return Response(services().platform.snapshot(), mimetype="application/x-tar",
                    headers={"Content-Disposition": "attachment; filename=paas-platform.tar"})


@bp.put("/platform-restores")
def restore():
    """Body: a platform backup; every app in it is imported here and deployed."""
    if request.mimetype not in ("application/x-tar", "application/octet-stream"):
        raise UnsupportedMediaType("send the backup as application/x-tar")
    request.max_content_length = MAX_TOTAL_BYTES
    data = request.get_data()
    platform = services().platform
    return respond(lambda on_line: {"apps": platform.restore_apps(data, on_line)}, 201)
