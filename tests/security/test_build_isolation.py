"""Attack: a build reaches another build (or an app) over the network, e.g. to tamper with what
it downloads or to read what it serves. Each build has a bridge of its own (issue 9); Docker
keeps bridges apart. Real daemon, real networks from BuildSandbox."""
from __future__ import annotations

import time

import pytest

from paas.adapters.docker_engine import DockerEngine
from paas.services.build_sandbox import BuildSandbox
from paas.settings import Settings
from tests.support import remove_docker_objects

INSTANCE = "tiso1"
LABELS = {"paas.instance": INSTANCE}
PROBE = """
import socket, sys
try:
    socket.create_connection((sys.argv[1], 8000), timeout=3).close()
    print("open")
except OSError as exc:
    print(type(exc).__name__)
"""


@pytest.fixture
def two_builds(tmp_path):
    engine = DockerEngine()
    sandbox = BuildSandbox(Settings(home=tmp_path, instance=INSTANCE, network_pool="10.233.0.0/16"),
                           engine)
    first, second = sandbox.open_network(1), sandbox.open_network(2)
    server = engine.client.containers.run(
        "paas/stack:trixie", ["python3", "-m", "http.server", "8000"], detach=True,
        network=second, labels=LABELS, user="1000:1000", cap_drop=["ALL"])
    yield engine, first, second, server
    remove_docker_objects(INSTANCE)
    for name in (first, second):
        sandbox.close_network(name)


def probe(engine, network: str, address: str) -> str:
    return engine.client.containers.run(
        "paas/stack:trixie", ["python3", "-c", PROBE, address], network=network, labels=LABELS,
        remove=True, user="1000:1000", cap_drop=["ALL"]).decode().strip()


def test_a_build_cannot_reach_another_build(two_builds):
    engine, first, second, server = two_builds
    assert first != second
    deadline = time.monotonic() + 20
    address = ""
    while not address and time.monotonic() < deadline:
        server.reload()
        address = server.attrs["NetworkSettings"]["Networks"][second]["IPAddress"]
    # The server answers on its own network (the probe works), and from the other build not.
    for _ in range(50):
        if probe(engine, second, address) == "open":
            break
        time.sleep(0.2)
    assert probe(engine, second, address) == "open"
    assert probe(engine, first, address) != "open"
