"""The bulk parts of an app archive (`apps:export` / `apps:import`): pure functions over bytes.

Owns the names of the archive's bulk members and the checks and rewrites they need before
Docker sees them: the images (`images.tar`, one `docker save` of every kept release's image)
and each volume's contents (`volumes/NAME.tar`, as Docker's archive API gives and takes them).
A service's backup travels as `services/NAME.backup`, a manual certificate as
`certs/N.pem` and `certs/N.key` (ACME certificates are ordered again by the new platform).

The archive is hostile. An image archive is loaded by image ID only: its tags are dropped
before `docker load`, since a tag in it could otherwise point `paas/stack` or another app's
image at the archive's content. A volume archive may only hold entries under its one top
directory: no absolute names, no `..`, no devices.
"""
from __future__ import annotations

import io
import json
import re
import tarfile

from paas.errors import InvalidInput

IMAGES = "images.tar"
VOLUME_DIR = "volumes/"
SERVICE_DIR = "services/"
CERT_DIR = "certs/"
VOLUME_ROOT = "v"  # where the export and import helpers mount a volume: /v
_NAME = re.compile(r"[a-z][a-z0-9-]{0,62}")
_HEX = re.compile(r"[0-9a-f]{64}")


def volume_member(name: str) -> str:
    return f"{VOLUME_DIR}{name}.tar"


def service_member(name: str) -> str:
    return f"{SERVICE_DIR}{name}.backup"


def cert_members(index: int) -> tuple[str, str]:
    """A manual certificate's chain and key (numbered: a wildcard's name is no member name)."""
    return f"{CERT_DIR}{index}.pem", f"{CERT_DIR}{index}.key"


def member_kind(name: str) -> tuple[str, str] | None:
    """("images"|"volume"|"service"|"cert", the volume's or service's name or the cert's
    number) of a bulk member."""
    if name == IMAGES:
        return "images", ""
    if name.startswith(CERT_DIR) and re.fullmatch(r"[0-9]{1,4}\.(pem|key)", name[len(CERT_DIR):]):
        return "cert", name[len(CERT_DIR):].split(".")[0]
    for prefix, suffix, kind in ((VOLUME_DIR, ".tar", "volume"),
                                 (SERVICE_DIR, ".backup", "service")):
        if name.startswith(prefix) and name.endswith(suffix):
            inner = name[len(prefix):-len(suffix)]
            if _NAME.fullmatch(inner):
                return kind, inner
    return None


def image_ids(images_tar: bytes) -> dict[str, str]:
    """ref -> image ID ("sha256:...") of each tagged image in a `docker save` archive."""
    found: dict[str, str] = {}
    for entry in _manifest(images_tar):
        image_id = _config_id(entry)
        for ref in entry.get("RepoTags") or []:
            if not isinstance(ref, str):
                raise InvalidInput(f"{IMAGES}: a tag is not a string")
            found[ref] = image_id
    return found


def untagged(images_tar: bytes) -> bytes:
    """The same image archive without any tag: manifest.json's RepoTags emptied, the legacy
    `repositories` file and the OCI index (which also name tags) left out."""
    entries = _manifest(images_tar)
    for entry in entries:
        _config_id(entry)
        entry["RepoTags"] = None
    out = io.BytesIO()
    try:
        with tarfile.open(fileobj=io.BytesIO(images_tar)) as src, \
                tarfile.open(fileobj=out, mode="w") as dst:
            for member in src:
                name = member.name.lstrip("./")
                if name in ("repositories", "index.json"):
                    continue
                if not (member.isfile() or member.isdir() or member.issym()):
                    raise InvalidInput(f"{IMAGES}: {name[:60]!r} is not a file, directory or link")
                if name == "manifest.json":
                    body = json.dumps(entries).encode()
                    member.size = len(body)
                    dst.addfile(member, io.BytesIO(body))
                    continue
                dst.addfile(member, src.extractfile(member) if member.isfile() else None)
    except tarfile.TarError as exc:
        raise InvalidInput(f"{IMAGES} is not an image archive: {exc}") from None
    return out.getvalue()


def _manifest(images_tar: bytes) -> list[dict]:
    try:
        with tarfile.open(fileobj=io.BytesIO(images_tar)) as tar:
            member = tar.getmember("manifest.json")
            entries = json.loads(tar.extractfile(member).read())
    except (tarfile.TarError, KeyError, ValueError, AttributeError) as exc:
        raise InvalidInput(f"{IMAGES} has no readable manifest.json ({exc})") from None
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise InvalidInput(f"{IMAGES}: manifest.json is not a list of images")
    return entries


def _config_id(entry: dict) -> str:
    config = entry.get("Config")
    hexpart = config.rsplit("/", 1)[-1].removesuffix(".json") if isinstance(config, str) else ""
    if not _HEX.fullmatch(hexpart):
        raise InvalidInput(f"{IMAGES}: an image's Config {str(config)[:80]!r} names no image ID")
    return f"sha256:{hexpart}"


def check_volume_tar(data: bytes) -> int:
    """Refuse a volume archive with anything outside its top directory; the number of files."""
    files = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            for member in tar:
                name = member.name
                _inside(name, "entry")
                if member.islnk():
                    _inside(member.linkname, "hard link target")
                elif not (member.isfile() or member.isdir() or member.issym()):
                    raise InvalidInput(f"volume archive entry {name[:60]!r} is a device or fifo")
                files += member.isfile()
    except tarfile.TarError as exc:
        raise InvalidInput(f"volume archive is not a tar: {exc}") from None
    return files


def _inside(name: str, what: str) -> None:
    parts = name.rstrip("/").split("/")
    if parts[0] != VOLUME_ROOT or any(p in ("", ".", "..") for p in parts):
        raise InvalidInput(f"volume archive {what} {name[:60]!r} is outside its directory")


def imported_ref(app: str, instance: str, index: int) -> tuple[str, str]:
    """Repository and tag an imported image gets on this platform."""
    return f"paas/{app}", f"{instance}-import-{index}"


def url_rewrites(config: dict[str, str], links: list[dict], urls: dict[str, str]) -> dict[str, str]:
    """`config` with each link's variable pointing at the service's URL on this platform."""
    out = dict(config)
    for link in links:
        if link["as"] in out and link["service"] in urls:
            out[link["as"]] = urls[link["service"]]
    return out
