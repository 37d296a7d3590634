"""Crash loops against the fakes: convergence stops what Docker keeps restarting, leaves the slot
empty for its backoff, `ps` says "crashed", then it is started again."""
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from tests.fakes import FakeEngine, FakeProbe, FakeProxy, FakeRepos, fake_services

SHA1 = "1" * 40


@pytest.fixture
def world(tmp_path):
    engine, probe, proxy, repos = FakeEngine(), FakeProbe(), FakeProxy(), FakeRepos(tmp_path)
    services = fake_services(tmp_path / "home", engine=engine, probe=probe, proxy=proxy, repos=repos)
    services.apps.create("hello")
    proxy.ensure_running()
    services.deployer.deploy_push("hello", SHA1, lambda _: None)
    return SimpleNamespace(engine=engine, converger=services.converger, ps=services.processes.ps)


def _ago(seconds: float) -> str:
    return (datetime.now(timezone.utc) - timedelta(seconds=seconds)).isoformat()


def _crash(container, restarts: int, finished_ago: float = 0.0) -> None:
    container.status, container.restart_count, container.exit_code = "restarting", restarts, 3
    container.started_at, container.finished_at = _ago(finished_ago + 0.5), _ago(finished_ago)


def test_a_crash_loop_waits_its_backoff_and_ps_says_crashed(world):
    [web] = world.engine.running()
    _crash(web, restarts=3)
    # stopped (nginx no longer points at it); its slot waits 8 s (4 crashes in a row)
    assert world.converger.once() == ["hello: routed to current addresses"]
    assert web.status == "exited" and world.engine.running() == []
    assert world.converger.once() == []  # nothing started during the backoff
    [shown] = world.ps("hello")
    assert (shown.name, shown.state, shown.restarts, shown.exit_status) == ("web.1", "crashed", 4, 3)
    next_try = datetime.fromisoformat(shown.next_try).timestamp()
    assert 0 < next_try - datetime.now(timezone.utc).timestamp() <= 9
    web.finished_at = _ago(9)  # the backoff has passed
    assert world.converger.once() == ["hello: started 1, retired 0"]
    assert [p.state for p in world.ps("hello")] == ["running"]


def test_few_restarts_are_left_to_docker_and_a_clean_stop_is_no_crash(world):
    [web] = world.engine.running()
    _crash(web, restarts=2)
    assert world.converger.once() == [] and web.status == "restarting"
    web.status, web.exit_code = "exited", 143  # stopped by the platform: replaced at once
    assert world.converger.once() == ["hello: started 1, retired 0"]


def test_the_delay_is_capped_at_five_minutes(world):
    [web] = world.engine.running()
    _crash(web, restarts=40, finished_ago=299)
    world.converger.once()
    assert world.engine.running() == [] and world.ps("hello")[0].state == "crashed"
    web.finished_at = _ago(301)
    assert world.converger.once() == ["hello: started 1, retired 0"]


def test_a_slot_that_crashes_again_is_reported_and_waits_longer(world):
    [web] = world.engine.running()
    _crash(web, restarts=3, finished_ago=9)
    world.engine.crash_processes.add("web")
    assert world.converger.once() == ["hello: restart failed"]
    assert world.engine.running() == []
    [shown] = world.ps("hello")
    assert (shown.state, shown.restarts) == ("crashed", 5)  # 4 + the one that failed again


def test_a_process_that_ran_long_before_it_crashed_is_left_to_docker(world):
    [web] = world.engine.running()
    _crash(web, restarts=5)
    web.started_at = _ago(3600)  # its last run lasted an hour
    world.converger.once()
    assert web.status == "restarting"
