"""Disk full: a deploy on a full disk fails with one clear reason and changes nothing.

PAAS_HOME holds the repositories, the database, build directories and nginx's files. A deploy
checks before it starts that some room is left (so the database can still record the outcome),
and any "no space left" met on the way (a build directory, SQLite: the store adapter reports a
full database as ENOSPC) becomes the same reason. The running release keeps serving; once space
is freed, the next push works.
"""
from __future__ import annotations

import errno
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from paas.errors import DeployFailed

MIN_FREE_BYTES = 16 * 2**20  # below this a build would fail half way: refuse it up front


def no_space(path: Path) -> DeployFailed:
    return DeployFailed(f"no space left on device: free space under {path}; "
                        "the running release is unchanged")


def require_free(path: Path, minimum: int = MIN_FREE_BYTES) -> None:
    if shutil.disk_usage(path).free < minimum:
        raise no_space(path)


@contextmanager
def space_errors_fail_the_deploy(path: Path) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        if exc.errno != errno.ENOSPC:
            raise
        raise no_space(path) from exc
