"""Per-app deploy locks that hold across processes and die with their holder.

One app changes (push, config, rollback, scale, convergence) one at a time. A thread lock
orders the threads of this process; an exclusive `flock` on `<dir>/<app>.lock` makes a second
API process (a restarted one, or two behind one router) wait too. The kernel drops a `flock`
when its holder's process dies, so a control plane killed mid-deploy never leaves a lock behind:
the next process simply gets it.
"""
from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path

POLL_SECONDS = 0.05  # only for acquire(timeout=...): flock itself has no timeout


class AppLock:
    """Acquire/release/locked like `threading.Lock`, and a context manager."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._thread = threading.Lock()
        self._fd: int | None = None

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        deadline = None if timeout < 0 else time.monotonic() + timeout
        if not self._thread.acquire(blocking, timeout):
            return False
        while True:
            try:
                fd = self._open()
            except BaseException:
                self._thread.release()
                raise
            if not _flock(fd, blocking, deadline):
                os.close(fd)
                self._thread.release()
                return False
            if self._current(fd):
                self._fd = fd
                return True
            os.close(fd)  # the app was destroyed (its file unlinked) while we waited: again

    def discard(self) -> None:
        """Remove the lock's file (the app is gone); only while holding it. A process that
        waits on the old file notices at its turn and locks the new one instead."""
        if self._fd is None:
            raise RuntimeError(f"discard of an unheld lock: {self.path.name}")
        self.path.unlink(missing_ok=True)

    def _current(self, fd: int) -> bool:
        try:
            return os.stat(self.path, follow_symlinks=False).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            return False

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            raise RuntimeError(f"release of an unheld lock: {self.path.name}")
        os.close(fd)  # closing the descriptor drops the flock
        self._thread.release()

    def locked(self) -> bool:
        """Held by a thread here or by any other process."""
        if self._thread.locked():
            return True
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)  # also drops the probe's own flock
        return False

    def __enter__(self) -> "AppLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def _open(self) -> int:
        # O_NOFOLLOW: the lock directory is ours (0700 under PAAS_HOME), but never follow a link.
        return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)


class AppLocks:
    """`locks(app)` is that app's lock, the same object for every caller in this process."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._locks: dict[str, AppLock] = {}
        self._guard = threading.Lock()

    def discard(self, app: str) -> None:
        """The destroyed app's lock file goes (called under that lock)."""
        self(app).discard()

    def __call__(self, app: str) -> AppLock:
        with self._guard:
            if app not in self._locks:
                self._locks[app] = AppLock(self.directory / f"{app}.lock")
            return self._locks[app]


def _flock(fd: int, blocking: bool, deadline: float | None) -> bool:
    if blocking and deadline is None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        return True
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if not blocking or time.monotonic() >= deadline:
                return False
            time.sleep(POLL_SECONDS)
