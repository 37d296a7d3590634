"""Metrics state in SQLite (issue 15): per-minute request rows, the access logs' read positions
and per-minute container figures, in the platform's database (tables made by the migration
"per-minute request and container metrics").

A batch of request rows and the log position it was read up to commit in one transaction, so a
restart re-reads exactly what was not counted: no minute lost, none counted twice.
"""
from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from paas.adapters.migrations import migrate
from paas.domain.metrics import STATUS_CLASSES, MinuteRow, decode_hist, encode_hist
from paas.domain.stats import ProcessMinute

_STATUS_COLS = ", ".join(f"s{c}" for c in STATUS_CLASSES)


class MetricsStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        migrate(self.path)

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            yield db
        finally:
            db.close()

    def log_position(self, app: str) -> tuple[int, int] | None:
        """(inode, byte offset) the app's access log was counted up to, or None."""
        with self._read() as db:
            row = db.execute("SELECT inode, offset FROM metrics_log_offsets WHERE app = ?",
                             (app,)).fetchone()
        return (int(row[0]), int(row[1])) if row else None

    def log_positions(self) -> dict[str, tuple[int, int]]:
        with self._read() as db:
            found = db.execute("SELECT app, inode, offset FROM metrics_log_offsets").fetchall()
        return {r[0]: (int(r[1]), int(r[2])) for r in found}

    def add_requests(self, app: str, rows: dict[int, MinuteRow],
                     position: tuple[int, int]) -> None:
        """Add `rows` to the stored minutes and move the read position, atomically."""
        self.add_requests_batch([(app, rows, position)])

    def add_requests_batch(self, batch: list[tuple[str, dict[int, MinuteRow],
                                                   tuple[int, int]]]) -> None:
        """Several apps' rows and positions in one transaction (one commit per pass)."""
        with self._write() as db:
            for app, rows, position in batch:
                for minute, row in rows.items():
                    _merge_row(db, app, minute, row)
                db.execute("INSERT OR REPLACE INTO metrics_log_offsets (app, inode, offset) "
                           "VALUES (?, ?, ?)", (app, *position))

    def requests(self, app: str, since: int) -> dict[int, MinuteRow]:
        with self._read() as db:
            found = db.execute(
                f"SELECT minute, requests, {_STATUS_COLS}, bytes, total_hist, upstream_hist, "
                "total_max, upstream_max FROM metrics_requests WHERE app = ? AND minute >= ? "
                "ORDER BY minute", (app, since)).fetchall()
        return {int(r[0]): _request_row(r[1:]) for r in found}

    def request_totals(self, since: int, apps: list[str] | None = None
                       ) -> dict[str, tuple[int, int]]:
        """Per app (of `apps`, or every one): (requests, 5xx responses) in the minutes from
        `since` on. Naming the apps lets SQLite seek each one's last minutes in the primary
        key (100 apps' full day: under 1 ms, against 45 ms for scanning the table)."""
        if apps is None:
            with self._read() as db:
                found = db.execute("SELECT app, sum(requests), sum(s5xx) FROM metrics_requests "
                                   "WHERE minute >= ? GROUP BY app", (since,)).fetchall()
            return {r[0]: (int(r[1]), int(r[2])) for r in found}
        out = {}
        with self._read() as db:
            for i in range(0, len(apps), 500):  # under SQLite's limit of bound values
                chunk = apps[i:i + 500]
                found = db.execute(
                    "SELECT app, sum(requests), sum(s5xx) FROM metrics_requests WHERE app IN "
                    f"({', '.join('?' * len(chunk))}) AND minute >= ? GROUP BY app",
                    (*chunk, since)).fetchall()
                out.update({r[0]: (int(r[1]), int(r[2])) for r in found})
        return out

    def cursor(self, name: str) -> int | None:
        """Where a stream of events was counted up to (see `add_processes`), or None."""
        with self._read() as db:
            row = db.execute("SELECT value FROM metrics_cursors WHERE name = ?",
                             (name,)).fetchone()
        return int(row[0]) if row else None

    def add_processes(self, rows: list[ProcessMinute],
                      cursor: tuple[str, int] | None = None) -> None:
        """Merge samples into the stored minutes (CPU summed for an average, memory's peak);
        `cursor` (name, position): where the events counted in `rows` were read up to,
        stored in the same transaction."""
        with self._write() as db:
            if cursor is not None:
                db.execute("INSERT OR REPLACE INTO metrics_cursors (name, value) VALUES (?, ?)",
                           cursor)
            for r in rows:
                db.execute(
                    "INSERT INTO metrics_processes (app, minute, process, cpu_sum, samples, "
                    "mem_max, mem_limit, restarts, oom_kills) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (app, minute, process) DO UPDATE SET "
                    "cpu_sum = cpu_sum + excluded.cpu_sum, samples = samples + excluded.samples, "
                    "mem_max = max(mem_max, excluded.mem_max), "
                    "mem_limit = max(mem_limit, excluded.mem_limit), "
                    "restarts = restarts + excluded.restarts, "
                    "oom_kills = oom_kills + excluded.oom_kills",
                    (r.app, r.minute, r.process, r.cpu_sum, r.samples, r.mem_max, r.mem_limit,
                     r.restarts, r.oom_kills))

    def processes(self, app: str, since: int) -> list[ProcessMinute]:
        with self._read() as db:
            found = db.execute(
                "SELECT app, minute, process, cpu_sum, samples, mem_max, mem_limit, restarts, "
                "oom_kills FROM metrics_processes WHERE app = ? AND minute >= ? "
                "ORDER BY minute, process", (app, since)).fetchall()
        return [ProcessMinute(*r) for r in found]

    def prune(self, before: int, apps: set[str]) -> int:
        """Drop minutes older than `before` and every row of apps that no longer exist."""
        marks = ", ".join("?" * len(apps)) or "''"
        removed = 0
        with self._write() as db:
            for table in ("metrics_requests", "metrics_processes"):
                removed += db.execute(f"DELETE FROM {table} WHERE minute < ?", (before,)).rowcount
                removed += db.execute(f"DELETE FROM {table} WHERE app NOT IN ({marks})",
                                      tuple(apps)).rowcount
            db.execute(f"DELETE FROM metrics_log_offsets WHERE app NOT IN ({marks})", tuple(apps))
        return removed

    def size_bytes(self, app: str) -> int:
        """Bytes the app's request and container rows take (SQLite's dbstat is not always
        compiled in, so this counts the stored values plus the key per row)."""
        with self._read() as db:
            row = db.execute(
                "SELECT coalesce(sum(length(app) + 8 + length(total_hist) + length(upstream_hist)"
                " + 8 * 10), 0) FROM metrics_requests WHERE app = ?", (app,)).fetchone()
            procs = db.execute(
                "SELECT coalesce(sum(length(app) + length(process) + 8 * 8), 0) "
                "FROM metrics_processes WHERE app = ?", (app,)).fetchone()
        return int(row[0]) + int(procs[0])


def _merge_row(db: sqlite3.Connection, app: str, minute: int, row: MinuteRow) -> None:
    old = _request_row(db.execute(
        f"SELECT requests, {_STATUS_COLS}, bytes, total_hist, upstream_hist, total_max, "
        "upstream_max FROM metrics_requests WHERE app = ? AND minute = ?",
        (app, minute)).fetchone())
    new = old.add(row) if old else row
    db.execute(
        f"INSERT OR REPLACE INTO metrics_requests (app, minute, requests, {_STATUS_COLS}, bytes, "
        "total_hist, upstream_hist, total_max, upstream_max) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (app, minute, new.requests, *(new.status[c] for c in STATUS_CLASSES), new.bytes,
         encode_hist(new.total), encode_hist(new.upstream), new.total_max, new.upstream_max))


def _request_row(row) -> MinuteRow | None:
    if row is None:
        return None
    n = len(STATUS_CLASSES)
    return MinuteRow(requests=int(row[0]), status=dict(zip(STATUS_CLASSES, map(int, row[1:1 + n]))),
                     bytes=int(row[1 + n]), total=decode_hist(row[2 + n]),
                     upstream=decode_hist(row[3 + n]), total_max=float(row[4 + n]),
                     upstream_max=float(row[5 + n]))
