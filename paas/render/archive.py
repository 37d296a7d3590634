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

from paas.errors import InvalidInput

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


def rebase(data: bytes, prefix: str, owner: tuple[int, int]) -> bytes:
    """The members under `prefix` ("app/"), renamed relative to it and owned by `owner`: an
    archive to unpack into the directory that `prefix` names (a build container's volume,
    since its root file system is read-only). Every directory gets an entry of its own, owned
    by `owner`: Docker would create a missing one owned by root, where the build cannot write."""
    out = io.BytesIO()
    made: set[str] = set()
    with tarfile.open(fileobj=io.BytesIO(data)) as src, tarfile.open(fileobj=out, mode="w") as dst:
        for member in src:
            name = member.name.lstrip("./").rstrip("/")
            if not name.startswith(prefix) or name == prefix.rstrip("/"):
                continue
            member.name = name[len(prefix):]
            parts = member.name.split("/")
            for depth in range(1, len(parts)):
                parent = "/".join(parts[:depth])
                if parent not in made:
                    made.add(parent)
                    info = tarfile.TarInfo(parent)
                    info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, member.mtime
                    info.uid, info.gid = owner
                    dst.addfile(info)
            if member.isdir():
                if member.name in made:
                    continue
                made.add(member.name)
            member.uid, member.gid = owner
            member.uname = member.gname = ""
            dst.addfile(member, src.extractfile(member) if member.isfile() else None)
    return out.getvalue()


def files_tar(files: dict[str, bytes], owner: tuple[int, int], mode: int = 0o400,
              dirs: tuple[str, ...] = (), root_dirs: tuple[str, ...] = (),
              tools: dict[str, bytes] | None = None) -> bytes:
    """A tar of `dirs` (mode 0755, owned by `owner`), `root_dirs` (0755, root's), regular
    `files` owned by `owner` and `tools`: root's executables (0755) that the owner may run but
    not replace."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name in (*dirs, *root_dirs):
            info = tarfile.TarInfo(name)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            info.uid, info.gid = owner if name in dirs else (0, 0)
            tar.addfile(info)
        for name, body in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(body), mode
            info.uid, info.gid = owner
            tar.addfile(info, io.BytesIO(body))
        for name, body in sorted((tools or {}).items()):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(body), 0o755
            tar.addfile(info, io.BytesIO(body))
    return out.getvalue()


def regular_files(data: bytes, prefix: str, max_file: int) -> dict[str, bytes]:
    """The regular files directly under `prefix` in a tar that untrusted code made (a build's
    results). A link or any other kind of member is refused, not followed, and so is a file
    larger than `max_file` bytes: InvalidInput says which."""
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            for member in tar:
                name = member.name.lstrip("./")
                if name == prefix.rstrip("/") and member.isdir():
                    continue
                short = name[len(prefix):] if name.startswith(prefix) else name
                if not member.isfile():
                    raise InvalidInput(f"the build left {short!r} as a link or special file "
                                       "where a result file belongs; refused")
                if "/" in short or not short:
                    raise InvalidInput(f"the build left an unexpected result {short[:60]!r}")
                if member.size > max_file:
                    raise InvalidInput(f"the build's result {short!r} is larger than "
                                       f"{max_file // 1024} KiB; refused")
                found[short] = tar.extractfile(member).read()
    except tarfile.TarError as exc:
        raise InvalidInput(f"the build's results could not be read: {exc}") from None
    return found
