"""The state's schema version and the ordered steps that bring older state up to it.

Migrations are data: `MIGRATIONS` is an ordered list of small named steps. Step N brings the
state from version N-1 to N; `PRAGMA user_version` holds the version reached, and the
`schema_migrations` table names each applied step (so a state made by a branch that numbered its
steps differently is refused instead of silently skipped). Each step runs in one transaction with
the bump of the version: a failed step leaves the state as it was, and says which step failed.

Before older state is migrated, the database is copied with SQLite's online backup, beside a
record of both versions, under `$PAAS_HOME/backups/`; files and Docker objects whose layout a
step changes are that step's own business (`Context.backup_dir` is where it keeps the old
ones), and such steps must be safe to run again after a failure.

State newer than this code (a downgrade) is refused with both versions and the way back.
"""
from __future__ import annotations

import json
import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from paas import __version__
from paas.adapters.layout_steps import remove_legacy_build_caches
from paas.adapters.state_files import make_private
from paas.errors import PaasError


class MigrationError(PaasError):
    id = "migration_failed"
    status = 500


class DowngradeRefused(PaasError):
    id = "downgrade_refused"
    status = 500


@dataclass
class Context:
    """What a step may touch besides the database: the state directory, and where to keep
    copies of the files it changes."""
    home: Path
    backup_dir: Path | None = None
    extra: dict = field(default_factory=dict)


Step = Callable[[sqlite3.Connection, Context], None]


@dataclass(frozen=True)
class Migration:
    name: str
    apply: Step


def sql(script: str) -> Step:
    def step(db: sqlite3.Connection, _ctx: Context) -> None:
        for statement in _statements(script):
            db.execute(statement)
    return step


def _statements(script: str) -> list[str]:
    # executescript() would COMMIT first and break the step's transaction, so split it here;
    # a ';' inside a string literal or a trigger body does not end a statement.
    out, current = [], ""
    for piece in script.split(";"):
        current += piece + ";"
        if sqlite3.complete_statement(current):
            if current.strip(" \n\t;"):
                out.append(current.strip())
            current = ""
    return out


def _add_column(table: str, column: str, decl: str) -> Step:
    """ALTER TABLE ADD COLUMN unless a state made before versions existed already has it."""
    def step(db: sqlite3.Connection, _ctx: Context) -> None:
        if column not in {r[1] for r in db.execute(f"PRAGMA table_info({table})")}:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")
    return step


def _steps(*steps: Step) -> Step:
    def step(db: sqlite3.Connection, ctx: Context) -> None:
        for one in steps:
            one(db, ctx)
    return step


