"""Killing and restarting a test platform's API process, and looking at what it left behind."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import docker

from tests.support import Platform


def api_pids(platform: Platform) -> list[int]:
    """The gunicorn master of this platform and its workers."""
    master = int((platform.home / "gunicorn.pid").read_text().strip())
    pids = [master]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:  # field 4 of stat: the parent's pid
            pids.append(int(stat.parent.name))
    return pids


def kill_api(platform: Platform) -> None:
    """kill -9 every process of the API, as an OOM kill or a crash would."""
    pids = api_pids(platform)
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in pids):
        assert time.monotonic() < deadline, "the API's processes outlived SIGKILL"
        time.sleep(0.05)


def restart_api(platform: Platform) -> None:
    result = platform.control("up")
    assert result.returncode == 0, result.stdout + result.stderr


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def containers(platform: Platform, app: str, **labels: str) -> list:
    wanted = [f"paas.instance={platform.instance}", f"paas.app={app}",
              *(f"paas.{k}={v}" for k, v in labels.items())]
    return docker.from_env().containers.list(all=True, filters={"label": wanted}, ignore_removed=True)


def wait_until(what: str, check, timeout: float = 60, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(every)
