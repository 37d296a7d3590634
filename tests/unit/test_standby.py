"""Hot standby (issue 14): the replaced release's web containers wait paused, and a rollback
to it inside PAAS_STANDBY_SECONDS resumes, checks and routes to them instead of starting any."""
import time

import pytest

from paas.errors import DeployFailed
from tests.unit.test_deploy import SHA1, SHA2, world  # noqa: F401 (the fixture)

QUIET = lambda _: None  # noqa: E731


@pytest.fixture
def standby(world):  # noqa: F811
    object.__setattr__(world.settings, "standby_seconds", 600)
    return world


def webs(world, release=None):
    return [c for c in world.engine.containers.values() if c.labels["paas.process"] == "web"
            and (release is None or c.labels["paas.release"] == str(release))]


def test_a_deploy_leaves_the_replaced_web_containers_paused_and_ps_says_standby(standby):
    standby.deployer.deploy_push("hello", SHA1, QUIET)
    lines = []
    standby.deployer.deploy_push("hello", SHA2, lines.append)
    [old] = webs(standby, 1)
    assert old.status == "paused" and f"{old.address} " not in standby.proxy.files["hello"]
    assert "       keeping 1 old web container(s) in standby for 600s (a rollback resumes them)" in lines
    states = {(p.name, p.release): p.state for p in standby.scheduler.processes("hello")}
    assert states == {("web.1", 1): "standby", ("web.1", 2): "running"}
    assert standby.converger.once() == []  # a standby container is not a change to make


def test_rollback_inside_the_window_resumes_instead_of_starting(standby):
    standby.deployer.deploy_push("hello", SHA1, QUIET)
    standby.deployer.deploy_push("hello", SHA2, QUIET)
    [old] = webs(standby, 1)
    count = len(standby.engine.containers)
    lines = []
    back = standby.releases.rollback("hello", "v1", "admin", lines.append)
    assert back.version == 3 and len(standby.engine.containers) == count  # nothing started
    assert old.status == "running" and f"server {old.address} " in standby.proxy.files["hello"]
    assert "       resuming web.1 from standby" in lines
    [v2] = webs(standby, 2)
    assert v2.status == "paused"  # now v2 is the one a rollback can take back
    assert standby.converger.once() == []  # v1's containers count as v3's: nothing to redo
    assert [(p.release, p.state) for p in standby.scheduler.processes("hello")] == [
        (1, "running"), (2, "standby")]
    again = standby.releases.rollback("hello", None, "admin", QUIET)  # back to v2, from standby
    assert again.version == 4 and v2.status == "running" and old.status == "paused"


def test_a_resumed_container_that_fails_its_check_fails_the_rollback_and_keeps_the_current(standby):
    standby.deployer.deploy_push("hello", SHA1, QUIET)
    standby.deployer.deploy_push("hello", SHA2, QUIET)
    [old], [current] = webs(standby, 1), webs(standby, 2)
    standby.probe.status = 500
    with pytest.raises(DeployFailed, match="status 500"):
        standby.releases.rollback("hello", "v1", "admin", QUIET)
    assert old.id not in standby.engine.containers  # it may not serve, and is gone
    assert current.status == "running" and f"server {current.address} " in standby.proxy.files["hello"]


def test_only_the_release_just_replaced_waits_and_older_rollbacks_start_fresh(standby):
    standby.deployer.deploy_push("hello", SHA1, QUIET)
    standby.deployer.deploy_push("hello", SHA2, QUIET)
    standby.deployer.deploy_push("hello", "3" * 40, QUIET)
    standby.scheduler.wait_retired(5)
    assert [c.status for c in webs(standby, 1)] == ["exited"]
    assert [c.status for c in webs(standby, 2)] == ["paused"]
    standby.releases.rollback("hello", "v1", "admin", QUIET)
    assert [c.status for c in webs(standby, 1)] == ["exited"] and len(webs(standby)) == 4
    [fresh] = [c for c in standby.engine.running() if c.labels["paas.process"] == "web"]
    assert fresh.labels["paas.release"] == "4"


def test_the_window_ends_and_convergence_stops_them(standby):
    standby.deployer.deploy_push("hello", SHA1, QUIET)
    standby.deployer.deploy_push("hello", SHA2, QUIET)
    [old] = webs(standby, 1)
    standby.scheduler._standby[old.id] = time.monotonic() - 1  # the window has passed
    standby.converger.once()
    standby.scheduler.wait_retired(5)
    assert old.status == "exited"
    assert standby.releases.rollback("hello", "v1", "admin", QUIET).version == 3
    assert webs(standby, 3)[0].status == "running"  # started fresh


def test_paused_containers_from_before_a_restart_are_stopped(standby):
    standby.deployer.deploy_push("hello", SHA1, QUIET)
    standby.deployer.deploy_push("hello", SHA2, QUIET)
    [old] = webs(standby, 1)
    standby.scheduler._standby.clear()  # the control plane restarted: the window is unknown
    standby.converger.once()
    standby.scheduler.wait_retired(5)
    assert old.status == "exited"


def test_standby_off_stops_the_old_containers(world):  # noqa: F811
    world.deployer.deploy_push("hello", SHA1, QUIET)
    world.deployer.deploy_push("hello", SHA2, QUIET)
    assert [c.status for c in webs(world, 1)] == ["exited"]


def test_a_rollback_while_the_old_ones_still_drain_takes_them_back(standby):
    object.__setattr__(standby.settings, "drain_seconds", 30)
    standby.deployer.deploy_push("hello", SHA1, QUIET)
    standby.deployer.deploy_push("hello", SHA2, QUIET)
    [old] = webs(standby, 1)
    assert old.status == "running" and standby.scheduler.is_draining(old.id)
    standby.releases.rollback("hello", "v1", "admin", QUIET)
    assert not standby.scheduler.is_draining(old.id) and f"server {old.address} " in standby.proxy.files["hello"]
    standby.scheduler._settle([old.id])  # the drain ends: it must not be paused or stopped now
    assert old.status == "running"