# Version 1 is the schema of every state made before versions existed (CREATE ... IF NOT EXISTS
# keeps such state as it is); later steps append. Never edit or reorder a released step.
MIGRATIONS: list[Migration] = [
    Migration("initial schema", sql("""
        CREATE TABLE IF NOT EXISTS apps (
          name TEXT PRIMARY KEY,
          created_at REAL NOT NULL
        );
        CREATE TABLE IF NOT EXISTS tokens (
          name TEXT PRIMARY KEY,
          digest TEXT NOT NULL UNIQUE,
          created_at REAL NOT NULL
        );
        CREATE TABLE IF NOT EXISTS builds (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
          status TEXT NOT NULL,
          commit_sha TEXT NOT NULL,
          image TEXT,
          buildpack TEXT,
          started_at REAL NOT NULL,
          finished_at REAL,
          output TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE IF NOT EXISTS releases (
          app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
          version INTEGER NOT NULL,
          image TEXT NOT NULL,
          config TEXT NOT NULL,
          processes TEXT NOT NULL,
          commit_sha TEXT NOT NULL,
          description TEXT NOT NULL,
          status TEXT NOT NULL,
          created_by TEXT NOT NULL,
          created_at REAL NOT NULL,
          build_id INTEGER,
          PRIMARY KEY (app, version)
        );
        CREATE TABLE IF NOT EXISTS config_vars (
          app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
          key TEXT NOT NULL,
          value TEXT NOT NULL,
          PRIMARY KEY (app, key)
        );
        CREATE TABLE IF NOT EXISTS resources (
          app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
          process TEXT NOT NULL,
          key TEXT NOT NULL,
          value TEXT NOT NULL,
          PRIMARY KEY (app, process, key)
        );
        CREATE TABLE IF NOT EXISTS domains (
          domain TEXT PRIMARY KEY,
          app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE
        );
        CREATE TABLE IF NOT EXISTS formation (
          app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
          process TEXT NOT NULL,
          quantity INTEGER NOT NULL,
          PRIMARY KEY (app, process)
        );
    """)),
    Migration("releases keep their health checks",
              _add_column("releases", "healthchecks", "TEXT NOT NULL DEFAULT '{}'")),
    # owner: an app's name, or '' for the control plane's own host (PAAS_API_HOST). One row per
    # domain and source; the files it names live under $PAAS_HOME/certs, 0600.
    Migration("certificates and each app's TLS options", sql("""
        CREATE TABLE certs (
          owner TEXT NOT NULL,
          domain TEXT NOT NULL,
          source TEXT NOT NULL,
          state TEXT NOT NULL,
          cert_path TEXT,
          key_path TEXT,
          issuer TEXT NOT NULL DEFAULT '',
          serial TEXT NOT NULL DEFAULT '',
          not_before REAL,
          not_after REAL,
          renew_at REAL,
          last_error TEXT NOT NULL DEFAULT '',
          failures INTEGER NOT NULL DEFAULT 0,
          retry_at REAL,
          updated_at REAL NOT NULL,
          PRIMARY KEY (domain, source)
        );
        CREATE INDEX certs_owner ON certs (owner);
        CREATE TABLE tls_options (
          owner TEXT PRIMARY KEY,
          auto INTEGER NOT NULL DEFAULT 0,
          redirect INTEGER NOT NULL DEFAULT 1,
          hsts INTEGER NOT NULL DEFAULT 0
        );
    """)),
    # Tokens made before roles existed could do everything: they stay admin tokens. created_by
    # is the token that made it (revoking that one revokes this one too); token_apps names an
    # app token's apps, and loses its rows with the app or the token.
    Migration("token roles, their apps, who made them and their last use", sql("""
        ALTER TABLE tokens ADD COLUMN role TEXT NOT NULL DEFAULT 'admin';
        ALTER TABLE tokens ADD COLUMN created_by TEXT;
        ALTER TABLE tokens ADD COLUMN last_used REAL;
        CREATE TABLE token_apps (
          token TEXT NOT NULL REFERENCES tokens(name) ON DELETE CASCADE,
          app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
          PRIMARY KEY (token, app)
        );
    """)),
    Migration("secrets at rest are private: PAAS_HOME 0700, the database, tokens, keys and "
              "backups 0600", lambda _db, ctx: make_private(ctx.home) and None),
    # An app's named volumes; path '' is unmounted (the data stays). Each release keeps the
    # mounts it ran with ({name: path}), so a rollback brings them back as they were.
    Migration("named volumes and the mounts each release ran with", _steps(
        sql("""
        CREATE TABLE volumes (
          app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
          name TEXT NOT NULL,
          path TEXT NOT NULL DEFAULT '',
          created_at REAL NOT NULL,
          PRIMARY KEY (app, name)
        );
        """),
        _add_column("releases", "mounts", "TEXT NOT NULL DEFAULT '{}'"))),
    # Datastores (Postgres, Redis) and the apps linked to them. The password lives here only
    # (paas.db is 0600 in a 0700 PAAS_HOME); a link remembers the config var it set.
    Migration("datastores and their links to apps", sql("""
        CREATE TABLE datastores (
          name TEXT PRIMARY KEY,
          kind TEXT NOT NULL,
          version TEXT NOT NULL,
          image TEXT NOT NULL,
          password TEXT NOT NULL,
          created_at REAL NOT NULL
        );
        CREATE TABLE datastore_links (
          datastore TEXT NOT NULL REFERENCES datastores(name) ON DELETE CASCADE,
          app TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
          var TEXT NOT NULL,
          created_at REAL NOT NULL,
          PRIMARY KEY (datastore, app),
          UNIQUE (app, var)
        );
    """)),
    # Issue 15: per-minute request rows (histograms as comma-joined bucket counts, see
    # paas.domain.metrics), where each app's access log was read up to (committed with the rows
    # it produced), and per-minute container figures per process type. 24 h kept.
    Migration("per-minute request and container metrics", sql("""
        CREATE TABLE metrics_requests (
          app TEXT NOT NULL,
          minute INTEGER NOT NULL,
          requests INTEGER NOT NULL,
          s1xx INTEGER NOT NULL, s2xx INTEGER NOT NULL, s3xx INTEGER NOT NULL,
          s4xx INTEGER NOT NULL, s5xx INTEGER NOT NULL,
          bytes INTEGER NOT NULL,
          total_hist TEXT NOT NULL, upstream_hist TEXT NOT NULL,
          total_max REAL NOT NULL, upstream_max REAL NOT NULL,
          PRIMARY KEY (app, minute)
        ) WITHOUT ROWID;
        CREATE TABLE metrics_log_offsets (
          app TEXT PRIMARY KEY,
          inode INTEGER NOT NULL,
          offset INTEGER NOT NULL
        );
        CREATE TABLE metrics_processes (
          app TEXT NOT NULL,
          minute INTEGER NOT NULL,
          process TEXT NOT NULL,
          cpu_sum REAL NOT NULL,
          samples INTEGER NOT NULL,
          mem_max INTEGER NOT NULL,
          mem_limit INTEGER NOT NULL,
          restarts INTEGER NOT NULL,
          oom_kills INTEGER NOT NULL,
          PRIMARY KEY (app, minute, process)
        ) WITHOUT ROWID;
    """)),
    # Dashboard sessions signed out before their idle end: a copied cookie stays dead after a
    # restart. Rows go once `until` (the session's own end) has passed.
    Migration("signed-out dashboard sessions", sql("""
        CREATE TABLE signed_out (
          sid TEXT PRIMARY KEY,
          until REAL NOT NULL
        );
    """)),
    # A Docker layout change (paas.adapters.layout_steps): builds' old root-owned caches go.
    Migration("builds' old root-owned cache volumes (<app>-cache) removed",
              remove_legacy_build_caches),
    # Where the metrics collector's Docker event stream was counted up to (the last counted
    # event's timeNano), committed with the restarts and OOM kills it counted: after a
    # restart the stream resumes there, so an event is neither lost nor counted twice.
    Migration("metrics event stream position", sql("""
        CREATE TABLE metrics_cursors (
          name TEXT PRIMARY KEY,
          value INTEGER NOT NULL
        );
    """)),
]


