"""Platform backup and restore: a real SQLite store and real files, restored into a fresh home."""
from __future__ import annotations

import os
import stat

import pytest

from paas.adapters.sqlite_backup import online_copy
from paas.adapters.sqlite_store import SqliteStore
from paas.errors import Conflict, InvalidInput
from paas.render import app_archive
from paas.server.platform_backup import main
from paas.services import platform_backup
from paas.settings import Settings


def _platform(home):
    settings = Settings(home=home)
    home.mkdir()
    store = SqliteStore(settings.db_path)
    store.add_app("web")
    store.replace_config("web", {"SECRET": "s"})
    (home / "repos" / "web.git" / "objects").mkdir(parents=True)
    (home / "repos" / "web.git" / "HEAD").write_bytes(b"ref: refs/heads/main\n")
    (home / "certs").mkdir()
    (home / "certs" / "web.example.com.pem").write_bytes(b"PEM")
    (home / "backups" / "services" / "db").mkdir(parents=True)
    (home / "backups" / "services" / "db" / "20261203T000000.dump").write_bytes(b"PGDMP")
    (home / "admin-token").write_text("tok")
    os.symlink("/etc/passwd", home / "certs" / "evil")
    return settings, store


def test_backup_then_restore_into_a_fresh_home(tmp_path):
    settings, store = _platform(tmp_path / "a")
    target = tmp_path / "platform.tar"
    made = platform_backup.backup(settings, target, online_copy)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert made["skipped"] == ["certs/evil"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    fresh = Settings(home=tmp_path / "b")
    assert platform_backup.restore(fresh, target.read_bytes()) == 5
    assert SqliteStore(fresh.db_path).get_config("web") == {"SECRET": "s"}
    assert (fresh.home / "repos" / "web.git" / "HEAD").read_bytes() == b"ref: refs/heads/main\n"
    assert (fresh.home / "backups/services/db/20261203T000000.dump").read_bytes() == b"PGDMP"
    assert stat.S_IMODE((fresh.home / "certs" / "web.example.com.pem").stat().st_mode) == 0o600
    assert not (fresh.home / "certs" / "evil").exists()


def test_restore_refuses_a_home_that_holds_a_platform(tmp_path):
    settings, _ = _platform(tmp_path / "a")
    platform_backup.backup(settings, tmp_path / "p.tar", online_copy)
    with pytest.raises(Conflict, match="already holds a platform"):
        platform_backup.restore(settings, (tmp_path / "p.tar").read_bytes())


def test_restore_refuses_members_outside_the_state(tmp_path):
    data = app_archive.write({"kind": "platform-backup"}, {"paas.db": b"", "bin/sh": b"x"})
    with pytest.raises(InvalidInput, match="'bin/sh' is outside"):
        platform_backup.restore(Settings(home=tmp_path / "b"), data)
    assert not (tmp_path / "b").exists()


def test_restore_refuses_an_app_archive(tmp_path):
    data = app_archive.write({"app": "web"}, {"app.json": b"{}"})
    with pytest.raises(InvalidInput, match="not a paas platform backup"):
        platform_backup.restore(Settings(home=tmp_path / "b"), data)


def test_restore_never_writes_through_a_link(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    home = tmp_path / "b"
    home.mkdir()
    os.symlink(outside, home / "certs")
    data = app_archive.write({"kind": "platform-backup"}, {"paas.db": b"", "certs/x.pem": b"x"})
    with pytest.raises(InvalidInput, match="is a link"):
        platform_backup.restore(Settings(home=home), data)
    assert list(outside.iterdir()) == []


def test_main_prints_one_line_errors(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PAAS_HOME", str(tmp_path / "b"))
    (tmp_path / "junk").write_bytes(b"junk" * 200)
    assert main(["restore", str(tmp_path / "junk")]) == 1
    assert capsys.readouterr().err.startswith("paas: not a paas app archive")
    assert main(["oops"]) == 2
