"""Backup and restore throughput of a ~200 MB Postgres database (issue 12): `paas
services:backup` / `services:restore` (the use cases, through the Docker API) against `pg_dump
-Fc` / `pg_restore` run by hand with `docker exec` in the same run, on the same server.

`python -m bench.datastores` prints its table and puts it in BENCHMARKS.md (replacing its own
section); `bench.run` calls `bench_backups` and `lines` like the other benches.
"""
from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

from bench.report import replace_section
from bench.timing import median

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = "benchdata"
HEADING = "## Postgres backups (issue 12)"
ROWS = 1_000_000  # about 200 MB on disk


def _world(home: Path):
    from paas.adapters.docker_data import DockerData
    from paas.adapters.docker_engine import DockerEngine
    from paas.adapters.event_log import EventLog
    from paas.adapters.sqlite_store import SqliteStore
    from paas.bootstrap import wire
    from paas.settings import Settings
    from tests.fakes import FakeProbe, FakeProxy, FakeRepos

    settings = Settings(home=home, instance=INSTANCE, network_pool="10.203.0.0/16",
                        network_size=28)
    return wire(settings, store=SqliteStore(settings.db_path), engine=DockerEngine(),
                repos=FakeRepos(home), proxy=FakeProxy(), probe=FakeProbe(),
                events=EventLog(home / "events"), data=DockerData())


def _psql(container: str, query: str) -> str:
    return subprocess.run(["docker", "exec", "-u", "postgres", container, "psql", "-X", "-q", "-t",
                           "-A", "-d", "bench", "-c", query], check=True, capture_output=True,
                          text=True).stdout.strip()


def bench_backups(work: Path, rounds: int = 3) -> dict:
    from tests.support import remove_docker_objects

    services = _world(work / "datastores")
    try:
        services.datastores.create("postgres", "bench", lambda _: None)
        container = f"paas-{INSTANCE}-db-bench"
        # As the app's role, as an app linked to it would (a restore runs as that role).
        _psql(container, "SET ROLE paas; CREATE TABLE t (id int PRIMARY KEY, body text); "
                         f"INSERT INTO t SELECT g, repeat(md5(g::text), 5) "
                         f"FROM generate_series(1, {ROWS}) g")
        size = int(_psql(container, "SELECT pg_database_size('bench')"))
        ours_b, base_b, ours_r, base_r = [], [], [], []
        dump_size = 0
        for _ in range(rounds):
            started = time.monotonic()
            made = services.backups.backup("bench")
            ours_b.append(time.monotonic() - started)
            dump_size = made.size
            by_hand = work / "by-hand.dump"
            started = time.monotonic()
            with open(by_hand, "wb") as out:
                subprocess.run(["docker", "exec", "-u", "postgres", container, "pg_dump", "-Fc",
                                "-U", "postgres", "-d", "bench"], stdout=out, check=True)
            base_b.append(time.monotonic() - started)
            started = time.monotonic()
            services.backups.restore("bench", made.id, lambda _: None)
            # a restore first backs up what it replaces: that backup is part of its time
            ours_r.append(time.monotonic() - started)
            started = time.monotonic()
            with open(by_hand, "rb") as source:
                subprocess.run(["docker", "exec", "-i", "-u", "postgres", container, "pg_restore",
                                "--clean", "--if-exists", "--no-owner", "--role=paas",
                                "--single-transaction",
                                "-U", "postgres", "-d", "bench"], stdin=source, check=True)
            base_r.append(time.monotonic() - started)
        assert _psql(container, "SELECT count(*) FROM t") == str(ROWS)
        return {"size": size, "dump": dump_size, "backup": (median(ours_b), median(base_b)),
                "restore": (median(ours_r), median(base_r))}
    finally:
        remove_docker_objects(INSTANCE)


def lines(result: dict) -> list[str]:
    mb = result["size"] / 1e6
    rows = []
    for name, (ours, base) in (("backup (`services:backup` vs `pg_dump -Fc`)", result["backup"]),
                               ("restore (`services:restore` vs `pg_restore`)", result["restore"])):
        rows.append(f"| {name} | {mb / ours:.1f} MB/s ({ours:.2f} s) | {mb / base:.1f} MB/s "
                    f"({base:.2f} s) | {base / ours:.2f} |")
    return [
        HEADING,
        "",
        "`python -m bench.datastores` (also part of `make bench`), medians of 3 rounds.",
        f"A {mb:.0f} MB database ({ROWS} rows, its dump {result['dump'] / 1e6:.0f} MB). Baseline: the "
        "same tool run by hand",
        "with `docker exec` on the same server, its output on the host. paas's restore includes",
        "the backup it takes of what it replaces first.",
        "Throughput is database size over time; the ratio is baseline time over paas time.",
        "",
        "| what | paas | baseline | ratio |",
        "| --- | ---: | ---: | ---: |",
        *rows,
        "",
    ]


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="paas-bench-data-") as tmp:
        result = bench_backups(Path(tmp))
    section = lines(result)
    replace_section(ROOT / "BENCHMARKS.md", HEADING, section)
    print("\n".join(section))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