def code_version(migrations: list[Migration] | None = None) -> int:
    return len(MIGRATIONS if migrations is None else migrations)


def state_version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def _is_empty(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] == 0


def _applied_names(db: sqlite3.Connection) -> dict[int, str]:
    if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'schema_migrations'").fetchone():
        return {}
    return {int(v): n for v, n in db.execute("SELECT version, name FROM schema_migrations")}


def pending(path: Path, migrations: list[Migration] | None = None) -> list[tuple[int, str]]:
    """(version, name) of the steps a state at `path` still needs; refuses a newer state."""
    migrations = MIGRATIONS if migrations is None else migrations
    db = sqlite3.connect(path)
    try:
        current = state_version(db)
        _refuse_newer(db, current, path, migrations)
    finally:
        db.close()
    return [(v, migrations[v - 1].name) for v in range(current + 1, len(migrations) + 1)]


def _refuse_newer(db: sqlite3.Connection, current: int, path: Path,
                  migrations: list[Migration]) -> None:
    latest = len(migrations)
    applied = _applied_names(db)
    foreign = [v for v, n in applied.items() if v <= latest and migrations[v - 1].name != n]
    if current <= latest and not foreign:
        return
    backups = path.parent / "backups"
    raise DowngradeRefused(
        f"this paas ({__version__}, state version {latest}) is older than the state in "
        f"{path.parent} (state version {current}"
        + (f", step {foreign[0]} is {applied[foreign[0]]!r} there" if foreign else "")
        + "): run the newer paas, or restore the backup taken before the upgrade "
        f"(ls {backups}; copy its paas.db over {path} with the platform stopped)")


def migrate(path: Path, ctx: Context | None = None,
            migrations: list[Migration] | None = None) -> list[str]:
    """Bring the state at `path` to this code's version. Returns the names of the steps run.

    A fresh database gets every step and no backup; older state is backed up first."""
    migrations = MIGRATIONS if migrations is None else migrations
    path = Path(path)
    ctx = ctx or Context(home=path.parent)
    db = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        # One migrator at a time: a second process waits here, then finds nothing to do.
        db.execute("BEGIN IMMEDIATE")
        current = state_version(db)
        fresh = _is_empty(db)
        db.execute("COMMIT")
        _refuse_newer(db, current, path, migrations)
        if current == len(migrations):
            return []
        if not fresh:
            ctx.backup_dir = backup(db, path.parent / "backups", current, len(migrations))
        ran = []
        for version in range(current + 1, len(migrations) + 1):
            _apply_one(db, version, migrations[version - 1], ctx)
            ran.append(migrations[version - 1].name)
        return ran
    finally:
        db.close()


def _apply_one(db: sqlite3.Connection, version: int, step: Migration, ctx: Context) -> None:
    db.execute("BEGIN IMMEDIATE")
    try:
        if state_version(db) >= version:  # another process got here first
            db.execute("ROLLBACK")
            return
        step.apply(db, ctx)
        db.execute("CREATE TABLE IF NOT EXISTS schema_migrations ("
                   "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)")
        db.execute("INSERT OR REPLACE INTO schema_migrations VALUES (?, ?, ?)",
                   (version, step.name, time.time()))
        db.execute(f"PRAGMA user_version = {int(version)}")
        db.execute("COMMIT")
    except Exception as exc:
        db.execute("ROLLBACK")
        where = f" (backup: {ctx.backup_dir})" if ctx.backup_dir else ""
        raise MigrationError(
            f"migration {version} ({step.name}) failed, the state stays at version "
            f"{version - 1}{where}: {type(exc).__name__}: {exc}") from exc


def backup(db: sqlite3.Connection, backups: Path, from_version: int, to_version: int) -> Path:
    """An online copy of the database and a record of the versions, mode 0600 in a 0700 dir."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    target = backups / f"pre-upgrade-{stamp}-v{from_version}-to-v{to_version}"
    backups.mkdir(mode=0o700, parents=True, exist_ok=True)
    target.mkdir(mode=0o700)
    copy = sqlite3.connect(target / "paas.db")
    try:
        db.backup(copy)
    finally:
        copy.close()
    os.chmod(target / "paas.db", 0o600)
    record = {"paas": __version__, "state_version": from_version, "upgrading_to": to_version,
              "taken_at": stamp}
    fd = os.open(target / "VERSION.json", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(record, fh, indent=2)
    return target
