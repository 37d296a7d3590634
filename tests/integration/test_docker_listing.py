"""The engine's count of labelled containers on the real daemon: it matches the inspected
listing (stopped ones included, other instances' and kinds' left out) without inspecting."""
import docker
import pytest

from paas.adapters.docker_engine import DockerEngine
from tests.support import remove_docker_objects

INSTANCE = "tcount1"


@pytest.fixture
def engine():
    yield DockerEngine()
    remove_docker_objects(INSTANCE)
    remove_docker_objects(INSTANCE + "x")


def test_count_matches_the_listing_without_inspecting(engine, monkeypatch):
    client = docker.from_env()
    made = []
    for instance, kind in ((INSTANCE, "process"), (INSTANCE, "process"), (INSTANCE, "build"),
                           (INSTANCE + "x", "process")):
        made.append(client.containers.create(
            "paas/stack:trixie", ["sleep", "60"],
            labels={"paas.instance": instance, "paas.kind": kind}))
    made[0].start()  # one running, the others created and never started
    labels = {"paas.instance": INSTANCE, "paas.kind": "process"}
    assert len(engine.list_containers(labels)) == 2

    def no_inspection(*_):
        raise AssertionError("count_containers inspected a container")
    monkeypatch.setattr(engine, "_inspected", no_inspection)
    monkeypatch.setattr(engine, "inspect", no_inspection)
    assert engine.count_containers(labels) == 2
    assert engine.count_containers({"paas.instance": INSTANCE}) == 3
    assert engine.count_containers({"paas.instance": "tcount-none"}) == 0
