"""Named volumes against fakes: mounts are releases, rollback restores them, a new volume is
given to the app's user once, destroy keeps its promises, bad input changes nothing."""
from types import SimpleNamespace

import pytest

from paas.domain.volumes import parse_mount, validate_mount_path, with_mount
from paas.errors import Conflict, DeployFailed, InvalidInput, NotFound
from paas.render.volumes import owner_spec
from tests.fakes import FakeEngine, fake_services
from tests.fakes_data import FakeData

SHA1, SHA2 = "1" * 40, "2" * 40
quiet = lambda _: None  # noqa: E731


@pytest.fixture
def world(tmp_path):
    engine, data = FakeEngine(), FakeData()
    services = fake_services(tmp_path / "home", engine=engine, data=data)
    services.apps.create("hello")
    return SimpleNamespace(s=services, engine=engine, data=data, store=services.store,
                           storage=services.storage)


def web_volumes(world):
    [web] = [c for c in world.engine.running() if c.labels.get("paas.process") == "web"]
    return web.spec.get("volumes")


def test_a_mount_is_a_release_and_every_process_gets_the_volume(world):
    world.s.deployer.deploy_push("hello", SHA1, quiet)
    world.store.set_formation("hello", {"web": 1, "worker": 1})
    release = world.storage.mount("hello", "uploads:/app/uploads", "admin", quiet)
    assert (release.version, release.description) == (2, "Mount uploads at /app/uploads")
    assert release.mounts == {"uploads": "/app/uploads"}
    assert web_volumes(world) == {"paas-t1-hello-vol-uploads": {"bind": "/app/uploads", "mode": "rw"}}
    assert world.data.volumes == {"paas-t1-hello-vol-uploads": {
        "paas.instance": "t1", "paas.app": "hello", "paas.kind": "volume", "paas.volume": "uploads"}}
    assert world.engine.one_offs == ["/volume"]  # its owner set once, by the helper
    world.s.releases.change_config("hello", {"A": "1"}, [], "admin", quiet)
    assert world.store.current_release("hello").mounts == {"uploads": "/app/uploads"}
    assert world.engine.one_offs == ["/volume"]  # an existing volume is left as it is


def test_rollback_restores_the_mounts_as_they_were(world):
    world.s.deployer.deploy_push("hello", SHA1, quiet)
    world.storage.mount("hello", "uploads:/data", "admin", quiet)
    world.s.releases.rollback("hello", "v1", "admin", quiet)
    assert world.store.get_mounts("hello") == {} and web_volumes(world) is None
    world.s.releases.rollback("hello", "v2", "admin", quiet)
    assert world.store.get_mounts("hello") == {"uploads": "/data"}
    assert web_volumes(world) == {"paas-t1-hello-vol-uploads": {"bind": "/data", "mode": "rw"}}


def test_before_the_first_deploy_a_mount_waits_for_it(world):
    assert world.storage.mount("hello", "uploads:/data", "admin", quiet) is None
    release = world.s.deployer.deploy_push("hello", SHA1, quiet)
    assert release.mounts == {"uploads": "/data"} and web_volumes(world)


def test_unmount_keeps_the_data_and_destroy_removes_it(world):
    world.s.deployer.deploy_push("hello", SHA1, quiet)
    world.storage.mount("hello", "uploads:/data", "admin", quiet)
    with pytest.raises(Conflict, match="is mounted: run storage:unmount uploads first"):
        world.storage.destroy("hello", "uploads", "hello")
    release = world.storage.unmount("hello", "uploads", "admin", quiet)
    assert release.mounts == {} and web_volumes(world) is None
    assert [(v.name, v.path) for v in world.storage.list("hello")] == [("uploads", "")]
    assert "paas-t1-hello-vol-uploads" in world.data.volumes
    with pytest.raises(InvalidInput, match="confirm with --confirm hello"):
        world.storage.destroy("hello", "uploads", "other")
    world.storage.destroy("hello", "uploads", "hello")
    assert world.storage.list("hello") == [] and world.data.volumes == {}


def test_destroy_removes_stopped_containers_that_still_hold_the_volume(world):
    world.s.deployer.deploy_push("hello", SHA1, quiet)
    world.storage.mount("hello", "uploads:/data", "admin", quiet)
    world.storage.unmount("hello", "uploads", "admin", quiet)
    stopped = world.engine.list_containers({"paas.app": "hello"})
    world.engine.stop(stopped[0].id)
    world.data.in_use.add("paas-t1-hello-vol-uploads")
    with pytest.raises(Conflict, match="still in use by a running container"):
        world.storage.destroy("hello", "uploads", "hello")
    assert stopped[0].id not in world.engine.containers  # the stopped one went
    assert [v.name for v in world.storage.list("hello")] == ["uploads"]  # nothing else changed


