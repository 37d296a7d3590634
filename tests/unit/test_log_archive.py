"""The log archive: a removed container's last lines stay readable by release (issue 13,
dokku#3241), bounded, private, and never written through a link."""
import os
import stat
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from paas.adapters.log_archive import LogArchive
from paas.errors import DeployFailed
from paas.services.converge import KEEP_STOPPED_SECONDS
from tests.fakes import FakeEngine, FakeProbe, FakeProxy, FakeRepos, fake_services

SHA1, SHA2, SHA3, SHA4, SHA5 = (str(n) * 40 for n in range(1, 6))


def _stamp(second: int) -> str:
    return f"2030-01-01T00:{second // 60:02d}:{second % 60:02d}.000000000Z"


def test_lines_round_trip_in_time_order_and_twice_is_once(tmp_path):
    archive = LogArchive(tmp_path / "releases")
    archive.add("hello", 2, "web", [(_stamp(2), "web.2", "second"), (_stamp(1), "web.1", "first")])
    archive.add("hello", 2, "web", [(_stamp(2), "web.2", "second")])  # archived again: no copy
    archive.add("hello", 2, "worker", [(_stamp(3), "worker.1", "tab\there")])
    assert archive.read("hello", 2) == [(_stamp(1), "web.1", "first"), (_stamp(2), "web.2", "second"),
                                        (_stamp(3), "worker.1", "tab\there")]
    assert archive.read("hello", 1) == [] and archive.read("other", 2) == []


def test_the_newest_lines_of_a_type_and_the_newest_releases_are_kept(tmp_path):
    archive = LogArchive(tmp_path / "releases", keep_lines=1500)
    archive.add("hello", 1, "web", [(_stamp(i), "web.1", f"line {i}") for i in range(2000)])
    kept = archive.read("hello", 1)
    assert len(kept) == 1500 and kept[0][2] == "line 500" and kept[-1][2] == "line 1999"
    archive.add("hello", 1, "web", [(_stamp(i), "web.1", "x" * 10_000) for i in range(3000, 3001)])
    assert len(archive.read("hello", 1)[-1][2]) == 4096  # a line is cut, the store stays bounded
    for version in (2, 3, 4):
        archive.add("hello", version, "web", [(_stamp(1), "web.1", f"v{version}")])
    assert archive.releases("hello") == [2, 3, 4]
    assert archive.read("hello", 1) == []


