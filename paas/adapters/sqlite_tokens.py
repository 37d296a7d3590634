"""The store's tables of who may use the platform: tokens (roles, apps, maker, last use) and
signed-out dashboard sessions. Part of `SqliteStore` (a mixin: its `_connect` and `_write`), kept
apart so the store's module stays one screenful per concern."""
from __future__ import annotations

import sqlite3
import time

from paas.domain.access import TokenRecord
from paas.errors import Conflict


class TokenTables:
    def add_token(self, name: str, digest: str) -> None:
        # An upsert, not INSERT OR REPLACE: a replaced row would take its apps and the tokens it
        # made with it (ON DELETE CASCADE).
        with self._write() as db:
            db.execute(
                "INSERT INTO tokens (name, digest, created_at) VALUES (?, ?, ?) ON CONFLICT(name) "
                "DO UPDATE SET digest = excluded.digest, created_at = excluded.created_at",
                (name, digest, time.time()),
            )

    def create_token(self, name: str, digest: str, role: str = "admin",
                     apps: tuple[str, ...] = (), created_by: str | None = None) -> None:
        try:
            with self._write() as db:
                db.execute("INSERT INTO tokens (name, digest, created_at, role, created_by) "
                           "VALUES (?, ?, ?, ?, ?)", (name, digest, time.time(), role, created_by))
                db.executemany("INSERT INTO token_apps (token, app) VALUES (?, ?)",
                               [(name, app) for app in apps])
        except sqlite3.IntegrityError:
            raise Conflict(f"a token named {name!r} already exists") from None

    def list_tokens(self) -> list[tuple[str, float]]:
        with self._connect() as db:
            return [(r["name"], r["created_at"])
                    for r in db.execute("SELECT name, created_at FROM tokens ORDER BY name")]

    def token_records(self) -> list[TokenRecord]:
        with self._connect() as db:
            apps: dict[str, list[str]] = {}
            for r in db.execute("SELECT token, app FROM token_apps ORDER BY app"):
                apps.setdefault(r["token"], []).append(r["app"])
            return [TokenRecord(r["name"], r["role"], tuple(apps.get(r["name"], ())),
                                r["created_by"], r["created_at"], r["last_used"])
                    for r in db.execute("SELECT * FROM tokens ORDER BY name")]

    def touch_token(self, name: str, when: float) -> None:
        with self._write() as db:
            db.execute("UPDATE tokens SET last_used = ? WHERE name = ?", (when, name))

    def delete_token(self, name: str) -> list[str]:
        """Removes the token and every token it made, theirs too; returns their names."""
        with self._write() as db:
            doomed = [r[0] for r in db.execute(
                "WITH RECURSIVE doomed(name) AS (SELECT name FROM tokens WHERE name = ? UNION "
                "SELECT t.name FROM tokens t JOIN doomed d ON t.created_by = d.name) "
                "SELECT name FROM doomed", (name,))]
            db.executemany("DELETE FROM tokens WHERE name = ?", [(n,) for n in doomed])
            return doomed

    def add_signed_out(self, sid: str, until: float) -> None:
        with self._write() as db:
            db.execute("DELETE FROM signed_out WHERE until < ?", (time.time(),))
            db.execute("INSERT OR REPLACE INTO signed_out (sid, until) VALUES (?, ?)", (sid, until))

    def is_signed_out(self, sid: str) -> bool:
        with self._connect() as db:
            return db.execute("SELECT 1 FROM signed_out WHERE sid = ?", (sid,)).fetchone() is not None

    def token_digests(self) -> dict[str, str]:
        with self._connect() as db:
            return {r["name"]: r["digest"] for r in db.execute("SELECT name, digest FROM tokens")}