def test_destroying_the_app_removes_its_volumes(world):
    world.s.deployer.deploy_push("hello", SHA1, quiet)
    world.storage.mount("hello", "uploads:/data", "admin", quiet)
    world.data.create_volume("paas-t1-other-vol-x", {"paas.instance": "t1", "paas.app": "other",
                                                     "paas.kind": "volume"})
    world.s.apps.destroy("hello")
    assert list(world.data.volumes) == ["paas-t1-other-vol-x"]


@pytest.mark.parametrize("text,message", [
    ("uploads", "use NAME:/path"),
    ("Up:/data", "invalid volume name"),
    ("up:data", "invalid mount path"),
    ("up:/data/../etc", "invalid mount path"),
    ("up:/data/", "invalid mount path"),
    ("up:/", "would hide files"),
    ("up:/app", "would hide files"),
    ("up:/etc/cron.d", "would hide files"),
    ("up:/proc", "would hide files"),
    ("up:/usr/local/bin", "would hide files"),
    ("up:/data dir", "invalid mount path"),
])
def test_bad_mounts_are_refused_and_change_nothing(world, text, message):
    world.s.deployer.deploy_push("hello", SHA1, quiet)
    with pytest.raises(InvalidInput, match=message):
        world.storage.mount("hello", text, "admin", quiet)
    assert world.store.current_release("hello").version == 1
    assert world.storage.list("hello") == [] and world.data.volumes == {}


def test_overlapping_and_repeated_mounts_are_refused(world):
    mounts = with_mount({}, "a", "/data")
    for name, path in (("b", "/data"), ("b", "/data/x"), ("b", "/")):
        with pytest.raises(InvalidInput):
            with_mount(mounts, name, path)
    with pytest.raises(InvalidInput, match="already mounted"):
        with_mount(mounts, "a", "/data")
    assert with_mount(mounts, "a", "/srv") == {"a": "/srv"}
    assert with_mount(mounts, "b", "/database") == {"a": "/data", "b": "/database"}
    assert parse_mount("a:/app/uploads") == ("a", "/app/uploads")
    assert validate_mount_path("/app/uploads") == "/app/uploads"


def test_unmounting_or_destroying_what_is_not_there(world):
    with pytest.raises(NotFound, match="volume nope is not mounted in hello"):
        world.storage.unmount("hello", "nope", "admin", quiet)
    with pytest.raises(NotFound, match="hello has no volume nope"):
        world.storage.destroy("hello", "nope", "hello")


def test_a_failed_deploy_leaves_the_mounts_as_they_were(world):
    world.s.deployer.deploy_push("hello", SHA1, quiet)
    world.engine.crash_processes.add("web")
    with pytest.raises(DeployFailed):
        world.storage.mount("hello", "uploads:/data", "admin", quiet)
    assert world.store.get_mounts("hello") == {}


def test_the_owner_helper_is_root_with_chown_only_and_no_network():
    assert owner_spec(instance="t1", app="hello", name="up", image="paas/stack:trixie",
                      owner="1000:1000", nonce="abc") == {
        "image": "paas/stack:trixie",
        "name": "paas-t1-hello-vol-up-owner-abc",
        "command": ["chown", "1000:1000", "/volume"],
        "user": "0:0",
        "cap_drop": ["ALL"],
        "cap_add": ["CHOWN"],
        "security_opt": ["no-new-privileges"],
        "network_mode": "none",
        "labels": {"paas.instance": "t1", "paas.app": "hello", "paas.kind": "volume-owner",
                   "paas.volume": "up"},
        "volumes": {"paas-t1-hello-vol-up": {"bind": "/volume", "mode": "rw"}},
        "mem_limit": "64m",
    }
    # A Dockerfile image's named user cannot be resolved in the stack: paas's app user it is.
    assert owner_spec(instance="t1", app="a", name="v", image="i", owner="node",
                      nonce="n")["command"] == ["chown", "1000:1000", "/volume"]
    assert owner_spec(instance="t1", app="a", name="v", image="i", owner="999:998",
                      nonce="n")["command"] == ["chown", "999:998", "/volume"]


def test_releases_that_mount_differently_do_not_run_alike(world):
    from dataclasses import replace

    from paas.domain.releases import runs_alike
    world.s.deployer.deploy_push("hello", SHA1, quiet)
    v1 = world.store.current_release("hello")
    assert runs_alike(v1, replace(v1, version=2))
    assert not runs_alike(v1, replace(v1, version=2, mounts={"up": "/data"}))
