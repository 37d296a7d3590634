"""Certificate and key files under $PAAS_HOME/certs/<owner>/, 0600 in 0700 directories.

Files are never changed in place: each certificate gets new files (named by source, domain and
serial), nginx is pointed at them, and only then are the old ones removed. A failed swap leaves
the previous files and the config that names them as they were.
"""
from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path


class CertFiles:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _dir(self, owner: str) -> Path:
        # '' (the control plane) cannot collide with an app name: app names start with a letter
        path = self.root / (owner or "_control")
        for p in (self.root, path):
            p.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(p, 0o700)
        return path

    def write(self, owner: str, domain: str, source: str, serial: str, chain_pem: bytes,
              key_pem: bytes) -> tuple[str, str]:
        base = self._dir(owner) / f"{source}-{domain}-{serial[:16]}-{secrets.token_hex(3)}"
        cert, key = base.with_suffix(".crt"), base.with_suffix(".key")
        _write(key, key_pem)
        _write(cert, chain_pem)
        return str(cert), str(key)

    def remove(self, *paths: str) -> None:
        for path in paths:
            if path and Path(path).is_relative_to(self.root):
                Path(path).unlink(missing_ok=True)

    def remove_owner(self, owner: str) -> None:
        shutil.rmtree(self.root / (owner or "_control"), ignore_errors=True)


def _write(path: Path, data: bytes) -> None:
    """Written whole under a temporary name, 0600 from the start, then renamed into place."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
