"""Images made of a base image plus one layer, on the real daemon: by `docker load` of a partial
archive, and by the commit fallback; both give the same files, owner, labels, dir and env."""
import io
import tarfile

import pytest

from paas.adapters.docker_engine import DockerEngine
from tests.support import remove_docker_objects

STACK = "paas/stack:trixie"
LABELS = {"paas.instance": "tlayers1", "paas.kind": "image"}


def code_layer() -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        body = b"print('hi')\n"
        info = tarfile.TarInfo("app/app.py")
        info.size, info.uid, info.gid = len(body), 1000, 1000
        tar.addfile(info, io.BytesIO(body))
    return out.getvalue()


@pytest.fixture
def engine():
    yield DockerEngine()
    remove_docker_objects("tlayers1")


@pytest.mark.parametrize("way", ["layer_image", "_commit_layer"])
def test_layered_image_runs_with_the_layer_on_top(engine, way):
    make = getattr(engine, way)
    make(STACK, code_layer(), repository="paas/tlayers", tag=way, labels=LABELS,
         workdir="/app", env={"HOME": "/app"})
    image = engine.client.images.get(f"paas/tlayers:{way}")
    assert image.labels["paas.kind"] == "image" and image.labels["paas.stack"] == "trixie"
    assert image.attrs["Config"]["WorkingDir"] == "/app"
    assert "HOME=/app" in image.attrs["Config"]["Env"]
    stack_layers = engine.client.images.get(STACK).attrs["RootFS"]["Layers"]
    assert image.attrs["RootFS"]["Layers"][:-1] == stack_layers
    out = engine.client.containers.run(image.id, ["sh", "-c", "stat -c %u app.py && pwd && cat app.py"],
                                       remove=True, labels=LABELS)
    assert out.decode() == "1000\n/app\nprint('hi')\n"
