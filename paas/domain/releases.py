"""Release rules as pure functions: version names, diffs between releases, image retention."""
from __future__ import annotations

import re
from dataclasses import dataclass

from paas.domain.models import Release
from paas.errors import InvalidInput

VERSION_RE = re.compile(r"v?([1-9][0-9]{0,8})")


def parse_version(text: object) -> int:
    if not isinstance(text, (str, int)) or not VERSION_RE.fullmatch(str(text)):
        raise InvalidInput(f"invalid release {str(text)[:20]!r}: use vN, e.g. v3")
    return int(VERSION_RE.fullmatch(str(text)).group(1))


@dataclass(frozen=True)
class ReleaseDiff:
    added: list[str]
    removed: list[str]
    changed: list[str]
    image_changed: bool
    commit_range: tuple[str, str] | None


def diff(previous: Release | None, release: Release) -> ReleaseDiff:
    """What a release changed against the one before; config values are never included."""
    before = previous.config if previous else {}
    after = release.config
    commits = None
    if previous and previous.commit != release.commit:
        commits = (previous.commit, release.commit)
    return ReleaseDiff(
        added=sorted(set(after) - set(before)),
        removed=sorted(set(before) - set(after)),
        changed=sorted(k for k in set(after) & set(before) if after[k] != before[k]),
        image_changed=previous is None or previous.image != release.image,
        commit_range=commits,
    )


def runs_alike(a: Release, b: Release) -> bool:
    """Containers of `a` are containers of `b`: same image, config, commands and volume mounts
    (a rollback to the release just replaced, or a config change undone)."""
    return (a.image == b.image and a.config == b.config and a.processes == b.processes
            and a.mounts == b.mounts)


def images_to_keep(releases: list[Release], keep: int) -> set[str]:
    """The images of the newest `keep` succeeded releases (the current one among them) and of
    any release still being deployed."""
    succeeded = sorted((r for r in releases if r.status == "succeeded"),
                       key=lambda r: r.version, reverse=True)
    pending = {r.image for r in releases if r.status == "pending"}
    return {r.image for r in succeeded[:max(keep, 1)]} | pending
