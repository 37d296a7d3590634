"""Reads the apps' JSON access logs that nginx writes (issue 15), incrementally, and rotates them.

A read position is (inode, byte offset): it survives a rename, so rotation is "rename the file
to `<name>.1`, ask nginx to reopen its logs"; the next reads finish `<name>.1` from the stored
offset until it has been quiet for `settle` seconds, then go on with the new file from 0, and
the file after that deletes `<name>.1`.
Only complete lines are returned: a line nginx has half written waits for the next read.
Files are opened without following links (the directory is the router's own, not an app's).
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from paas.domain.metrics import LOG_SUFFIX, access_log_name, complete_lines

READ_LIMIT = 8 * 1024 * 1024  # per app per read: a backlog is worked off over several cycles
ROTATE_AT = 16 * 1024 * 1024
# After a reload, old workers write their buffered lines to the renamed file as they exit (at
# most nginx's worker_shutdown_timeout, 30 s, later): it is read until it has been quiet this long.
SETTLE = 35.0


@dataclass
class Chunk:
    lines: list[bytes] = field(default_factory=list)
    position: tuple[int, int] = (0, 0)


class AccessLogs:
    def __init__(self, directory: Path, reopen: Callable[[], None],
                 rotate_at: int = ROTATE_AT, read_limit: int = READ_LIMIT,
                 settle: float = SETTLE) -> None:
        self.directory = Path(directory)
        self.reopen = reopen  # makes the router write to a fresh file after a rename
        self.rotate_at = rotate_at
        self.read_limit = read_limit
        self.settle = settle

    def path(self, app: str) -> Path:
        return self.directory / access_log_name(app)

    def read(self, app: str, position: tuple[int, int] | None) -> Chunk:
        """The complete lines after `position` and the position after them."""
        current, rotated = self.path(app), self.path(app).with_name(self.path(app).name + ".1")
        inode, offset = position or (0, 0)
        chunk = Chunk(position=(inode, offset))
        if position and _inode(rotated) == inode:
            lines, offset = _read_from(rotated, offset, self.read_limit)
            chunk.lines += lines
            chunk.position = (inode, offset)
            if offset < _size(rotated) or time.time() - _mtime(rotated) < self.settle:
                return chunk  # more of the old file first, at the next read
            inode, offset = 0, 0  # done with it: on to the new file
        now = _inode(current)
        if now is None:
            return chunk
        if now != inode or offset > _size(current):  # a new file, or one truncated under us
            offset = 0
        lines, offset = _read_from(current, offset, self.read_limit - sum(map(len, chunk.lines)))
        chunk.lines += lines
        chunk.position = (now, offset)
        return chunk

    def tidy(self, app: str, position: tuple[int, int]) -> None:
        """After `position` is stored: drop a rotated file already read to its end, rotate a
        file grown past the cap."""
        current = self.path(app)
        rotated = current.with_name(current.name + ".1")
        if rotated.exists() and _inode(rotated) != position[0]:
            rotated.unlink(missing_ok=True)
        if _size(current) >= self.rotate_at and not rotated.exists():
            os.rename(current, rotated)
            self.reopen()

    def remove_others(self, apps: set[str]) -> list[str]:
        """Delete the logs of apps not in `apps` (destroyed ones), so that an app created
        again under the same name starts from nothing; returns their names."""
        gone = set()
        for path in self.directory.glob(f"*{LOG_SUFFIX}*"):
            app = path.name.split(LOG_SUFFIX)[0]
            if app not in apps and path.name in (access_log_name(app), access_log_name(app) + ".1"):
                path.unlink(missing_ok=True)
                gone.add(app)
        return sorted(gone)


def _inode(path: Path) -> int | None:
    try:
        return os.lstat(path).st_ino
    except FileNotFoundError:
        return None


def _size(path: Path) -> int:
    try:
        return os.lstat(path).st_size
    except FileNotFoundError:
        return 0


def _mtime(path: Path) -> float:
    try:
        return os.lstat(path).st_mtime
    except FileNotFoundError:
        return 0.0


def _read_from(path: Path, offset: int, limit: int) -> tuple[list[bytes], int]:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except (FileNotFoundError, OSError):
        return [], offset
    try:
        data = os.pread(fd, max(limit, 0), offset)
    finally:
        os.close(fd)
    lines, used = complete_lines(data)
    if used == 0 and len(data) >= limit > 0:
        used = len(data)  # one line longer than a whole read is not nginx's: skip it
    return lines, offset + used
