"""Limits on what an app may take and who its processes run as (issue 9): a default memory limit
for every container, a cap on containers, and no app process as uid 0 whatever the image says."""
import io
import tarfile

import pytest

from paas.domain.resources import MAX_APP_CONTAINERS, check_app_containers
from paas.errors import DeployFailed, InvalidInput
from paas.render.container import passwd_uid, run_user
from tests.unit.test_deploy import SHA1, dockerfile_app, world  # noqa: F401  (the fixture)


def processes(world):
    return [c.spec for c in world.engine.containers.values() if c.labels.get("paas.kind") == "process"]


def test_every_container_gets_the_default_memory_limit_unless_resources_set_says_otherwise(world):
    world.deployer.deploy_push("hello", SHA1, lambda _: None)
    [spec] = processes(world)
    assert spec["mem_limit"] == spec["memswap_limit"] == "512m"
    world.store.set_resources("hello", "web", {"memory": "1g"})
    assert world.scheduler.resources(world.store.get_resources("hello"), "web")["memory"] == "1g"
    assert world.scheduler.resources({}, "run") == {"pids": "1024", "memory": "512m"}


def test_the_default_memory_setting_is_validated(tmp_path):
    from paas.settings import Settings
    assert Settings.from_env({"PAAS_HOME": str(tmp_path)}).default_memory == "512m"
    assert Settings.from_env({"PAAS_HOME": str(tmp_path), "PAAS_DEFAULT_MEMORY": "1G"}).default_memory == "1g"
    with pytest.raises(InvalidInput, match="PAAS_DEFAULT_MEMORY: invalid memory"):
        Settings.from_env({"PAAS_HOME": str(tmp_path), "PAAS_DEFAULT_MEMORY": "lots"})


def test_an_app_may_not_ask_for_more_than_the_cap_of_containers():
    check_app_containers("a", {"web": 50, "worker": 50}, {"web", "worker"})
    check_app_containers("a", {"web": 50, "worker": 50, "release": 50}, {"web", "worker"})
    with pytest.raises(InvalidInput, match=f"would run 101 containers; an app may run at most "
                                           f"{MAX_APP_CONTAINERS}"):
        check_app_containers("a", {"web": 50, "worker": 50, "clock": 1}, {"web", "worker", "clock"})


def test_scaling_past_the_cap_is_refused_and_changes_nothing(world):
    world.repos.files["Procfile"] = b"web: serve\nworker: work\nclock: tick\n"
    world.deployer.deploy_push("hello", SHA1, lambda _: None)
    before = world.store.get_formation("hello")
    with pytest.raises(InvalidInput, match="an app may run at most 100"):
        world.services_processes.scale("hello", {"web": 50, "worker": 50, "clock": 1}, lambda _: None)
    assert world.store.get_formation("hello") == before


def test_the_platform_cap_stops_a_start(world, monkeypatch):
    from paas.services import scheduler
    world.deployer.deploy_push("hello", SHA1, lambda _: None)
    monkeypatch.setattr(scheduler, "MAX_PLATFORM_CONTAINERS", 1)
    with pytest.raises(DeployFailed, match="the platform runs 1 containers and may run at most 1"):
        world.scheduler.check_platform_cap(1)


@pytest.mark.parametrize("image_user,runs_as", [
    ("", "1000:1000"), ("root", "1000:1000"), ("0", "1000:1000"), ("0:0", "1000:1000"),
    ("root:root", "1000:1000"), ("000", "1000:1000"), ("0:5", "1000:1000"),
    ("1234", "1234"), ("app", "app"), ("app:root", "app:1000"), ("1234:0", "1234:1000"),
])
def test_root_in_an_image_runs_as_the_unprivileged_user(image_user, runs_as):
    assert run_user(image_user) == runs_as


def test_passwd_lookup():
    text = "root:x:0:0::/root:/bin/sh\nevil:x:0:0::/:/bin/sh\napp:x:1001:1001::/app:/bin/sh\nodd:x:y\n"
    assert passwd_uid(text, "evil") == 0 and passwd_uid(text, "app") == 1001
    assert passwd_uid(text, "odd") is None and passwd_uid(text, "nobody") is None


def passwd_tar(text: str, link: bool = False) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        info = tarfile.TarInfo("passwd")
        if link:
            info.type, info.linkname = tarfile.SYMTYPE, "/tmp/passwd"
            tar.addfile(info)
        else:
            info.size = len(text.encode())
            tar.addfile(info, io.BytesIO(text.encode()))
    return out.getvalue()


@pytest.mark.parametrize("user", ["root", "0", "0:0"])
def test_a_user_root_dockerfile_app_runs_as_uid_1000_and_says_so(world, user):
    dockerfile_app(world)
    world.engine.image_configs["paas/hello:t1-1"]["user"] = user
    lines = []
    world.deployer.deploy_push("hello", SHA1, lines.append)
    assert f"       USER {user} in the Dockerfile: paas runs the app as uid 1000 instead " \
           "(no app process runs as root)" in lines
    [spec] = processes(world)
    assert spec["user"] == "1000:1000"


@pytest.mark.parametrize("passwd,why", [
    ("evil:x:0:0::/:/bin/sh\n", "is uid 0 in the image's /etc/passwd"),
    (None, "cannot be checked"),
    ("link", "cannot be checked"),
])
def test_a_named_user_that_is_uid_0_in_the_image_is_refused(world, passwd, why):
    dockerfile_app(world)
    world.engine.image_configs["paas/hello:t1-1"]["user"] = "evil"
    if passwd is not None:
        world.engine.image_files[("paas/hello:t1-1", "/etc/passwd")] = passwd_tar(
            passwd, link=passwd == "link")
    with pytest.raises(DeployFailed, match=f"USER evil {why}.*paas runs no app process as root"):
        world.deployer.deploy_push("hello", SHA1, lambda _: None)
    assert processes(world) == []


def test_a_named_non_root_user_is_kept(world):
    dockerfile_app(world)
    world.engine.image_configs["paas/hello:t1-1"]["user"] = "app"
    world.engine.image_files[("paas/hello:t1-1", "/etc/passwd")] = passwd_tar(
        "root:x:0:0::/root:/bin/sh\napp:x:1001:1001::/app:/bin/sh\n")
    world.deployer.deploy_push("hello", SHA1, lambda _: None)
    [spec] = processes(world)
    assert spec["user"] == "app"
