"""The platform's state in SQLite: apps, tokens, builds, releases, config and formation.

The only module that speaks SQL, with the schema's history in `paas.adapters.migrations`. Each
call opens a short connection (SQLite connections are cheap and gunicorn threads must not share
one); writes that allocate numbers run inside `BEGIN IMMEDIATE` so two concurrent callers
serialise instead of colliding.
"""
from __future__ import annotations

import errno
import json
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path
from typing import Iterator

from paas.adapters.migrations import migrate, state_version
from paas.adapters.sqlite_tokens import TokenTables
from paas.adapters.state_files import create_private
from paas.domain.certs import Cert, TlsOptions
from paas.domain.models import App, Build, Datastore, Link, Release
from paas.errors import Conflict


class SqliteStore(TokenTables):
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        create_private(self.path)  # config values live here: 0600 (SQLite's -wal follows it)
        # The schema is the migrations' (paas.adapters.migrations): a fresh file gets all of
        # them, older state is backed up and brought forward, newer state is refused.
        migrate(self.path)

    def schema_version(self) -> int:
        """The schema version the state is at (PRAGMA user_version, set by the migrations)."""
        with self._connect() as db:
            return state_version(db)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA foreign_keys=ON")
        try:
            yield db
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorcode", None) != sqlite3.SQLITE_FULL:
                raise
            # The use cases know one "no space left", whoever met it (paas.services.disk).
            raise OSError(errno.ENOSPC, f"database or disk is full: {self.path}") from exc
        finally:
            db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # apps
    def add_app(self, name: str) -> App:
        now = time.time()
        try:
            with self._write() as db:
                db.execute("INSERT INTO apps (name, created_at) VALUES (?, ?)", (name, now))
                db.execute("INSERT INTO formation (app, process, quantity) VALUES (?, 'web', 1)", (name,))
        except sqlite3.IntegrityError:
            raise Conflict(f"app {name!r} already exists") from None
        return App(name, now)

    def get_app(self, name: str) -> App | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM apps WHERE name = ?", (name,)).fetchone()
        return App(row["name"], row["created_at"]) if row else None

    def list_apps(self) -> list[App]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM apps ORDER BY name").fetchall()
        return [App(r["name"], r["created_at"]) for r in rows]

    def delete_app(self, name: str) -> None:
        with self._write() as db:
            db.execute("DELETE FROM apps WHERE name = ?", (name,))

    # builds
    def start_build(self, app: str, commit: str) -> int:
        with self._write() as db:
            cur = db.execute(
                "INSERT INTO builds (app, status, commit_sha, started_at) VALUES (?, 'pending', ?, ?)",
                (app, commit, time.time()),
            )
            return int(cur.lastrowid)

    def finish_build(self, build_id: int, *, status: str, output: str,
                     image: str | None = None, buildpack: str | None = None) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE builds SET status = ?, output = ?, image = ?, buildpack = ?, finished_at = ?"
                " WHERE id = ?",
                (status, output, image, buildpack, time.time(), build_id),
            )

    def get_build(self, build_id: int) -> Build | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM builds WHERE id = ?", (build_id,)).fetchone()
        return _build(row) if row else None

    def list_builds(self, app: str, limit: int | None = None) -> list[Build]:
        """Newest first, without their output (a build's log can be long: get_build has it)."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT id, app, status, commit_sha, image, buildpack, started_at, finished_at,"
                " '' AS output FROM builds WHERE app = ? ORDER BY id DESC LIMIT ?",
                (app, -1 if limit is None else limit)).fetchall()
        return [_build(r) for r in rows]

    # releases
    def create_release(self, app: str, *, image: str, processes: dict[str, str], commit: str,
                       description: str, created_by: str, build_id: int | None = None,
                       config: dict[str, str] | None = None,
                       healthchecks: dict | None = None,
                       mounts: dict[str, str] | None = None) -> Release:
        """Number and record a pending release. Without `config` it snapshots the app's config;
        with it, that config becomes the app's config in the same transaction, so a config change
        and its release land together or not at all. `mounts` (volume -> path) likewise."""
        with self._write() as db:
            if config is not None:
                _replace_config(db, app, config)
            if mounts is not None:
                _replace_mounts(db, app, mounts)
            else:
                mounts = _mounts(db, app)
            (last,) = db.execute(
                "SELECT COALESCE(MAX(version), 0) FROM releases WHERE app = ?", (app,)
            ).fetchone()
            if config is None:
                config = _config(db, app)
            release = Release(
                app=app, version=last + 1, image=image, config=config, processes=processes,
                commit=commit, description=description, status="pending",
                created_by=created_by, created_at=time.time(), build_id=build_id,
                healthchecks=healthchecks or {}, mounts=dict(mounts),
            )
            db.execute(
                "INSERT INTO releases (app, version, image, config, processes, commit_sha,"
                " description, status, created_by, created_at, build_id, healthchecks, mounts)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (app, release.version, image, json.dumps(config), json.dumps(processes), commit,
                 description, "pending", created_by, release.created_at, build_id,
                 json.dumps(release.healthchecks), json.dumps(release.mounts)),
            )
        return release

    def fail_interrupted(self, app: str | None = None) -> int:
        """Mark builds and releases left pending by a stopped control plane as failed (one
        app's, or every app's)."""
        which = "" if app is None else " AND app = ?"
        args: tuple = () if app is None else (app,)
        with self._write() as db:
            builds = db.execute("UPDATE builds SET status = 'failed', finished_at = ? "
                                "WHERE status = 'pending'" + which, (time.time(), *args)).rowcount
            releases = db.execute("UPDATE releases SET status = 'failed' "
                                  "WHERE status = 'pending'" + which, args).rowcount
        return builds + releases

    def set_release_status(self, app: str, version: int, status: str) -> None:
        with self._write() as db:
            db.execute("UPDATE releases SET status = ? WHERE app = ? AND version = ?",
                       (status, app, version))

    def list_releases(self, app: str, limit: int | None = None) -> list[Release]:
        """Newest first."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT * FROM releases WHERE app = ? ORDER BY version DESC LIMIT ?",
                (app, -1 if limit is None else limit)).fetchall()
        return [_release(r) for r in rows]

    def current_release(self, app: str) -> Release | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT * FROM releases WHERE app = ? AND status = 'succeeded'"
                " ORDER BY version DESC LIMIT 1", (app,)
            ).fetchone()
        return _release(row) if row else None

    # config and formation
    def get_config(self, app: str) -> dict[str, str]:
        with self._connect() as db:
            return _config(db, app)

    def replace_config(self, app: str, config: dict[str, str]) -> None:
        with self._write() as db:
            _replace_config(db, app, config)

    def get_release(self, app: str, version: int) -> Release | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM releases WHERE app = ? AND version = ?",
                             (app, version)).fetchone()
        return _release(row) if row else None

    def get_formation(self, app: str) -> dict[str, int]:
        with self._connect() as db:
            rows = db.execute("SELECT process, quantity FROM formation WHERE app = ? ORDER BY process",
                              (app,))
            return {r["process"]: r["quantity"] for r in rows}

    def set_formation(self, app: str, formation: dict[str, int]) -> None:
        with self._write() as db:
            db.execute("DELETE FROM formation WHERE app = ?", (app,))
            db.executemany("INSERT INTO formation (app, process, quantity) VALUES (?, ?, ?)",
                           [(app, p, n) for p, n in formation.items()])

    def list_domains(self, app: str) -> list[str]:
        with self._connect() as db:
            rows = db.execute("SELECT domain FROM domains WHERE app = ? ORDER BY domain", (app,))
            return [r["domain"] for r in rows]

    def add_domain(self, app: str, domain: str) -> None:
        try:
            with self._write() as db:
                db.execute("INSERT INTO domains (domain, app) VALUES (?, ?)", (domain, app))
        except sqlite3.IntegrityError:
            raise Conflict(f"domain {domain} is already used by {self.domain_owner(domain)}") from None

    def domain_owner(self, domain: str) -> str | None:
        with self._connect() as db:
            row = db.execute("SELECT app FROM domains WHERE domain = ?", (domain,)).fetchone()
        return row["app"] if row else None

    def remove_domain(self, app: str, domain: str) -> bool:
        with self._write() as db:
            return db.execute("DELETE FROM domains WHERE app = ? AND domain = ?",
                              (app, domain)).rowcount > 0

    def get_resources(self, app: str) -> dict[str, dict[str, str]]:
        found: dict[str, dict[str, str]] = {}
        with self._connect() as db:
            for r in db.execute("SELECT process, key, value FROM resources WHERE app = ?", (app,)):
                found.setdefault(r["process"], {})[r["key"]] = r["value"]
        return found

    def set_resources(self, app: str, process: str, values: dict[str, str]) -> None:
        with self._write() as db:
            db.executemany("INSERT OR REPLACE INTO resources VALUES (?, ?, ?, ?)",
                           [(app, process, k, v) for k, v in values.items()])

    # volumes: (name, path, created_at); path '' when unmounted
    def list_volumes(self, app: str) -> list[tuple[str, str, float]]:
        with self._connect() as db:
            rows = db.execute("SELECT name, path, created_at FROM volumes WHERE app = ? "
                              "ORDER BY name", (app,)).fetchall()
        return [(r["name"], r["path"], r["created_at"]) for r in rows]

    def get_mounts(self, app: str) -> dict[str, str]:
        with self._connect() as db:
            return _mounts(db, app)

    def replace_mounts(self, app: str, mounts: dict[str, str]) -> None:
        with self._write() as db:
            _replace_mounts(db, app, mounts)

    def delete_volume(self, app: str, name: str) -> bool:
        with self._write() as db:
            return db.execute("DELETE FROM volumes WHERE app = ? AND name = ?",
                              (app, name)).rowcount > 0

    # datastores and links
    def add_datastore(self, ds: Datastore) -> None:
        try:
            with self._write() as db:
                db.execute("INSERT INTO datastores (name, kind, version, image, password, "
                           "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                           (ds.name, ds.kind, ds.version, ds.image, ds.password, ds.created_at))
        except sqlite3.IntegrityError:
            raise Conflict(f"a service named {ds.name!r} already exists") from None

    def get_datastore(self, name: str) -> Datastore | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM datastores WHERE name = ?", (name,)).fetchone()
        return _datastore(row) if row else None

    def list_datastores(self) -> list[Datastore]:
        with self._connect() as db:
            return [_datastore(r) for r in db.execute("SELECT * FROM datastores ORDER BY name")]

    def delete_datastore(self, name: str) -> None:
        with self._write() as db:
            db.execute("DELETE FROM datastores WHERE name = ?", (name,))

    def add_link(self, link: Link) -> None:
        try:
            with self._write() as db:
                db.execute("INSERT INTO datastore_links (datastore, app, var, created_at) "
                           "VALUES (?, ?, ?, ?)", (link.datastore, link.app, link.var, time.time()))
        except sqlite3.IntegrityError:
            raise Conflict(f"{link.datastore} is already linked to {link.app}, or {link.app} "
                           f"already has a service as {link.var}") from None

    def list_links(self, datastore: str | None = None, app: str | None = None) -> list[Link]:
        with self._connect() as db:
            rows = db.execute("SELECT datastore, app, var FROM datastore_links WHERE "
                              "(? IS NULL OR datastore = ?) AND (? IS NULL OR app = ?) "
                              "ORDER BY datastore, app", (datastore, datastore, app, app))
            return [Link(r["datastore"], r["app"], r["var"]) for r in rows]

    def delete_link(self, datastore: str, app: str) -> bool:
        with self._write() as db:
            return db.execute("DELETE FROM datastore_links WHERE datastore = ? AND app = ?",
                              (datastore, app)).rowcount > 0

    # certificates and TLS options (owner: an app, or '' for the control plane)
    def list_certs(self, owner: str | None = None) -> list[Cert]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM certs WHERE ? IS NULL OR owner = ? "
                              "ORDER BY owner, domain, source", (owner, owner)).fetchall()
        return [Cert(**{f: r[f] for f in CERT_FIELDS}) for r in rows]

    def put_cert(self, cert: Cert) -> None:
        values = [getattr(cert, f) for f in CERT_FIELDS]
        with self._write() as db:
            db.execute(f"INSERT OR REPLACE INTO certs ({', '.join(CERT_FIELDS)}, updated_at) "
                       f"VALUES ({', '.join('?' * len(CERT_FIELDS))}, ?)", (*values, time.time()))

    def delete_cert(self, domain: str, source: str) -> None:
        with self._write() as db:
            db.execute("DELETE FROM certs WHERE domain = ? AND source = ?", (domain, source))

    def delete_certs(self, owner: str) -> None:
        with self._write() as db:
            db.execute("DELETE FROM certs WHERE owner = ?", (owner,))
            db.execute("DELETE FROM tls_options WHERE owner = ?", (owner,))

    def get_tls(self, owner: str) -> TlsOptions:
        with self._connect() as db:
            row = db.execute("SELECT * FROM tls_options WHERE owner = ?", (owner,)).fetchone()
        if row is None:
            return TlsOptions()
        return TlsOptions(auto=bool(row["auto"]), redirect=bool(row["redirect"]),
                          hsts=bool(row["hsts"]))

    def set_tls(self, owner: str, options: TlsOptions) -> None:
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO tls_options (owner, auto, redirect, hsts) "
                       "VALUES (?, ?, ?, ?)", (owner, options.auto, options.redirect, options.hsts))

    def auto_tls_owners(self) -> set[str]:
        with self._connect() as db:
            return {r["owner"] for r in db.execute("SELECT owner FROM tls_options WHERE auto")}


