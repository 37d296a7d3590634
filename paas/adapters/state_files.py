"""Secrets at rest: the state directory and the files in it that hold secrets are private.

PAAS_HOME is 0700; the database (config values, token digests), the admin token, the
dashboard's signing key, backups and certificate keys are 0600 (their directories 0700). Run at
every start and by a migration step for state made before, so a file created by an older
version, a restore or an operator's `cp` is fixed too. Symlinks are left alone: a mode is
never set through a link.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

SECRET_FILES = ("paas.db", "paas.db-wal", "paas.db-shm", "paas.db-journal", "admin-token",
                "dashboard-secret")
PRIVATE_TREES = ("backups", "certs", "builds")


def make_private(home: Path) -> list[str]:
    """Tighten the modes under `home`; returns the paths it changed."""
    home = Path(home)
    changed: list[str] = []
    _set(home, 0o700, changed)
    for name in SECRET_FILES:
        _set(home / name, 0o600, changed)
    for tree in PRIVATE_TREES:
        root = home / tree
        if not _is(root, stat.S_ISDIR):
            continue
        _set(root, 0o700, changed)
        for dirpath, dirnames, filenames in os.walk(root):
            for name in dirnames:
                _set(Path(dirpath) / name, 0o700, changed)
            for name in filenames:
                _set(Path(dirpath) / name, 0o600, changed)
    return changed


def create_private(path: Path) -> None:
    """Create an empty file readable by its owner only, unless it exists (e.g. a database
    before SQLite opens it, which would create it with the umask's mode)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
    except FileExistsError:
        pass


def _is(path: Path, kind) -> bool:
    try:
        return kind(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False


def _set(path: Path, mode: int, changed: list[str]) -> None:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode) or stat.S_IMODE(info.st_mode) & 0o777 == mode:
        return
    if stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode):
        os.chmod(path, mode)
        changed.append(str(path))
