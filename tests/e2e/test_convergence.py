"""Convergence: after nginx dies, dockerd restarts or the control plane restarts, the app
answers again within 30 s with no manual step (issue 3)."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import time

import docker

from tests.support import ROOT


def live_web_addresses(platform, app) -> set[str]:
    client = docker.from_env()
    found = client.containers.list(filters={"label": [f"paas.instance={platform.instance}",
                                                      f"paas.app={app}", "paas.process=web"]})
    return {f"{net['IPAddress']}:5000" for c in found
            for net in c.attrs["NetworkSettings"]["Networks"].values()}


def wait_answering(platform, app, text, timeout=30.0) -> float:
    started = time.monotonic()
    platform.wait_for(app, text, timeout=timeout)
    return time.monotonic() - started


def test_app_comes_back_without_a_manual_step(platform, tmp_path):
    app = "phoenix"
    platform.deploy(app, "flask-hello", tmp_path)
    platform.wait_for(app, "hello from v1")

    # nginx killed outright
    master = int((platform.home / "nginx" / "nginx.pid").read_text())
    workers = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
    for pid in [master, *map(int, workers)]:
        os.kill(pid, signal.SIGKILL)
    print(f"\nnginx killed: answering again after {wait_answering(platform, app, 'hello from v1'):.1f}s")

    # dockerd restarted: containers come back, at other addresses unless Docker happens to
    # hand out the same ones again: nginx must point at the live ones.
    subprocess.run(["pkill", "-TERM", "-x", "dockerd"], check=True)
    for _ in range(200):
        if subprocess.run(["pgrep", "-x", "dockerd"], capture_output=True).returncode != 0:
            break
        time.sleep(0.1)
    subprocess.run(["bash", "scripts/dockerd.sh"], cwd=ROOT, check=True, capture_output=True)
    print(f"dockerd restarted: answering again after {wait_answering(platform, app, 'hello from v1'):.1f}s")
    conf = (platform.home / "nginx" / "apps" / f"{app}.conf").read_text()
    assert set(re.findall(r"server (\S+) ", conf)) == live_web_addresses(platform, app)

    # the control plane restarted
    assert platform.control("down").returncode == 0
    assert platform.control("up").returncode == 0
    print(f"control plane restarted: answering after {wait_answering(platform, app, 'hello from v1'):.1f}s")
    ps = platform.paas("ps", "-a", app)
    assert ps.returncode == 0 and "web.1" in ps.stdout
