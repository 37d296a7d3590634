"""The state's migrations: versioned, one transaction each, backed up first, downgrades refused."""
from __future__ import annotations

import json
import sqlite3
import stat

import pytest

from paas.adapters import migrations as m
from paas.adapters.sqlite_store import SqliteStore

# The schema as it was before versions existed (commit c09d8e2 and earlier), with its data.
PRE_VERSIONING = """
CREATE TABLE apps (name TEXT PRIMARY KEY, created_at REAL NOT NULL);
CREATE TABLE tokens (name TEXT PRIMARY KEY, digest TEXT NOT NULL UNIQUE, created_at REAL NOT NULL);
CREATE TABLE builds (id INTEGER PRIMARY KEY AUTOINCREMENT, app TEXT NOT NULL REFERENCES apps(name)
  ON DELETE CASCADE, status TEXT NOT NULL, commit_sha TEXT NOT NULL, image TEXT, buildpack TEXT,
  started_at REAL NOT NULL, finished_at REAL, output TEXT NOT NULL DEFAULT '');
CREATE TABLE releases (app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
  version INTEGER NOT NULL, image TEXT NOT NULL, config TEXT NOT NULL, processes TEXT NOT NULL,
  commit_sha TEXT NOT NULL, description TEXT NOT NULL, status TEXT NOT NULL,
  created_by TEXT NOT NULL, created_at REAL NOT NULL, build_id INTEGER, PRIMARY KEY (app, version));
CREATE TABLE config_vars (app TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (app, key));
CREATE TABLE resources (app TEXT NOT NULL, process TEXT NOT NULL, key TEXT NOT NULL,
  value TEXT NOT NULL, PRIMARY KEY (app, process, key));
CREATE TABLE domains (domain TEXT PRIMARY KEY, app TEXT NOT NULL);
CREATE TABLE formation (app TEXT NOT NULL, process TEXT NOT NULL, quantity INTEGER NOT NULL,
  PRIMARY KEY (app, process));
INSERT INTO apps VALUES ('hello', 1.0);
INSERT INTO releases VALUES ('hello', 1, 'paas/hello:1', '{"A": "1"}', '{"web": "x"}', 'abc',
  'Deploy abc', 'succeeded', 'admin', 2.0, NULL);
INSERT INTO config_vars VALUES ('hello', 'A', '1');
INSERT INTO domains VALUES ('www.example.com', 'hello');
"""


def old_state(path):
    db = sqlite3.connect(path)
    db.executescript(PRE_VERSIONING)
    db.close()
    return path


def version_of(path) -> int:
    db = sqlite3.connect(path)
    try:
        return m.state_version(db)
    finally:
        db.close()


def test_a_fresh_state_gets_every_step_and_no_backup(tmp_path):
    ran = m.migrate(tmp_path / "paas.db")
    assert ran == [step.name for step in m.MIGRATIONS]
    assert version_of(tmp_path / "paas.db") == m.code_version()
    assert not (tmp_path / "backups").exists()
    assert m.migrate(tmp_path / "paas.db") == []  # nothing twice


def test_state_from_before_versions_keeps_its_rows_and_is_backed_up_first(tmp_path):
    path = old_state(tmp_path / "paas.db")
    m.migrate(path)
    store = SqliteStore(path)
    release = store.get_release("hello", 1)
    assert release.config == {"A": "1"} and release.healthchecks == {}
    assert store.list_domains("hello") == ["www.example.com"]
    (backup,) = (tmp_path / "backups").iterdir()
    assert stat.S_IMODE(backup.stat().st_mode) == 0o700
    assert stat.S_IMODE((backup / "paas.db").stat().st_mode) == 0o600
    record = json.loads((backup / "VERSION.json").read_text())
    assert record["state_version"] == 0 and record["upgrading_to"] == m.code_version()
    copy = sqlite3.connect(backup / "paas.db")
    assert copy.execute("SELECT name FROM apps").fetchall() == [("hello",)]
    assert "healthchecks" not in {r[1] for r in copy.execute("PRAGMA table_info(releases)")}


@pytest.mark.parametrize("version", range(1, m.code_version() + 1))
def test_each_step_runs_from_the_state_before_it(tmp_path, version):
    path = tmp_path / "paas.db"
    m.migrate(path, migrations=m.MIGRATIONS[:version - 1])
    assert version_of(path) == version - 1
    assert m.pending(path) == [(v, m.MIGRATIONS[v - 1].name)
                               for v in range(version, m.code_version() + 1)]
    m.migrate(path, migrations=m.MIGRATIONS[:version])
    assert version_of(path) == version


def test_a_failing_step_leaves_the_state_where_it_was_and_says_which(tmp_path):
    path = tmp_path / "paas.db"
    m.migrate(path)
    half_done = m.sql("CREATE TABLE half (x INTEGER); INSERT INTO nowhere VALUES (1);")
    steps = [*m.MIGRATIONS, m.Migration("add half", half_done)]
    with pytest.raises(m.MigrationError, match=rf"migration {len(steps)} \(add half\) failed, "
                       rf"the state stays at version {len(steps) - 1} \(backup: .*\).*nowhere"):
        m.migrate(path, migrations=steps)
    assert version_of(path) == m.code_version()
    db = sqlite3.connect(path)
    assert not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'half'").fetchone()


def test_newer_state_is_refused_with_both_versions_and_the_way_back(tmp_path):
    path = tmp_path / "paas.db"
    steps = [*m.MIGRATIONS, m.Migration("from the future", m.sql("CREATE TABLE future (x);"))]
    m.migrate(path, migrations=steps)
    with pytest.raises(m.DowngradeRefused) as refused:
        SqliteStore(path)
    message = refused.value.message
    assert f"state version {m.code_version()}" in message
    assert f"state version {len(steps)}" in message
    assert "restore the backup taken before the upgrade" in message and "backups" in message


def test_a_state_whose_steps_have_other_names_is_refused(tmp_path):
    """A branch that numbered its own steps differently must not be taken for this history."""
    path = tmp_path / "paas.db"
    m.migrate(path)
    db = sqlite3.connect(path)
    db.execute("UPDATE schema_migrations SET name = 'something else' WHERE version = 2")
    db.commit()
    db.close()
    with pytest.raises(m.DowngradeRefused, match="step 2 is 'something else' there"):
        m.migrate(path)
