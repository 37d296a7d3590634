"""Rules for an app's named volumes: their names, where they may be mounted, and the mounts a
change leads to. Pure: no I/O."""
from __future__ import annotations

import posixpath
import re

from paas.errors import InvalidInput

VOLUME_NAME_RE = re.compile(r"[a-z][a-z0-9-]{0,29}")
# Mounting over these would hide the system or the app's own code from its processes.
RESERVED = ("/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/proc", "/run", "/sbin",
            "/sys", "/usr", "/var/run", "/var/lib/dpkg")
EXACT_RESERVED = ("/", "/app", "/tmp", "/var", "/home")
MAX_PATH = 200


def validate_volume_name(name: object) -> str:
    if not isinstance(name, str) or not VOLUME_NAME_RE.fullmatch(name):
        shown = name[:40] if isinstance(name, str) else repr(name)
        raise InvalidInput(f"invalid volume name {shown!r}: use 1 to 30 characters, lowercase "
                           "letters, digits and '-', starting with a letter")
    return name


def validate_mount_path(path: object) -> str:
    """An absolute, normalised path outside the system's directories (e.g. /app/uploads, /data)."""
    text = path if isinstance(path, str) else ""
    ok = (0 < len(text) <= MAX_PATH and text.startswith("/") and posixpath.normpath(text) == text
          and re.fullmatch(r"[A-Za-z0-9._/-]+", text) and ".." not in text.split("/"))
    if not ok:
        shown = text[:60] if text else repr(path)
        raise InvalidInput(f"invalid mount path {shown!r}: use an absolute path like /app/uploads "
                           "or /data (letters, digits, '.', '_', '-')")
    if text in EXACT_RESERVED or any(text == r or text.startswith(r + "/") for r in RESERVED):
        raise InvalidInput(f"cannot mount a volume at {text}: it would hide files the app "
                           "needs; use a directory of its own, like /app/uploads or /data")
    return text


def parse_mount(text: object) -> tuple[str, str]:
    """`NAME:/path` as (name, path)."""
    name, sep, path = text.partition(":") if isinstance(text, str) else ("", "", "")
    if not sep:
        raise InvalidInput(f"invalid mount {str(text)[:60]!r}: use NAME:/path, e.g. uploads:/app/uploads")
    return validate_volume_name(name), validate_mount_path(path)


def with_mount(mounts: dict[str, str], name: str, path: str) -> dict[str, str]:
    """The mounts after mounting `name` at `path`; one volume per path, one path per volume."""
    name, path = validate_volume_name(name), validate_mount_path(path)
    for other, where in mounts.items():
        if other != name and (where == path or where.startswith(path + "/")
                              or path.startswith(where + "/")):
            raise InvalidInput(f"{path} overlaps volume {other} mounted at {where}; unmount it "
                               "first or choose another path")
    if mounts.get(name) == path:
        raise InvalidInput(f"volume {name} is already mounted at {path}")
    return {**mounts, name: path}


def without_mount(mounts: dict[str, str], name: str) -> dict[str, str]:
    if name not in mounts:
        raise InvalidInput(f"volume {validate_volume_name(name)} is not mounted")
    return {k: v for k, v in mounts.items() if k != name}