def test_files_are_private(tmp_path):
    root = tmp_path / "releases"
    LogArchive(root).add("hello", 1, "web", [(_stamp(1), "web.1", "SECRET=1")])
    for path in (root, root / "hello", root / "hello" / "1"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700
    assert stat.S_IMODE((root / "hello" / "1" / "web.log").stat().st_mode) == 0o600


def test_no_link_is_followed_and_no_name_becomes_a_path(tmp_path):
    root, elsewhere = tmp_path / "releases", tmp_path / "elsewhere"
    root.mkdir()
    elsewhere.mkdir()
    (root / "hello").symlink_to(elsewhere)
    archive = LogArchive(root)
    with pytest.raises(OSError):
        archive.add("hello", 1, "web", [(_stamp(1), "web.1", "x")])
    assert list(elsewhere.iterdir()) == []
    (root / "other" / "1").mkdir(parents=True)
    (root / "other" / "1" / "web.log").symlink_to(elsewhere / "target")
    with pytest.raises(OSError):
        archive.add("other", 1, "web", [(_stamp(1), "web.1", "x")])
    assert not (elsewhere / "target").exists()
    for app, process in (("../x", "web"), ("hello", "../web"), ("hello", "web/x"), ("a" * 99, "web")):
        archive.add(app, 1, process, [(_stamp(1), "web.1", "x")])
    archive.add("fine", 1, "web", [(_stamp(1), "../web.1", "x"), ("bad stamp", "web.1", "x")])
    assert sorted(p.name for p in root.iterdir()) == ["hello", "other"]


@pytest.fixture
def world(tmp_path):
    engine, proxy = FakeEngine(), FakeProxy()
    services = fake_services(tmp_path / "home", engine=engine, probe=FakeProbe(), proxy=proxy,
                             repos=FakeRepos(tmp_path))
    services.apps.create("hello")
    proxy.ensure_running()
    return SimpleNamespace(engine=engine, services=services, home=tmp_path / "home")


def _say(engine, release: str, text: str) -> None:
    for c in engine.list_containers({"paas.kind": "process"}):
        if c.labels["paas.release"] == release and c.id not in engine.output:
            engine.output[c.id] = [("2030-01-01T00:00:01.000000000Z", text)]


def _age_stopped(engine) -> None:
    """Every stopped container finished longer ago than convergence keeps it."""
    old = datetime.now(timezone.utc) - timedelta(seconds=KEEP_STOPPED_SECONDS + 60)
    for c in engine.containers.values():
        if c.status == "exited":
            c.finished_at = old.isoformat().replace("+00:00", "Z")


def test_removed_containers_stay_readable_by_release_for_the_last_three(world):
    deployer, logs = world.services.deployer, world.services.logs
    for n, sha in enumerate((SHA1, SHA2, SHA3, SHA4, SHA5), start=1):
        deployer.deploy_push("hello", sha, lambda _: None)
        _say(world.engine, str(n), f"from v{n}")
    deployer.scheduler.wait_retired()
    _age_stopped(world.engine)
    world.services.converger.once()
    assert {c.labels["paas.release"] for c in world.engine.containers.values()} == {"5"}
    for n in (2, 3, 4):  # gone from Docker, read from the archive
        assert logs.recent("hello", 100, release=n) == [
            f"2030-01-01T00:00:01.000000+00:00 app[web.1]: from v{n}"]
    assert logs.recent("hello", 100, release=1) == []  # only the last three are kept
    assert logs.recent("hello", 100, release=5) == [
        "2030-01-01T00:00:01.000000+00:00 app[web.1]: from v5"]


def test_a_failed_deploys_lines_outlive_its_containers(world):
    deployer = world.services.deployer
    deployer.deploy_push("hello", SHA1, lambda _: None)
    world.engine.crash_processes.add("web")
    with pytest.raises(DeployFailed):
        deployer.deploy_push("hello", SHA2, lambda _: None)
    _say(world.engine, "2", "Traceback: boom")
    _age_stopped(world.engine)
    world.services.converger.once()
    assert not [c for c in world.engine.containers.values() if c.labels["paas.release"] == "2"]
    assert world.services.logs.recent("hello", 100, release=2) == [
        "2030-01-01T00:00:01.000000+00:00 app[web.1]: Traceback: boom"]


def test_destroying_the_app_forgets_its_lines(world):
    world.services.deployer.deploy_push("hello", SHA1, lambda _: None)
    world.services.deployer.deploy_push("hello", SHA2, lambda _: None)
    _say(world.engine, "1", "from v1")
    world.services.deployer.scheduler.wait_retired()
    _age_stopped(world.engine)
    world.services.converger.once()
    root = world.home / "logs" / "releases"
    assert os.listdir(root) == ["hello"]
    world.services.apps.destroy("hello")
    assert os.listdir(root) == []


def test_a_failed_release_commands_output_is_kept_by_release(world):
    world.services.deployer.deploy_push("hello", SHA1, lambda _: None)
    repos = world.services.repos
    repos.files = {**repos.files, "Procfile": repos.files.get("Procfile", b"web: python app.py\n")
                   + b"release: ./migrate\n"}
    world.engine.one_off_status = 1
    with pytest.raises(DeployFailed, match="the release command exited with status 1"):
        world.services.deployer.deploy_push("hello", SHA2, lambda _: None)
    [line] = world.services.logs.recent("hello", 100, release=2)
    assert line.endswith(" app[release.1]: ran ./migrate")
    assert world.services.logs.recent("hello", 100, release=1) == []


def test_a_short_keep_never_forgets_the_crashes_a_backoff_counts(tmp_path):
    from dataclasses import replace
    engine, proxy, repos = FakeEngine(), FakeProxy(), FakeRepos(tmp_path)
    services = fake_services(tmp_path / "home", engine=engine, probe=FakeProbe(), proxy=proxy,
                             repos=repos)
    services.deployer.settings = replace(services.deployer.settings, keep_stopped_seconds=2)
    proxy.ensure_running()
    services.apps.create("hello")
    services.deployer.deploy_push("hello", SHA1, lambda _: None)
    services.deployer.deploy_push("hello", SHA2, lambda _: None)
    services.deployer.scheduler.wait_retired()
    [web] = engine.running()
    web.status, web.restart_count, web.exit_code = "exited", 3, 4  # v2 crash-loops
    old = (datetime.now(timezone.utc) - timedelta(seconds=60)).isoformat()
    for c in engine.containers.values():
        c.finished_at = old
    services.converger.once()
    left = {c.labels["paas.release"]: c.status for c in engine.containers.values()
            if c.status == "exited"}
    assert left == {"2": "exited"}  # v1's retired container went; v2's crash stays for its backoff
