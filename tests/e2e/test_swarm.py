"""The `swarm` scheduler on a real Docker Swarm: a manager and a worker, each a dockerd of its
own in a network namespace (tests/swarm_cluster.py), the platform on this host pointed at the
manager (DOCKER_HOST), its registry on the bridge. One cluster and one platform for the module."""
from __future__ import annotations

import json
import os
import signal
import shutil
import time
from pathlib import Path

import pytest

from tests.load import Load
from tests.support import start_platform
from tests.swarm_cluster import Cluster

STACK = "paas/stack:trixie"
CERTS_D = Path("/etc/docker/certs.d")


@pytest.fixture(scope="module")
def swarm(tmp_path_factory):
    cluster = Cluster().start(2, images=(STACK,))
    registry_port = 25000 + os.getpid() % 5000
    platform = start_platform(tmp_path_factory.mktemp("swarm"), "swarm", drain_seconds=2, settings={
        "PAAS_SCHEDULER": "swarm", "PAAS_SWARM_ADDR": cluster.host_addr,
        "PAAS_REGISTRY_PORT": str(registry_port), "DOCKER_HOST": cluster.manager.host})
    try:
        yield platform, cluster
    finally:
        platform.control("down")
        pid_file = platform.home / "registry" / "registry.pid"
        if pid_file.exists():
            try:
                os.kill(int(pid_file.read_text()), signal.SIGTERM)
            except ProcessLookupError:
                pass
        shutil.rmtree(CERTS_D / f"{cluster.host_addr}:{registry_port}", ignore_errors=True)
        cluster.stop()


def web_tasks(cluster: Cluster, app: str) -> dict[str, str]:
    """web process name -> the node id its running task is on, from the manager."""
    m = cluster.manager
    out = {}
    for line in m.docker("service", "ls", "-q", "--filter", f"label=paas.app={app}",
                         "--filter", "label=paas.process=web").stdout.split():
        tasks = m.docker("service", "ps", line, "--filter", "desired-state=running",
                         "--format", "{{.ID}}").stdout.split()
        for task in tasks:
            info = json.loads(m.docker("inspect", task).stdout)[0]
            if info["Status"]["State"] == "running":
                labels = info["Spec"]["ContainerSpec"]["Labels"]
                out[f"web.{labels['paas.index']}"] = info["NodeID"]
    return out


def wait_until(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"not within {timeout}s: {what}")


def test_web_spreads_over_the_nodes_from_the_registry(swarm, tmp_path):
    platform, cluster = swarm
    repo = platform.deploy("spread", "flask-hello", tmp_path)
    platform.wait_for("spread", "hello from v1")
    scaled = platform.paas("ps:scale", "web=2", cwd=repo)
    assert scaled.returncode == 0, scaled.stderr
    nodes = web_tasks(cluster, "spread")
    assert sorted(nodes) == ["web.1", "web.2"] and len(set(nodes.values())) == 2, nodes
    # The worker pulled the app's image by digest from the platform's registry, over TLS.
    worker = cluster.nodes[1].docker("images", "--digests", "--format",
                                     "{{.Repository}}@{{.Digest}}").stdout.split()
    assert any(ref.startswith(f"{cluster.host_addr}:") and "/paas/spread@sha256:" in ref
               for ref in worker), worker
    routed = (platform.home / "nginx").rglob("*spread*")
    text = "".join(p.read_text() for p in routed if p.is_file())
    assert cluster.nodes[0].addr in text and cluster.nodes[1].addr in text, text
    with Load(platform.http_port, "spread.localhost", clients=8) as load:
        wait_until(lambda: load.result.ok > 200, 60, "200 answers")
        result = load.stop()
    assert result.failed == 0, result.errors if hasattr(result, "errors") else result
