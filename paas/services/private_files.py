"""Files a restore or an import writes from an archive it was handed: each one new (never an
existing file), 0600 in 0700 directories, and never through a link, whatever the archive's
names say (they are checked by paas.render.app_archive before they get here)."""
from __future__ import annotations

import os
from pathlib import Path

from paas.errors import InvalidInput


def write_new(root: Path, rel: str, body: bytes) -> None:
    """Create root/rel with `body`."""
    parts = rel.split("/")
    current = root
    for part in parts[:-1]:
        current = current / part
        if current.is_symlink():
            raise InvalidInput(f"{rel!r} would be written through a link: {current} is a link")
        current.mkdir(mode=0o700, exist_ok=True)
    fd = os.open(current / parts[-1], os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(body)
