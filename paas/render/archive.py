"""Tar archives rewritten for image layers: pure functions over bytes.

A build's /app is split in two layers, the dependencies (what the buildpack installed, keyed by
the hash of their inputs) and the code, so that a code-only change reuses the first.
"""
from __future__ import annotations

import hashlib
import io
import json
import tarfile
from typing import Callable

# What buildpacks install: their own trees, profile scripts, and npm's node_modules (which Node
# only finds beside the code, so it cannot live under .heroku).
DEPS_DIRS = ("app/.heroku", "app/.profile.d", "app/node_modules")


def is_deps(name: str) -> bool:
    return any(name == d or name.startswith(d + "/") for d in DEPS_DIRS)


def retar(data: bytes, owner: tuple[int, int], keep: Callable[[str], bool] = lambda _: True) -> bytes:
    """The members of `data` that `keep` accepts, owned by `owner`."""
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(data)) as src, tarfile.open(fileobj=out, mode="w") as dst:
        for member in src:
            if not keep(member.name.lstrip("./")):
                continue
            member.uid, member.gid = owner
            member.uname = member.gname = ""
            dst.addfile(member, src.extractfile(member) if member.isfile() else None)
    return out.getvalue()


def read_files(data: bytes, names: set[str]) -> dict[str, bytes]:
    """The contents of the named members (paths inside the archive) that exist."""
    found = {}
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for member in tar:
            if member.isfile() and member.name in names:
                found[member.name] = tar.extractfile(member).read()
    return found


def root_names(data: bytes, prefix: str = "app/") -> list[str]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return sorted({m.name[len(prefix):].split("/")[0] for m in tar if m.name.startswith(prefix)})


def deps_key(source: bytes, inputs: list[str], *, stack: str, buildpacks: str,
             config: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The key of the dependency layer, and the per-input hashes it was made from.

    Inputs: the buildpacks' declared dependency files (their contents), which files the app has
    at its root (detection looks at that), the stack image, the buildpacks themselves and the
    config (it reaches the build as ENV_DIR)."""
    files = read_files(source, {f"app/{name}" for name in inputs})
    hashes = {name.removeprefix("app/"): hashlib.sha256(body).hexdigest()[:16]
              for name, body in sorted(files.items())}
    material = json.dumps({"files": hashes, "root": root_names(source), "stack": stack,
                           "buildpacks": buildpacks, "config": sorted(config.items())},
                          sort_keys=True)
    return hashlib.sha256(material.encode()).hexdigest()[:24], hashes


def why_rebuilt(old: dict[str, str] | None, new: dict[str, str]) -> str:
    if old is None:
        return "first build of this app's dependencies"
    changed = sorted(n for n in set(old) | set(new) if old.get(n) != new.get(n))
    if changed:
        return ", ".join(changed) + " changed"
    return "the stack, the buildpack, the config or the app's root files changed"
