"""An app's state at a glance (services/status.py): the pure rules, then the use case over the
real flow against fakes."""
from __future__ import annotations

import pytest

from paas.domain.models import Build, Release
from paas.errors import DeployFailed
from paas.services.scheduler import Process
from paas.services.status import summarize
from tests.fakes import fake_services

SHA1, SHA2 = "1" * 40, "2" * 40


def release(version: int, status: str = "succeeded", at: float = 100.0, **processes) -> Release:
    return Release(app="a", version=version, image="img", config={}, commit=SHA1,
                   description="Deploy", status=status, created_by="admin", created_at=at,
                   processes=processes or {"web": "gunicorn app:app"})


def build(status: str, at: float) -> Build:
    return Build(id=7, app="a", status=status, commit=SHA1, image=None, buildpack=None,
                 started_at=at, finished_at=None)


def proc(name: str, state: str = "running", oom: bool = False) -> Process:
    kind, index = name.split(".")
    return Process(name=name, process=kind, index=int(index), state=state, release=1,
                   started_at="", uptime_seconds=None, restarts=0, oom_killed=oom)


def state(**kw):
    args = dict(deploying=False, current=None, latest=None, build=None, processes=[],
                formation={"web": 1})
    args.update(kw)
    found = summarize("a", "http://a.localhost/", **args)
    return found.state, found.reason


def test_states_in_order_of_precedence():
    v1 = release(1)
    assert state() == ("new", "never deployed: git push paas main")
    assert state(build=build("pending", 5)) == ("deploying", "a deploy is under way")
    assert state(current=v1, latest=v1, processes=[proc("web.1")], deploying=True)[0] == "deploying"
    assert state(build=build("failed", 5)) == ("failed deploy", "build 7 failed")
    assert state(current=v1, latest=v1, processes=[proc("web.1")]) == ("running", "v1 serving")
    assert state(current=v1, latest=v1, processes=[]) == ("crashed", "web 0/1 running")
    assert state(current=v1, latest=v1, processes=[proc("web.1", "restarting")]) == (
        "crashed", "web.1 restarting")
    assert state(current=v1, latest=v1, processes=[proc("web.1", oom=True)]) == (
        "crashed", "web.1 OOM-killed")
    v2 = release(2, "failed", at=200)
    assert state(current=v1, latest=v2, processes=[proc("web.1")]) == (
        "failed deploy", "v2 failed; v1 still serving")
    assert state(current=v1, latest=v1, build=build("failed", 150), processes=[proc("web.1")]) == (
        "failed deploy", "build 7 failed; v1 still serving")
    # A failed build older than the serving release is history, not the state.
    assert state(current=v1, latest=v1, build=build("failed", 50), processes=[proc("web.1")])[0] == "running"
    assert state(current=v1, latest=v1, formation={"web": 0}) == ("stopped", "scaled to zero")


def test_counts_ignore_draining_containers_and_one_off_types():
    v1 = release(1, web="gunicorn", worker="celery", release="migrate")
    found = summarize("a", "u", deploying=False, current=v1, latest=v1, build=None,
                      processes=[proc("web.1"), proc("web.2", "draining"), proc("worker.1")],
                      formation={"web": 2, "worker": 1, "release": 1})
    assert found.processes == {"web": (1, 2), "worker": (1, 1)}
    assert (found.state, found.reason) == ("crashed", "web 1/2 running")
    assert found.release == 1 and found.last_deploy == 100.0


@pytest.fixture
def services(tmp_path):
    s = fake_services(tmp_path / "home")
    s.apps.create("hello")
    return s


def test_status_of_an_app_through_its_life(services):
    status = services.status
    assert status.of("hello").state == "new"
    services.deployer.deploy_push("hello", SHA1, lambda _: None)
    now = status.of("hello")
    assert (now.state, now.release, now.processes) == ("running", 1, {"web": (1, 1)})
    assert now.url == "http://hello.localhost:8080/"
    assert now.last_deploy == services.store.current_release("hello").created_at
    with services.deployer.lock("hello"):
        assert status.of("hello").state == "deploying"
    services.deployer.scheduler.engine.crash_processes.add("web")
    with pytest.raises(DeployFailed):
        services.deployer.deploy_push("hello", SHA2, lambda _: None)
    assert (status.of("hello").state, status.of("hello").reason) == (
        "failed deploy", "v2 failed; v1 still serving")
    [web] = services.deployer.scheduler.engine.running()
    web.status = "exited"
    web.oom_killed = True
    assert status.of("hello").state == "crashed"
    assert [s.name for s in status.all()] == ["hello"]


def test_an_app_page_holds_the_summary_and_the_newest_of_each_list(services):
    services.deployer.deploy_push("hello", SHA1, lambda _: None)
    services.deployer.deploy_push("hello", SHA2, lambda _: None)
    page = services.status.page("hello", listed=1)
    assert page.summary == services.status.of("hello") and page.summary.release == 2
    assert [r.version for r in page.releases] == [2]
    assert [b.commit for b in page.builds] == [SHA2]
    assert [(p.name, p.release) for p in page.processes] == [("web.1", 2)]


def test_every_apps_summary_comes_from_one_docker_listing(tmp_path):
    """Issue 14 (scale): the dashboard's apps list asks Docker once, not once an app."""
    services = fake_services(tmp_path)
    for name in ("one", "two", "three"):
        services.apps.create(name)
        services.deployer.deploy_push(name, SHA1, lambda _: None)
    engine = services.deployer.scheduler.engine
    listings = []
    real = engine.list_containers
    engine.list_containers = lambda labels: (listings.append(labels), real(labels))[1]
    summaries = services.status.all()
    assert len(listings) == 1
    assert {s.name: (s.state, s.processes) for s in summaries} == {
        name: ("running", {"web": (1, 1)}) for name in ("one", "two", "three")}
