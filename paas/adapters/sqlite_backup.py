"""An online copy of a SQLite database (sqlite3's backup API), for platform backups: taken
while the platform writes, it is one consistent state, never a half-written page."""
from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path


def online_copy(db_path: Path) -> bytes:
    source = sqlite3.connect(db_path)
    with tempfile.TemporaryDirectory() as scratch:
        copy = sqlite3.connect(Path(scratch) / "paas.db")
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        return (Path(scratch) / "paas.db").read_bytes()
