"""Backing up and restoring the whole platform (`make backup` / `make restore`, run by
paas.server.platform_backup).

Owns one consistent copy of PAAS_HOME's state: an online SQLite backup of paas.db (taken while
the platform runs, so no write is half-seen), the git repositories, certificates, the admin
token and the services' backups, as one verified archive (paas.render.app_archive) written
0600 through a temporary file, so an interrupted backup leaves no partial file. Restore only
fills a fresh PAAS_HOME (no paas.db yet), never follows a link and writes files 0600 in 0700
directories.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable

from paas.errors import Conflict, InvalidInput
from paas.render import app_archive
from paas.services.private_files import write_new
from paas.settings import Settings

TREES = ("repos", "certs", "backups/services")
FILES = ("admin-token",)


APPS = "apps/"  # apps/NAME.tar: each app's export (paas.services.app_moves)


def collect(settings: Settings, copy_db: Callable[[Path], bytes],
            exports: Callable[[], dict[str, bytes]] | None = None) -> tuple[dict, dict[str, bytes]]:
    """The archive's metadata and members: the database's online copy (`copy_db`), the trees,
    then every app's export (`exports`: app -> archive), which `paas platform:restore` imports."""
    home = settings.home
    members = {"paas.db": copy_db(settings.db_path)}
    for app, archive in sorted((exports() if exports else {}).items()):
        members[f"{APPS}{app}.tar"] = archive
    skipped: list[str] = []
    for name in FILES:
        path = home / name
        if path.is_file() and not path.is_symlink():
            members[name] = path.read_bytes()
    for tree in TREES:
        root = home / tree
        for dirpath, dirnames, filenames in os.walk(root):  # os.walk does not follow links
            for filename in sorted(filenames):
                path = Path(dirpath) / filename
                rel = path.relative_to(home).as_posix()
                if path.is_symlink() or not path.is_file():
                    skipped.append(rel)
                    continue
                try:
                    app_archive.check_name(rel)
                except InvalidInput:
                    skipped.append(rel)
                    continue
                members[rel] = path.read_bytes()
    return {"kind": "platform-backup", "home": str(home), "skipped": sorted(skipped)}, members


def backup(settings: Settings, target: Path, copy_db: Callable[[Path], bytes],
           exports: Callable[[], dict[str, bytes]] | None = None) -> dict:
    """Write the platform's backup to `target` (0600); its metadata."""
    meta, members = collect(settings, copy_db, exports)
    data = app_archive.write(meta, members)
    target = Path(target)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise
    return {**meta, "files": len(members), "bytes": len(data)}


def restore(settings: Settings, data: bytes) -> int:
    """Fill a fresh PAAS_HOME from a backup; how many files were written."""
    archive = app_archive.read(data)
    if archive.meta.get("kind") != "platform-backup":
        raise InvalidInput("that is not a paas platform backup")
    if "paas.db" not in archive.members:
        raise InvalidInput("platform backup has no paas.db")
    allowed = set(FILES) | {"paas.db"}
    for name in archive.members:
        if name.startswith(APPS):
            continue  # the apps' exports: for `paas platform:restore`, not files to lay down
        if name not in allowed and not any(name.startswith(t + "/") for t in TREES):
            raise InvalidInput(f"platform backup member {name!r} is outside the platform's state")
    home = settings.home
    if settings.db_path.exists():
        raise Conflict(f"{home} already holds a platform; restore needs a fresh PAAS_HOME")
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    files = {n: b for n, b in archive.members.items() if not n.startswith(APPS)}
    for name, body in sorted(files.items()):
        write_new(home, name, body)
    return len(files)


class PlatformBackups:
    """`paas platform:backup` and `paas platform:restore` over the API: the backup above with
    every app's export in it; a restore onto a platform without apps imports each one (their
    services, volumes and images with them) and deploys it."""

    def __init__(self, settings: Settings, copy_db: Callable[[Path], bytes], moves) -> None:
        self.settings = settings
        self.copy_db = copy_db
        self.moves = moves

    def exports(self) -> dict[str, bytes]:
        return {app.name: self.moves.export(app.name) for app in self.moves.store.list_apps()}

    def snapshot(self) -> bytes:
        return b"".join(self.snapshot_chunks())

    def snapshot_chunks(self):
        meta, members = collect(self.settings, self.copy_db, self.exports)
        return app_archive.chunks(meta, members)

    def restore_apps(self, data: bytes, on_line) -> list[str]:
        archive = app_archive.read(data)
        if archive.meta.get("kind") != "platform-backup":
            raise InvalidInput("that is not a paas platform backup")
        apps = sorted(n[len(APPS):-len(".tar")] for n in archive.members
                      if n.startswith(APPS) and n.endswith(".tar"))
        existing = [a.name for a in self.moves.store.list_apps()]
        if existing:
            raise Conflict(f"this platform already has apps ({', '.join(existing[:5])}): "
                           "restore into a fresh platform")
        done = []
        for app in apps:
            on_line(f"=====> Importing {app}")
            self.moves.import_app(app, archive.members[f"{APPS}{app}.tar"], on_line)
            done.append(app)
        return done