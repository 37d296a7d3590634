"""Secrets at rest (issue 9: "`paas.db` (config values) is mode 0644 in a 0755 `PAAS_HOME`"):
another user of the host must not read config values, token digests, the admin token, the
dashboard's key, backups or certificate keys."""
from __future__ import annotations

import os
import sqlite3
import stat

from paas.adapters.migrations import MIGRATIONS, migrate
from paas.adapters.sqlite_store import SqliteStore
from paas.adapters.state_files import make_private
from paas.settings import Settings


def mode(path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_a_fresh_database_is_private(tmp_path):
    old = os.umask(0o022)
    try:
        SqliteStore(tmp_path / "home" / "paas.db").add_app("hello")
    finally:
        os.umask(old)
    assert mode(tmp_path / "home" / "paas.db") == 0o600
    assert mode(tmp_path / "home") == 0o700


def test_state_from_before_is_made_private_by_a_migration(tmp_path):
    """World-readable state made by an older version: the upgrade fixes it, backups included,
    and a symlink planted in it is not followed."""
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    db = sqlite3.connect(home / "paas.db")
    db.close()
    step = next(i for i, m in enumerate(MIGRATIONS) if m.name.startswith("secrets at rest"))
    migrate(home / "paas.db", migrations=MIGRATIONS[:step])  # the state before the step
    outside = tmp_path / "outside.txt"
    outside.write_text("not ours")
    os.chmod(outside, 0o644)
    (home / "certs").mkdir(mode=0o755)
    (home / "certs" / "www.key").write_text("KEY")
    (home / "certs" / "link").symlink_to(outside)
    (home / "admin-token").write_text("t")
    for path in (home, home / "paas.db", home / "certs" / "www.key", home / "admin-token"):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    migrate(home / "paas.db")
    assert mode(home) == 0o700
    for path in ("paas.db", "admin-token", "certs/www.key"):
        assert mode(home / path) == 0o600, path
    assert mode(home / "certs") == 0o700
    assert mode(outside) == 0o644  # not through the link
    [backup] = (home / "backups").iterdir()
    assert mode(backup) == 0o700 and mode(backup / "paas.db") == 0o600


def test_every_start_fixes_what_changed_since(tmp_path):
    settings = Settings(home=tmp_path / "home")
    SqliteStore(settings.db_path)  # what build_services opens, after make_private
    os.chmod(settings.home, 0o755)
    os.chmod(settings.db_path, 0o644)
    assert make_private(settings.home) == [str(settings.home), str(settings.db_path)]
    assert make_private(settings.home) == []
