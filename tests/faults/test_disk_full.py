"""Disk full: PAAS_HOME on a small tmpfs. A push with too little room fails with "no space
left on device: free space under <path>"; even with the disk completely full the running
release keeps serving and the database stays intact; once space is freed, pushes work again."""
from __future__ import annotations

import shutil
import sqlite3
import subprocess

import pytest

from tests.faults.test_crash_safe_deploys import current
from tests.support import commit_all, start_platform, stop_platform


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m,mode=0700", "tmpfs", str(mount)],
                   check=True)
    platform = None
    try:
        platform = start_platform(tmp_path, "small", drain_seconds=1)
        yield platform
    finally:
        if platform is not None:
            stop_platform(platform)
        subprocess.run(["umount", "-l", str(mount)], check=True)


def fill(path, leave: int) -> None:
    """Write a file that leaves `leave` bytes free (or as near as the filesystem allows)."""
    free = shutil.disk_usage(path).free
    with open(path / "filler", "ab") as out:
        chunk = b"\0" * 2**20
        remaining = max(0, free - leave)
        try:
            while remaining > 0:
                remaining -= out.write(chunk[:remaining])
        except OSError:
            pass  # full: what we wanted


def integrity(platform) -> str:
    with sqlite3.connect(f"file:{platform.home / 'paas.db'}?mode=ro", uri=True) as db:
        return db.execute("PRAGMA integrity_check").fetchone()[0]


def push_version(platform, repo, version: str):
    (repo / "version.txt").write_text(version + "\n")
    commit_all(repo, platform.env, version)
    return platform.git("push", "paas", "main", cwd=repo)


def test_a_full_disk_fails_the_push_clearly_and_keeps_serving(small_disk, tmp_path):
    p = small_disk
    repo = p.deploy("full", "fault-app", tmp_path)
    p.wait_for("full", "fault-app v1")

    fill(p.home, leave=4 * 2**20)
    low = push_version(p, repo, "v2")
    assert low.returncode != 0
    assert f"no space left on device: free space under {p.home}" in low.stderr, low.stderr[-800:]
    assert p.wait_for("full", "fault-app v1")
    assert p.paas("apps:info", "-a", "full").returncode == 0

    fill(p.home, leave=0)  # nothing left at all: the push fails somewhere, nothing breaks
    full = push_version(p, repo, "v3")
    assert full.returncode != 0
    assert p.wait_for("full", "fault-app v1")  # nginx and the app need no room on PAAS_HOME

    (p.home / "filler").unlink()
    assert integrity(p) == "ok" and current(p, "full") == 1
    assert push_version(p, repo, "v4").returncode == 0
    p.wait_for("full", "fault-app v4")
    assert integrity(p) == "ok"
