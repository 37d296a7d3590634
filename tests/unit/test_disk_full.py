"""A deploy on a full disk fails with one clear reason, is recorded failed, and the running
release keeps serving."""
import errno

import pytest

from paas.errors import DeployFailed
from paas.services import disk
from tests.fakes import FakeEngine, FakeProxy, FakeRepos, fake_services

SHA1, SHA2 = "1" * 40, "2" * 40


class FullDuringBuild(FakeEngine):
    full = False

    def run_build(self, spec, archives, on_line, timeout):
        if self.full:
            raise OSError(errno.ENOSPC, "No space left on device")
        return super().run_build(spec, archives, on_line, timeout)

    def layer_image(self, *args, **kwargs):
        if self.full:
            raise OSError(errno.ENOSPC, "No space left on device")
        return super().layer_image(*args, **kwargs)


@pytest.fixture
def world(tmp_path):
    engine, proxy = FullDuringBuild(), FakeProxy()
    services = fake_services(tmp_path / "home", engine=engine, proxy=proxy, repos=FakeRepos(tmp_path))
    services.apps.create("hello")
    proxy.ensure_running()
    services.deployer.deploy_push("hello", SHA1, lambda _: None)
    return services, engine


def test_a_disk_filling_during_the_build_fails_the_push_clearly(world):
    services, engine = world
    engine.full = True
    with pytest.raises(DeployFailed) as failed:
        services.deployer.deploy_push("hello", SHA2, lambda _: None)
    home = services.settings.home
    assert failed.value.message == (f"no space left on device: free space under {home}; "
                                    "the running release is unchanged")
    assert [b.status for b in services.store.list_builds("hello")] == ["failed", "succeeded"]
    assert services.store.current_release("hello").version == 1
    assert not services.deployer.lock("hello").locked()
    engine.full = False  # space freed: the next push works
    assert services.deployer.deploy_push("hello", SHA2, lambda _: None).version == 2


def test_too_little_room_refuses_the_deploy_before_it_starts(world, monkeypatch):
    services, engine = world
    monkeypatch.setattr(disk, "MIN_FREE_BYTES", 2**62)
    monkeypatch.setattr(disk.require_free, "__defaults__", (2**62,))
    with pytest.raises(DeployFailed, match="^no space left on device: free space under "):
        services.deployer.deploy_push("hello", SHA2, lambda _: None)
    assert engine.builds == 1 and len(services.store.list_builds("hello")) == 1


def test_other_os_errors_are_not_called_a_full_disk(tmp_path):
    with pytest.raises(PermissionError):
        with disk.space_errors_fail_the_deploy(tmp_path):
            raise PermissionError(errno.EACCES, "denied")
