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
from paas.settings import Settings

TREES = ("repos", "certs", "backups/services")
FILES = ("admin-token",)


def collect(settings: Settings, copy_db: Callable[[Path], bytes]) -> tuple[dict, dict[str, bytes]]:
    """The archive's metadata and members: the database's online copy (`copy_db`), then the
    trees."""
    home = settings.home
    members = {"paas.db": copy_db(settings.db_path)}
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


def backup(settings: Settings, target: Path, copy_db: Callable[[Path], bytes]) -> dict:
    """Write the platform's backup to `target` (0600); its metadata."""
    meta, members = collect(settings, copy_db)
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
        if name not in allowed and not any(name.startswith(t + "/") for t in TREES):
            raise InvalidInput(f"platform backup member {name!r} is outside the platform's state")
    home = settings.home
    if settings.db_path.exists():
        raise Conflict(f"{home} already holds a platform; restore needs a fresh PAAS_HOME")
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    for name, body in sorted(archive.members.items()):
        _write_new(home, name, body)
    return len(archive.members)


def _write_new(home: Path, name: str, body: bytes) -> None:
    """Create home/name (never an existing file, never through a link)."""
    parts = name.split("/")
    current = home
    for part in parts[:-1]:
        current = current / part
        if current.is_symlink():
            raise InvalidInput(f"{current} is a link; refusing to restore through it")
        current.mkdir(mode=0o700, exist_ok=True)
    fd = os.open(current / parts[-1], os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(body)
