"""The app archive format (`apps:export` / `apps:import`, `platform:backup`): pure functions.

An archive is an uncompressed tar of regular files only, with `manifest.json` first: the format
version, the app's metadata and the sha256 and size of every other member. Writing is
deterministic (fixed mtimes, owners and modes). Reading treats the bytes as hostile: only plain
relative names of regular files are accepted (no links, devices, directories, absolute paths or
`..`), member count and sizes are capped, and every member must match the manifest exactly
before the caller creates anything.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
from dataclasses import dataclass, field
from typing import Iterator

from paas.errors import InvalidInput

FORMAT = "paas-app-archive/1"
MANIFEST = "manifest.json"
MAX_MEMBERS = 10_000
MAX_MEMBER_BYTES = 4 << 30
MAX_TOTAL_BYTES = 16 << 30
MAX_MANIFEST_BYTES = 4 << 20

# Plain relative names: segments of safe characters, none of them "." or "..".
_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._@+=-]{0,127}$")


@dataclass(frozen=True)
class Archive:
    meta: dict
    members: dict[str, bytes] = field(default_factory=dict)


def check_name(name: str) -> str:
    parts = name.split("/")
    if len(name) > 512 or len(parts) > 16 or not all(_SEGMENT.match(p) for p in parts):
        raise InvalidInput(f"archive member {name[:80]!r} has an unsafe name")
    return name


def write(meta: dict, members: dict[str, bytes]) -> bytes:
    """The archive of `members` (name -> bytes) with a manifest holding `meta`."""
    return b"".join(chunks(meta, members))


def chunks(meta: dict, members: dict[str, bytes]) -> Iterator[bytes]:
    """The same archive as `write`, in pieces as it is sent: no second copy of a large member
    (an app's images) is made."""
    if MANIFEST in members:
        raise InvalidInput(f"{MANIFEST} is reserved")
    for name in members:
        check_name(name)
    manifest = {"format": FORMAT, "meta": meta,
                "files": {name: {"sha256": hashlib.sha256(body).hexdigest(), "size": len(body)}
                          for name, body in sorted(members.items())}}
    parts = [(MANIFEST, json.dumps(manifest, indent=2, sort_keys=True).encode()),
             *sorted(members.items())]
    return _chunks(parts)


def _chunks(parts: list[tuple[str, bytes]]) -> Iterator[bytes]:
    """What tarfile writes for these members, byte for byte (tested against it)."""
    written = 0
    for name, body in parts:
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = len(body), 0o600, 0
        header = info.tobuf(format=tarfile.PAX_FORMAT)
        yield header
        for start in range(0, len(body), 1 << 20):
            yield body[start:start + (1 << 20)]
        pad = -len(body) % tarfile.BLOCKSIZE
        if pad:
            yield b"\0" * pad
        written += len(header) + len(body) + pad
    written += 2 * tarfile.BLOCKSIZE  # the end: two zero blocks, then zeros to a whole record
    yield b"\0" * (2 * tarfile.BLOCKSIZE + (-written % tarfile.RECORDSIZE))


def read(data: bytes, *, max_total: int = MAX_TOTAL_BYTES,
         max_member: int = MAX_MEMBER_BYTES, max_members: int = MAX_MEMBERS) -> Archive:
    """The verified contents of an archive, or InvalidInput naming the first problem."""
    if len(data) > max_total + (1 << 20):
        raise InvalidInput("archive is larger than the size cap")
    try:
        tar = tarfile.open(fileobj=io.BytesIO(data), mode="r:")
    except (tarfile.TarError, EOFError) as exc:
        raise InvalidInput(f"not a paas app archive: {exc}") from None
    found: dict[str, bytes] = {}
    manifest = None
    total = 0
    try:
        with tar:
            for count, member in enumerate(tar, start=1):
                if count > max_members + 1:
                    raise InvalidInput("archive has too many members")
                if not member.isreg():
                    raise InvalidInput(f"archive member {member.name[:80]!r} is not a regular file")
                name = check_name(member.name)
                if name in found or (name == MANIFEST and manifest is not None):
                    raise InvalidInput(f"archive member {name!r} appears twice")
                limit = MAX_MANIFEST_BYTES if name == MANIFEST else max_member
                if member.size > limit:
                    raise InvalidInput(f"archive member {name!r} is larger than the size cap")
                total += member.size
                if total > max_total:
                    raise InvalidInput("archive is larger than the size cap")
                body = tar.extractfile(member).read()
                if len(body) != member.size:
                    raise InvalidInput(f"archive is truncated at {name!r}")
                if name == MANIFEST:
                    if count != 1:
                        raise InvalidInput(f"{MANIFEST} must be the first member")
                    manifest = _parse_manifest(body)
                else:
                    found[name] = body
    except (tarfile.TarError, EOFError) as exc:
        raise InvalidInput(f"archive is truncated or corrupt: {exc}") from None
    if manifest is None:
        raise InvalidInput(f"archive has no {MANIFEST}")
    files = manifest["files"]
    missing = sorted(set(files) - set(found))
    extra = sorted(set(found) - set(files))
    if missing:
        raise InvalidInput(f"archive is missing {missing[0]!r} (truncated?)")
    if extra:
        raise InvalidInput(f"archive member {extra[0]!r} is not in the manifest")
    for name, body in found.items():
        want = files[name]
        if len(body) != want["size"] or hashlib.sha256(body).hexdigest() != want["sha256"]:
            raise InvalidInput(f"archive member {name!r} does not match its sha256")
    return Archive(meta=manifest["meta"], members=found)


def _parse_manifest(body: bytes) -> dict:
    try:
        manifest = json.loads(body)
    except ValueError:
        raise InvalidInput(f"{MANIFEST} is not valid JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InvalidInput(f"unsupported archive format (expected {FORMAT})")
    files, meta = manifest.get("files"), manifest.get("meta")
    if not isinstance(files, dict) or not isinstance(meta, dict):
        raise InvalidInput(f"{MANIFEST} lacks files or meta")
    for name, entry in files.items():
        check_name(name)
        if (not isinstance(entry, dict) or not isinstance(entry.get("size"), int)
                or not isinstance(entry.get("sha256"), str)):
            raise InvalidInput(f"{MANIFEST} entry for {name!r} is malformed")
    return manifest
