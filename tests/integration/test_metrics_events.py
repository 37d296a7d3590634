"""Restarts counted from the real Docker event stream (issue 15): a collector that stops after
storing some, and another started later over the same state, count each restart of a
crashing container exactly once; the engine's own RestartCount is the truth."""
from __future__ import annotations

import os
import time
import uuid

import docker
import pytest

from paas.adapters.docker_stats import DockerStats
from paas.adapters.metrics_store import MetricsStore
from paas.services.metrics import Metrics
from paas.settings import Settings
from tests.support import remove_docker_objects

STACK = os.environ.get("PAAS_STACK_IMAGE", "paas/stack:trixie")
RETRIES = 4


class Apps:
    def list_apps(self):
        return [type("App", (), {"name": "shop"})()]

    def list_releases(self, app):
        return []


@pytest.fixture
def instance():
    name = f"tev{uuid.uuid4().hex[:8]}"
    yield name
    remove_docker_objects(name)


def restarts(store) -> int:
    return sum(p.restarts for p in store.processes("shop", 0))


def wait(what, done, timeout=60):
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout} s")
        time.sleep(0.1)


def test_restarts_are_counted_once_across_a_collector_restart(tmp_path, instance):
    store = MetricsStore(tmp_path / "paas.db")
    clients = [docker.from_env(), docker.from_env()]

    def collector(client):
        return Metrics(Settings(home=tmp_path, instance=instance), Apps(), store, logs=None,
                       stats=DockerStats(client, instance))

    first = collector(clients[0])
    first.record_processes()  # its event stream starts
    container = clients[0].containers.run(
        STACK, ["sh", "-c", "sleep 1; exit 3"], detach=True, network_mode="none",
        restart_policy={"Name": "on-failure", "MaximumRetryCount": RETRIES},
        labels={"paas.instance": instance, "paas.kind": "process", "paas.app": "shop",
                "paas.process": "web"})

    def restart_count() -> int:
        container.reload()
        return container.attrs["RestartCount"]

    wait("two restarts", lambda: restart_count() >= 2)
    wait("the first collector storing a restart",
         lambda: first.record_processes() is not None and restarts(store) >= 1)
    stored = restarts(store)
    clients[0].close()  # the first collector's process ends here
    # A restart happens while no collector runs: the next one must still count it.
    wait("a restart while no collector runs", lambda: restart_count() > stored + 1)
    second = collector(clients[1])
    try:
        wait("the last restart", lambda: restart_count() == RETRIES
             and container.attrs["State"]["Status"] == "exited")
        wait(f"{RETRIES} restarts counted",
             lambda: second.record_processes() is not None and restarts(store) >= RETRIES)
        for _ in range(3):  # later passes add nothing
            second.record_processes()
        assert restarts(store) == RETRIES
    finally:
        clients[1].close()
