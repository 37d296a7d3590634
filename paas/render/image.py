"""An image made of an existing image plus one layer, as a `docker load` archive. Pure.

Adding the code (or the dependencies) of a build to an image this way costs Docker one layer
import, about 0.07 s here, where creating a container, copying into it and committing it took
0.3 s: a fifth of a warm deploy. The archive names the base image's layers without carrying
them: `docker load` only reads the layers it does not already have.
"""
from __future__ import annotations

import hashlib
import io
import json
import tarfile
from datetime import datetime, timezone


def layered_image(base: dict, layer: bytes, *, ref: str, labels: dict[str, str],
                  workdir: str, env: dict[str, str], now: datetime | None = None) -> bytes:
    """The `docker load` archive of `base` (its inspect data) + `layer` (an uncompressed tar),
    tagged `ref`, with labels added and the working dir and environment variables set."""
    diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
    config = dict(base.get("Config") or {})
    config["Labels"] = {**(config.get("Labels") or {}), **labels}
    config["WorkingDir"] = workdir
    config["Env"] = _with_env(config.get("Env") or [], env)
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    image_config = {
        "architecture": base.get("Architecture", "amd64"),
        "os": base.get("Os", "linux"),
        "created": stamp,
        "config": config,
        "rootfs": {"type": "layers", "diff_ids": [*base["RootFS"]["Layers"], diff_id]},
    }
    config_json = json.dumps(image_config, sort_keys=True).encode()
    config_name = hashlib.sha256(config_json).hexdigest() + ".json"
    layer_names = [f"{d.split(':', 1)[1]}/layer.tar" for d in image_config["rootfs"]["diff_ids"]]
    manifest = [{"Config": config_name, "RepoTags": [ref], "Layers": layer_names}]
    return _tar({config_name: config_json, "manifest.json": json.dumps(manifest).encode(),
                 layer_names[-1]: layer})


def _with_env(current: list[str], env: dict[str, str]) -> list[str]:
    kept = [e for e in current if e.split("=", 1)[0] not in env]
    return kept + [f"{k}={v}" for k, v in env.items()]


def _tar(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()
