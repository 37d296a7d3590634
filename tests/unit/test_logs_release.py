"""`paas logs --release vN`: only that release's containers, retired and failed ones included."""
from types import SimpleNamespace

import pytest

from paas.errors import DeployFailed
from tests.fakes import FakeEngine, FakeProbe, FakeProxy, FakeRepos, fake_services

SHA1, SHA2, SHA3 = "1" * 40, "2" * 40, "3" * 40


@pytest.fixture
def world(tmp_path):
    engine, probe, proxy, repos = FakeEngine(), FakeProbe(), FakeProxy(), FakeRepos(tmp_path)
    services = fake_services(tmp_path / "home", engine=engine, probe=probe, proxy=proxy, repos=repos)
    services.apps.create("hello")
    proxy.ensure_running()
    return SimpleNamespace(engine=engine, deployer=services.deployer, logs=services.logs)


def _say(engine, release: str, text: str) -> None:
    for c in engine.list_containers({"paas.kind": "process"}):
        if c.labels["paas.release"] == release:
            engine.output[c.id] = [("2030-01-01T00:00:01Z", text)]


def test_release_logs_show_only_that_release_and_no_events(world):
    world.deployer.deploy_push("hello", SHA1, lambda _: None)
    _say(world.engine, "1", "from v1")
    world.deployer.deploy_push("hello", SHA2, lambda _: None)
    _say(world.engine, "2", "from v2")
    assert world.logs.recent("hello", 100, release=2) == [
        "2030-01-01T00:00:01.000000+00:00 app[web.1]: from v2"]
    everything = world.logs.recent("hello", 100)
    assert any("paas[deploy]" in line for line in everything)
    assert world.logs.recent("hello", 100, release=7) == []


def test_a_failed_deploys_lines_stay_readable_by_release(world):
    world.deployer.deploy_push("hello", SHA1, lambda _: None)
    world.engine.crash_processes.add("web")
    with pytest.raises(DeployFailed):
        world.deployer.deploy_push("hello", SHA2, lambda _: None)
    [kept] = [c for c in world.engine.list_containers({"paas.kind": "process"})
              if c.labels["paas.release"] == "2"]
    assert kept.status == "exited"  # stopped, not removed: its lines say why v2 failed
    _say(world.engine, "2", "Traceback: boom")
    assert world.logs.recent("hello", 100, release=2) == [
        "2030-01-01T00:00:01.000000+00:00 app[web.1]: Traceback: boom"]
    assert not any("boom" in line for line in world.logs.recent("hello", 100, release=1))
