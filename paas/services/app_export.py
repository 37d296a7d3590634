"""Moving an app between platforms (`apps:export` / `apps:import`): the app's recorded state.

Owns turning one app's rows (config, domains, formation, resources, mounts, release history and
which services it links) into an archive (paas.render.app_archive), and recreating them under a
new name from a verified archive. The archive is hostile: it is fully verified and every value
checked before the first row is written, and a failure part-way removes the new app again.
Bulk parts (git bundle, images, volume data, service backups) travel as extra members that
callers add on export and read back on import; see `extra` below.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterator

from paas.domain.certs import TlsOptions
from paas.domain.names import validate_app_name
from paas.domain.volumes import validate_volume_name
from paas.errors import Conflict, InvalidInput, NotFound
from paas.ports import Store
from paas.render import app_archive, app_move
from paas.services.private_files import write_new

STATE = "app.json"
_STATUSES = {"pending", "succeeded", "failed"}


def state(store: Store, app: str) -> dict:
    """Everything recorded about `app` that a move carries, as JSON-ready data."""
    if store.get_app(app) is None:
        raise NotFound(f"app {app!r} not found")
    releases = sorted(store.list_releases(app), key=lambda r: r.version)
    return {
        "app": app,
        "config": store.get_config(app),
        "domains": sorted(store.list_domains(app)),
        "formation": store.get_formation(app),
        "resources": store.get_resources(app),
        "mounts": store.get_mounts(app),
        "links": sorted(({"service": link.datastore, "as": link.var,
                          "kind": _kind(store, link.datastore)}
                         for link in store.list_links(app=app)), key=lambda x: x["service"]),
        "volumes": [name for name, _path, _at in store.list_volumes(app)],
        "tls": _tls(store, app),
        "releases": [{"version": r.version, "image": r.image, "config": r.config,
                      "processes": r.processes, "commit": r.commit,
                      "description": r.description, "status": r.status,
                      "created_by": r.created_by, "healthchecks": r.healthchecks,
                      "mounts": r.mounts} for r in releases],
    }


def _tls(store: Store, app: str) -> dict:
    options = store.get_tls(app)
    return {"auto": options.auto, "redirect": options.redirect, "hsts": options.hsts}


def _kind(store: Store, name: str) -> str:
    ds = store.get_datastore(name)
    return ds.kind if ds else ""


def export(store: Store, app: str, extra: dict[str, bytes] | None = None) -> bytes:
    """The archive of `app`: its state as app.json plus `extra` members (bundle, images...)."""
    return b"".join(export_chunks(store, app, extra))


def export_chunks(store: Store, app: str, extra: dict[str, bytes] | None = None) -> Iterator[bytes]:
    """`export` in pieces, as a response sends them."""
    current = store.current_release(app) if store.get_app(app) else None
    body = json.dumps(state(store, app), indent=2, sort_keys=True).encode()
    meta = {"app": app, "current_release": current.version if current else None}
    return app_archive.chunks(meta, {STATE: body, **(extra or {})})


def parse(data: bytes) -> tuple[dict, dict[str, bytes]]:
    """The checked state and the other members of an archive, or InvalidInput."""
    archive = app_archive.read(data)
    if STATE not in archive.members:
        raise InvalidInput(f"archive has no {STATE}")
    try:
        doc = json.loads(archive.members[STATE])
    except ValueError:
        raise InvalidInput(f"{STATE} is not valid JSON") from None
    _check_state(doc)
    others = {n: b for n, b in archive.members.items() if n != STATE}
    for name in others:  # checked before anything is created, not first at restore_repo
        if not ((name.startswith("repo/") and _repo_data(name.removeprefix("repo/")))
                or app_move.member_kind(name)):
            raise InvalidInput(f"archive member {name!r} is not part of an app export")
    return doc, others


def check_target(store: Store, name: str, doc: dict) -> None:
    """The import may go ahead: `name` is a free app name and no domain is taken."""
    validate_app_name(name)
    if store.get_app(name) is not None:
        raise Conflict(f"app {name!r} already exists; import needs an unused name")
    for domain in doc["domains"]:
        owner = store.domain_owner(domain)
        if owner is not None:
            raise Conflict(f"domain {domain!r} already belongs to app {owner!r}")


def restore(store: Store, name: str, doc: dict) -> int | None:
    """Recreate the app recorded in `doc` as `name`; the current release's version, if any.
    Nothing is left behind when it fails."""
    check_target(store, name, doc)
    store.add_app(name)
    try:
        current = None
        for rel in doc["releases"]:
            made = store.create_release(
                name, image=rel["image"], processes=rel["processes"], commit=rel["commit"],
                description=rel["description"], created_by=rel["created_by"],
                config=rel["config"], healthchecks=rel["healthchecks"], mounts=rel["mounts"])
            store.set_release_status(name, made.version, rel["status"])
            if rel["status"] == "succeeded":
                current = made.version
        store.replace_config(name, doc["config"])
        # Unmounted volumes keep a row (and their data) as on the old platform.
        store.replace_mounts(name, {v: "" for v in doc.get("volumes") or []})
        store.replace_mounts(name, doc["mounts"])
        store.set_formation(name, doc["formation"])
        for process, values in doc["resources"].items():
            store.set_resources(name, process, values)
        for domain in doc["domains"]:
            store.add_domain(name, domain)
        tls = doc.get("tls")
        if tls:
            store.set_tls(name, TlsOptions(**tls))
        return current
    except BaseException:
        store.delete_app(name)
        raise


def _check_state(doc: object) -> None:
    def fail(what: str) -> None:
        raise InvalidInput(f"{STATE}: {what}")

    if not isinstance(doc, dict):
        fail("not an object")
    for key, kind in (("config", dict), ("domains", list), ("formation", dict),
                      ("resources", dict), ("mounts", dict), ("releases", list)):
        if not isinstance(doc.get(key), kind):
            fail(f"{key!r} is missing or not a {kind.__name__}")
    volumes = doc.get("volumes", [])
    if not isinstance(volumes, list) or not all(isinstance(v, str) for v in volumes):
        fail("volumes must be a list of names")
    for volume in volumes:
        validate_volume_name(volume)
    tls = doc.get("tls", {})
    if not isinstance(tls, dict) or set(tls) - {"auto", "redirect", "hsts"} or \
            not all(isinstance(v, bool) for v in tls.values()):
        fail("tls must map auto, redirect and hsts to true or false")
    links = doc.get("links", [])
    if not isinstance(links, list) or not all(
            isinstance(l, dict) and _str_map(l) and {"service", "as"} <= set(l) for l in links):
        fail("links must be objects naming a service and a variable")
    if not _str_map(doc["config"]) or not _str_map(doc["mounts"]):
        fail("config and mounts must map strings to strings")
    if not all(isinstance(d, str) for d in doc["domains"]):
        fail("domains must be strings")
    if not all(isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 0
               for k, v in doc["formation"].items()):
        fail("formation must map process names to counts")
    if not all(isinstance(v, dict) and _str_map(v) for v in doc["resources"].values()):
        fail("resources must map processes to string settings")
    for rel in doc["releases"]:
        if not isinstance(rel, dict):
            fail("a release is not an object")
        for key in ("image", "commit", "description", "created_by"):
            if not isinstance(rel.get(key), str):
                fail(f"a release's {key!r} is not a string")
        if rel.get("status") not in _STATUSES:
            fail("a release's status is not pending, succeeded or failed")
        if not _str_map(rel.get("config")) or not _str_map(rel.get("processes")) \
                or not _str_map(rel.get("mounts")) or not isinstance(rel.get("healthchecks"), dict):
            fail("a release's config, processes, mounts or healthchecks are malformed")


def _str_map(value: object) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str)
                                           for k, v in value.items())


# Only a repository's data travels: never its config or hooks, which a hostile archive could
# use to run commands on the host.
_REPO_PARTS = ("objects/", "refs/")
_REPO_FILES = ("packed-refs",)


def repo_members(repo: Path) -> dict[str, bytes]:
    """The bare repository's objects and refs as `repo/...` members (links skipped)."""
    found: dict[str, bytes] = {}
    if not repo.is_dir():
        return found
    for dirpath, _dirs, files in os.walk(repo):
        for filename in files:
            path = Path(dirpath) / filename
            rel = path.relative_to(repo).as_posix()
            if path.is_symlink() or not path.is_file() or not _repo_data(rel):
                continue
            try:
                app_archive.check_name(f"repo/{rel}")
            except InvalidInput:
                continue
            found[f"repo/{rel}"] = path.read_bytes()
    return found


def restore_repo(repo: Path, members: dict[str, bytes]) -> int:
    """Write the `repo/...` members into a freshly initialised bare repository."""
    count = 0
    for name, body in sorted(members.items()):
        if not name.startswith("repo/"):
            continue
        rel = name.removeprefix("repo/")
        if not _repo_data(rel):
            raise InvalidInput(f"archive member {name!r} is not repository data")
        write_new(repo, rel, body)
        count += 1
    return count


def _repo_data(rel: str) -> bool:
    return rel in _REPO_FILES or rel.startswith(_REPO_PARTS)
