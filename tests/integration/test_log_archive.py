"""The log archive on the real daemon: a stopped container's lines, read back by release after
Docker has removed it, as `paas logs --release vN` shows them (issue 13, dokku#3241)."""
import time

import pytest

from paas.adapters.docker_engine import DockerEngine
from paas.adapters.event_log import EventLog
from paas.adapters.log_archive import LogArchive
from paas.services.logs import Logs
from paas.services.scheduler import Scheduler
from paas.settings import Settings
from tests.support import remove_docker_objects

STACK = "paas/stack:trixie"
INSTANCE = "tlogarch1"
# What a push's process may print: many lines, an over-long one, a tab, paths and escapes.
SCRIPT = ("for i in $(seq 1 2000); do echo \"line $i\"; done; "
          "head -c 9000 /dev/zero | tr '\\0' x; echo; "
          "printf '../../etc/passwd\\tand a tab\\n'; sleep 0.05; echo 'boom' >&2; exit 3")


@pytest.fixture
def engine():
    yield DockerEngine()
    remove_docker_objects(INSTANCE)


def _run(engine, release: int, index: int):
    labels = {"paas.instance": INSTANCE, "paas.kind": "process", "paas.app": "hello",
              "paas.release": str(release), "paas.process": "web", "paas.index": str(index)}
    container = engine.client.containers.run(STACK, ["sh", "-c", SCRIPT], detach=True,
                                             labels=labels, network_mode="none", user="65534")
    deadline = time.monotonic() + 60
    while engine.inspect(container.id).status != "exited":
        assert time.monotonic() < deadline, "the container did not finish"
        time.sleep(0.1)
    return engine.inspect(container.id)


def test_a_removed_containers_last_lines_stay_readable_by_release(engine, tmp_path):
    settings = Settings(home=tmp_path / "home", instance=INSTANCE)
    logs = Logs(engine, Scheduler(settings, engine, probe=None), EventLog(tmp_path / "events"),
                LogArchive(tmp_path / "home" / "logs" / "releases"))
    state = _run(engine, 2, 1)
    before = logs.recent("hello", 1500, release=2)
    assert before[-1].endswith(" app[web.1]: boom")  # stderr too, as Docker keeps it

    logs.keep([state])
    engine.remove_container(state.id)
    assert engine.inspect(state.id) is None
    after = logs.recent("hello", 1500, release=2)
    assert len(after) == 1500
    assert after[-1].endswith(" app[web.1]: boom")
    assert after[-2].endswith(" app[web.1]: ../../etc/passwd\tand a tab")
    assert after[-3].endswith(" app[web.1]: " + "x" * 4096)  # cut: the store stays bounded
    assert after == [line if "xxxx" not in line else line[:line.index(": ") + 2] + "x" * 4096
                     for line in before]
    assert logs.recent("hello", 100, release=1) == []
    mode = (tmp_path / "home" / "logs" / "releases" / "hello" / "2" / "web.log").stat().st_mode
    assert mode & 0o077 == 0
