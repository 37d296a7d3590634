"""Recovery at start: a deploy cut off by a killed control plane is failed and cleaned up."""
from types import SimpleNamespace

import pytest

from paas.render.container import labels
from tests.fakes import FakeContainer, FakeEngine, FakeProxy, FakeRepos, fake_services

SHA1, SHA2, SHA3 = "1" * 40, "2" * 40, "3" * 40


@pytest.fixture
def world(tmp_path):
    engine, proxy = FakeEngine(), FakeProxy()
    services = fake_services(tmp_path / "home", engine=engine, proxy=proxy, repos=FakeRepos(tmp_path))
    services.apps.create("hello")
    proxy.ensure_running()
    services.deployer.deploy_push("hello", SHA1, lambda _: None)
    return SimpleNamespace(s=services, engine=engine, proxy=proxy, store=services.store,
                           home=tmp_path / "home")


def interrupted_deploy(world, app="hello"):
    """What a control plane killed in v2's release phase leaves: a pending build whose image
    exists, its build directory and container, a pending release and its release container."""
    build_id = world.store.start_build(app, SHA2)
    (world.home / "builds" / str(build_id) / "env").mkdir(parents=True)
    world.engine.containers["b1"] = FakeContainer("b1", "build", "running",
                                                  labels("t1", app, kind="build", build=build_id), {})
    world.engine.images[f"paas/{app}:t1-{build_id}"] = labels("t1", app, kind="image", build=build_id)
    release = world.store.create_release(app, image=f"paas/{app}:t1-{build_id}", processes={"web": "x"},
                                         commit=SHA2, description="Deploy", created_by="admin",
                                         build_id=build_id)
    world.engine.containers["r1"] = FakeContainer(
        "r1", "release", "running", labels("t1", app, kind="run", release=release.version), {})
    return build_id, release


def test_an_interrupted_deploy_is_failed_and_its_leftovers_removed(world):
    build_id, release = interrupted_deploy(world)
    # a user's `paas run` of the serving release is not a leftover
    world.engine.containers["u1"] = FakeContainer("u1", "run", "running",
                                                  labels("t1", "hello", kind="run", release=1), {})
    done = world.s.recovery.run()
    assert done == ["hello: 2 interrupted build/release marked failed; 2 leftover container(s) "
                    "removed; 1 unused image(s) removed", "removed 1 build directory"]
    assert world.store.get_build(build_id).status == "failed"
    assert world.store.get_release("hello", release.version).status == "failed"
    assert set(world.engine.containers) == {"u1"} | {c.id for c in world.engine.running()
                                                     if c.labels.get("paas.kind") == "process"}
    assert list(world.engine.images) != [] and f"paas/hello:t1-{build_id}" not in world.engine.images
    assert world.store.current_release("hello").image in world.engine.images
    assert not any((world.home / "builds").iterdir())
    assert "recover" in {source for _, source, _ in world.s.events.read("hello")}


def test_the_previous_release_keeps_serving_and_the_next_push_works(world):
    routed = world.proxy.files["hello"]
    interrupted_deploy(world)
    world.s.recovery.run()
    world.s.converger.once()
    assert world.store.current_release("hello").version == 1
    assert world.proxy.files["hello"] == routed
    release = world.s.deployer.deploy_push("hello", SHA3, lambda _: None)
    assert release.version == 3 and world.store.current_release("hello").version == 3


def test_started_containers_of_an_interrupted_release_are_retired_by_convergence(world):
    _, release = interrupted_deploy(world)
    [old] = [c for c in world.engine.running()
                                       if c.labels.get("paas.kind") == "process"]
    world.s.deployer.scheduler.start(release, (("web", 1),), lambda _: None)  # started, not routed
    world.s.recovery.run()
    world.s.converger.once()
    [web] = [c for c in world.engine.running() if c.labels.get("paas.kind") == "process"]
    assert web.id == old.id
    assert f"server {old.address}" in world.proxy.files["hello"]


def test_an_app_being_deployed_by_another_process_is_left_alone(world):
    build_id, release = interrupted_deploy(world)
    lock = world.s.deployer.lock("hello")
    lock.acquire()
    try:
        assert world.s.recovery.run() == []
    finally:
        lock.release()
    assert world.store.get_build(build_id).status == "pending"
    assert {"b1", "r1"} <= set(world.engine.containers)
    assert (world.home / "builds" / str(build_id)).is_dir()


def test_nothing_to_recover_says_nothing(world):
    assert world.s.recovery.run() == []


def test_the_config_of_an_interrupted_config_set_gives_way_to_the_running_one(world):
    current = world.store.current_release("hello")
    world.store.create_release("hello", image=current.image, processes=current.processes,
                               commit=current.commit, description="Set A", created_by="admin",
                               config={**current.config, "A": "1"})
    assert world.store.get_config("hello")["A"] == "1"
    world.s.recovery.run()
    assert world.store.get_config("hello") == current.config
