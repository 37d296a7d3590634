"""`docker build` through the adapter on the real daemon: a step that prints nothing for the
whole timeout is stopped, and the daemon cancels the build (its container goes too)."""
import io
import tarfile
import time
import uuid

import pytest

from paas.adapters.docker_engine import DockerEngine
from tests.support import remove_docker_objects

LABELS = {"paas.instance": "tbuild1"}


def context(dockerfile: str) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        tar.addfile(info, io.BytesIO(dockerfile.encode()))
    return out.getvalue()


@pytest.fixture
def engine():
    yield DockerEngine()
    remove_docker_objects("tbuild1")


def own_step_containers(engine, marker: str) -> list[str]:
    """The build's step containers, known by the marker in their command: other tests on this
    daemon create and remove containers meanwhile, so counting every container is flaky."""
    return [c.id for c in engine.client.containers.list(all=True)
            if marker in " ".join(c.attrs.get("Config", {}).get("Cmd") or [])]


def test_a_silent_step_times_out_and_the_daemon_cancels_the_build(engine):
    marker = f"tbuild1-{uuid.uuid4().hex}"
    lines: list[str] = []
    started = time.monotonic()
    result = engine.build_image(context(f"FROM paas/stack:trixie\nRUN sleep 120 || echo {marker}\n"),
                                tag="paas/tbuild:silent", labels=LABELS, buildargs={},
                                memory=256 * 1024 ** 2, on_line=lines.append, timeout=4)
    assert result == (None, "", True)
    assert 4 <= time.monotonic() - started < 20
    assert any(l.endswith(f": RUN sleep 120 || echo {marker}") for l in lines)
    for _ in range(50):  # the daemon notices the closed connection within a moment
        left = own_step_containers(engine, marker)
        if not left:
            break
        time.sleep(0.2)
    assert not left


def test_a_failing_step_says_why(engine):
    result = engine.build_image(context("FROM paas/stack:trixie\nRUN exit 3\n"),
                                tag="paas/tbuild:fails", labels=LABELS, buildargs={},
                                memory=256 * 1024 ** 2, on_line=lambda _: None, timeout=60)
    assert result == (None, "The command '/bin/sh -c exit 3' returned a non-zero code: 3", False)
