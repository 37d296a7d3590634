"""/api/v1/services: Postgres and Redis datastores, their links to apps and their backups.

Credentials (the URL with the password) appear only for callers that `allowed_apps()` says may
see them: admin tokens, or (should app tokens be let in here) tokens naming a linked app.
"""
from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request

from paas.errors import InvalidInput, PaasError, UnsupportedMediaType
from paas.server.api.inputs import json_body, query_int
from paas.server.api.progress import respond
from paas.server.auth import principal, require_token, services
from paas.server.serialize import iso, release_json
from paas.services.backups import MAX_BACKUP, Backup, Backups
from paas.services.datastores import DatastoreInfo, Datastores

bp = Blueprint("datastores", __name__)
bp.before_request(require_token)


class Unavailable(PaasError):
    id = "unavailable"
    status = 503


def datastores() -> Datastores:
    found = services().datastores
    if found is None:
        raise Unavailable("services need the Docker data adapter, which this platform lacks")
    return found


def backups() -> Backups:
    datastores()
    return services().backups  # type: ignore[return-value]


def allowed_apps() -> set[str] | None:
    """None: the caller may see every datastore's credentials (an admin token); else the apps
    its token names. (/services routes are admin-only today, paas.domain.access.)"""
    who = principal()
    return None if who.admin else set(who.apps)


def info_json(info: DatastoreInfo) -> dict:
    ds = info.datastore
    return {"name": ds.name, "kind": ds.kind, "version": ds.version, "image": ds.image,
            "state": info.state, "size_bytes": info.size_bytes, "created_at": iso(ds.created_at),
            "links": [{"app": l.app, "var": l.var} for l in info.links], "url": info.url,
            "node": info.node or None}


def backup_json(b: Backup) -> dict:
    return {"id": b.id, "reason": b.reason, "size_bytes": b.size, "created_at": iso(b.created_at)}


@bp.get("/services")
def list_datastores():
    return jsonify([info_json(i) for i in datastores().list(allowed_apps())])


@bp.post("/services")
def create():
    body = json_body("kind", "name")
    store, apps = datastores(), allowed_apps()

    def work(on_line):
        ds = store.create(body.get("kind"), body.get("name"), on_line)
        return info_json(store.info(ds.name, allowed_apps=apps))

    return respond(work, 201)


@bp.get("/services/<service>")
def info(service: str):
    return jsonify(info_json(datastores().info(service, allowed_apps())))


@bp.delete("/services/<service>")
def destroy(service: str):
    """?confirm=NAME[&unlink=1]: refused while apps are linked unless unlink; a final backup
    is taken first and kept."""
    store, saver, who = datastores(), backups(), g.token_name
    store.get(service)
    unlink = request.args.get("unlink", "0")
    if unlink not in ("0", "1", "true", "false"):
        raise InvalidInput("unlink must be 1 or 0")
    confirm = request.args.get("confirm")

    def work(on_line):
        final = store.destroy(service, confirm, unlink in ("1", "true"), who, on_line, saver.final)
        return {"destroyed": service, "final_backup": final}

    return respond(work)


@bp.get("/services/<service>/logs")
def logs(service: str):
    lines = query_int("lines", 100, 1, 10000)
    return Response(datastores().logs(service, lines or 100), mimetype="text/plain")


@bp.post("/services/<service>/connect")
def connect(service: str):
    """Body: {"input": TEXT}: psql / redis-cli reads it on the service's network; its output
    and exit status come back (services:connect)."""
    store = datastores()
    store.get(service)
    body = json_body("input")
    script = body.get("input")
    if not isinstance(script, str):
        raise InvalidInput("input must be text (what psql or redis-cli reads)")
    return respond(lambda on_line: {"exit": store.connect(service, script, on_line)})


@bp.post("/services/<service>/links")
def link(service: str):
    """Body: {"app": APP, "as": VAR or null}: sets the URL as a config var, one release."""
    store, who = datastores(), g.token_name
    store.get(service)
    body = json_body("app", "as")
    app = body.get("app")
    if not isinstance(app, str):
        raise InvalidInput("app must be an app's name")
    services().apps.get(app)

    def work(on_line):
        made, release = store.link(service, app, body.get("as"), who, on_line)
        return {"app": made.app, "var": made.var,
                "release": release_json(release) if release else None}

    return respond(work, 201)


@bp.delete("/services/<service>/links/<app>")
def unlink(service: str, app: str):
    store, who = datastores(), g.token_name
    store.get(service)
    services().apps.get(app)

    def work(on_line):
        release = store.unlink(service, app, who, on_line)
        return {"app": app, "release": release_json(release) if release else None}

    return respond(work)


@bp.get("/services/<service>/backups")
def list_backups(service: str):
    return jsonify([backup_json(b) for b in backups().list(service)])


@bp.post("/services/<service>/backups")
def backup(service: str):
    json_body(optional=True)
    return jsonify(backup_json(backups().backup(service))), 201


@bp.post("/services/<service>/backups/<backup_id>/restore")
def restore(service: str, backup_id: str):
    json_body(optional=True)
    saver = backups()
    saver.get(service, backup_id)
    return respond(lambda on_line: saver.restore(service, backup_id, on_line))


@bp.get("/services/<service>/backups/<backup_id>")
def download(service: str, backup_id: str):
    """The backup file itself (services:export)."""
    saver = backups()
    saver.get(service, backup_id)
    return Response(saver.export(service, backup_id), mimetype="application/octet-stream",
                    headers={"Content-Disposition": f"attachment; filename={backup_id}"})


@bp.put("/services/<service>/backups/upload")
def upload(service: str):
    """Body: a backup file (application/octet-stream), kept as one more backup to restore."""
    saver = backups()
    datastores().get(service)
    if request.mimetype != "application/octet-stream":
        raise UnsupportedMediaType("send the backup as application/octet-stream")
    request.max_content_length = MAX_BACKUP  # the API's 1 MiB is for JSON bodies
    return jsonify(backup_json(saver.import_(service, request.stream))), 201