CERT_FIELDS = tuple(f.name for f in fields(Cert))


def _config(db: sqlite3.Connection, app: str) -> dict[str, str]:
    rows = db.execute("SELECT key, value FROM config_vars WHERE app = ? ORDER BY key", (app,))
    return {r["key"]: r["value"] for r in rows}


def _replace_config(db: sqlite3.Connection, app: str, config: dict[str, str]) -> None:
    db.execute("DELETE FROM config_vars WHERE app = ?", (app,))
    db.executemany("INSERT INTO config_vars (app, key, value) VALUES (?, ?, ?)",
                   [(app, k, v) for k, v in config.items()])


def _mounts(db: sqlite3.Connection, app: str) -> dict[str, str]:
    rows = db.execute("SELECT name, path FROM volumes WHERE app = ? AND path != '' ORDER BY name",
                      (app,))
    return {r["name"]: r["path"] for r in rows}


def _replace_mounts(db: sqlite3.Connection, app: str, mounts: dict[str, str]) -> None:
    """Volumes not named keep their data, unmounted; named ones are created when new."""
    db.execute("UPDATE volumes SET path = '' WHERE app = ?", (app,))
    db.executemany("INSERT INTO volumes (app, name, path, created_at) VALUES (?, ?, ?, ?) "
                   "ON CONFLICT (app, name) DO UPDATE SET path = excluded.path",
                   [(app, n, p, time.time()) for n, p in mounts.items()])


def _datastore(row: sqlite3.Row) -> Datastore:
    return Datastore(name=row["name"], kind=row["kind"], version=row["version"],
                     image=row["image"], password=row["password"], created_at=row["created_at"])


def _build(row: sqlite3.Row) -> Build:
    return Build(
        id=row["id"], app=row["app"], status=row["status"], commit=row["commit_sha"],
        image=row["image"], buildpack=row["buildpack"], started_at=row["started_at"],
        finished_at=row["finished_at"], output=row["output"],
    )


def _release(row: sqlite3.Row) -> Release:
    return Release(
        app=row["app"], version=row["version"], image=row["image"],
        config=json.loads(row["config"]), processes=json.loads(row["processes"]),
        commit=row["commit_sha"], description=row["description"], status=row["status"],
        created_by=row["created_by"], created_at=row["created_at"], build_id=row["build_id"],
        healthchecks=json.loads(row["healthchecks"]), mounts=json.loads(row["mounts"]),
    )
