"""The log archive: the lines of removed containers, kept per app, release and process type
under $PAAS_HOME/logs/releases/<app>/<version>/<type>.log, so `paas logs --release vN` reads
them after their containers are gone (Docker forgets a container's logs with it).

Bounded: at most KEEP_LINES lines per process type of a release (the newest), lines cut at
MAX_LINE characters, and only the newest KEEP_RELEASES releases of an app. Directories are 0700
and files 0600 (app output may hold secrets). Every name in a path is checked here (app names
and process types come from the platform, but a type first came from a push's Procfile), each
directory is opened without following a link, and a file is replaced through a new private
temporary file, so nothing a push wrote is ever followed as a path on the host.

A line is `<RFC 3339 time>\t<type.index>\t<text>`; appending lines that are already there
(the same time, container and text) adds nothing, so archiving a container twice is harmless.
"""
from __future__ import annotations

import os
import re
import secrets
import shutil
import threading
from pathlib import Path

from paas.domain.names import APP_NAME_RE as _APP
from paas.domain.procfile import TYPE_RE as _TYPE

KEEP_LINES = 1500
KEEP_RELEASES = 3
MAX_LINE = 4096
_NAME = re.compile(r"[A-Za-z0-9_-]{1,63}\.[0-9]{1,6}")
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW


class LogArchive:
    def __init__(self, root: Path, keep_lines: int = KEEP_LINES,
                 keep_releases: int = KEEP_RELEASES) -> None:
        self.root = Path(root)
        self.keep_lines = keep_lines
        self.keep_releases = keep_releases
        self._lock = threading.Lock()

    def add(self, app: str, release: int, process: str,
            lines: list[tuple[str, str, str]]) -> None:
        """Merge (time, `type.index`, text) lines into the release's file of `process`,
        keeping the newest KEEP_LINES; then forget all but the newest KEEP_RELEASES releases."""
        if not (_APP.fullmatch(app) and _TYPE.fullmatch(process) and 0 < release < 10**9):
            return
        fresh = [_line(stamp, name, text) for stamp, name, text in lines
                 if _NAME.fullmatch(name) and stamp and " " not in stamp and "\t" not in stamp]
        if not fresh:
            return
        with self._lock:
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            app_fd = self._under_root(app, create=True)
            try:
                rel_fd = _open_dir(app_fd, str(release), create=True)
                try:
                    old = _read(rel_fd, f"{process}.log")
                    known = set(old)
                    merged = old + [line for line in dict.fromkeys(fresh) if line not in known]
                    merged.sort(key=lambda line: line.split("\t", 1)[0])  # stable: order kept
                    _replace(rel_fd, f"{process}.log", merged[-self.keep_lines:])
                finally:
                    os.close(rel_fd)
                self._prune(app_fd)
            finally:
                os.close(app_fd)

    def read(self, app: str, release: int) -> list[tuple[str, str, str]]:
        """(time, `type.index`, text) of every archived line of the release, oldest first."""
        if not (_APP.fullmatch(app) and 0 < release < 10**9):
            return []
        with self._lock:
            try:
                app_fd = self._under_root(app)
            except OSError:
                return []
            try:
                rel_fd = _open_dir(app_fd, str(release))
            except OSError:
                return []
            finally:
                os.close(app_fd)
            try:
                lines = [line for name in sorted(os.listdir(rel_fd))
                         if name.endswith(".log") and _TYPE.fullmatch(name[:-4])
                         for line in _read(rel_fd, name)]
            finally:
                os.close(rel_fd)
        out = []
        for line in lines:
            parts = line.split("\t", 2)
            if len(parts) == 3:
                out.append((parts[0], parts[1], parts[2]))
        return sorted(out, key=lambda entry: entry[0])

    def releases(self, app: str) -> list[int]:
        if not _APP.fullmatch(app):
            return []
        path = self.root / app
        if path.is_symlink() or not path.is_dir():
            return []
        return sorted(int(n) for n in os.listdir(path) if n.isdigit())

    def remove(self, app: str) -> None:
        """Forget the app's lines (it is destroyed)."""
        if not _APP.fullmatch(app):
            return
        path = self.root / app
        with self._lock:
            if path.is_symlink():
                path.unlink()
            elif path.is_dir():
                shutil.rmtree(path, ignore_errors=True)

    def _prune(self, app_fd: int) -> None:
        versions = sorted(int(n) for n in os.listdir(app_fd) if n.isdigit())
        for version in versions[:-self.keep_releases]:
            fd = os.open(str(version), _DIR_FLAGS, dir_fd=app_fd)
            try:
                for name in os.listdir(fd):
                    os.unlink(name, dir_fd=fd)
            finally:
                os.close(fd)
            os.rmdir(str(version), dir_fd=app_fd)

    def _under_root(self, app: str, create: bool = False) -> int:
        root_fd = os.open(self.root, _DIR_FLAGS)
        try:
            return _open_dir(root_fd, app, create)
        finally:
            os.close(root_fd)


def _open_dir(parent_fd: int, name: str, create: bool = False) -> int:
    """A directory's descriptor, opened without following a link (made 0700 if missing)."""
    if create:
        try:
            os.mkdir(name, 0o700, dir_fd=parent_fd)
        except FileExistsError:
            pass
    return os.open(name, _DIR_FLAGS, dir_fd=parent_fd)


def _line(stamp: str, name: str, text: str) -> str:
    text = text[:MAX_LINE].replace("\r", " ").replace("\n", " ")
    return f"{stamp}\t{name}\t{text}"


def _read(dir_fd: int, name: str) -> list[str]:
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=dir_fd)
    except FileNotFoundError:
        return []
    with os.fdopen(fd, "r", encoding="utf-8", errors="replace", newline="\n") as fh:
        return fh.read().split("\n")[:-1]


def _replace(dir_fd: int, name: str, lines: list[str]) -> None:
    temp = f".{name}.{secrets.token_hex(4)}"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600, dir_fd=dir_fd)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write("".join(line + "\n" for line in lines))
        os.replace(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        try:
            os.unlink(temp, dir_fd=dir_fd)
        except FileNotFoundError:
            pass
        raise
