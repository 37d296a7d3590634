"""The `docker load` archive of an image plus one layer, asserted member by member."""
import hashlib
import io
import json
import tarfile
from datetime import datetime, timezone

from paas.render.image import layered_image

BASE = {"Architecture": "amd64", "Os": "linux",
        "Config": {"Env": ["PATH=/usr/bin", "HOME=/root"], "Labels": {"paas.stack": "trixie"},
                   "WorkingDir": "/", "Cmd": ["bash"]},
        "RootFS": {"Type": "layers", "Layers": ["sha256:" + "a" * 64]}}
LAYER = b"layer bytes"


def test_archive_names_base_layers_but_carries_only_the_new_one():
    data = layered_image(BASE, LAYER, ref="paas/hello:p1-3", labels={"paas.build": "3"},
                         workdir="/app", env={"HOME": "/app"},
                         now=datetime(2026, 11, 24, 12, 0, 0, 5, tzinfo=timezone.utc))
    new = hashlib.sha256(LAYER).hexdigest()
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        files = {m.name: tar.extractfile(m).read() for m in tar}
    [manifest] = json.loads(files.pop("manifest.json"))
    config_name = manifest["Config"]
    config_json = files.pop(config_name)
    assert config_name == hashlib.sha256(config_json).hexdigest() + ".json"  # the image id
    assert manifest == {"Config": config_name, "RepoTags": ["paas/hello:p1-3"],
                        "Layers": ["a" * 64 + "/layer.tar", f"{new}/layer.tar"]}
    assert files == {f"{new}/layer.tar": LAYER}
    assert json.loads(config_json) == {
        "architecture": "amd64", "os": "linux", "created": "2026-11-24T12:00:00.000005Z",
        "config": {"Env": ["PATH=/usr/bin", "HOME=/app"], "Cmd": ["bash"], "WorkingDir": "/app",
                   "Labels": {"paas.stack": "trixie", "paas.build": "3"}},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "a" * 64, f"sha256:{new}"]},
    }
    assert BASE["Config"]["Env"] == ["PATH=/usr/bin", "HOME=/root"]  # the input is not changed
