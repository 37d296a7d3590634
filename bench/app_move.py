"""Export/import time of an app with a 100 MiB volume (issue 12): `apps:export` and
`apps:import` (the use cases, through the Docker API, between two platform instances on one
daemon) against `tar` of the same volume run by hand in a container, in the same run.

The app here has a volume and no release, so the figures are the data path's: an app with a
release also carries its image (`docker save` of the stack and its layers, ~500 MB).

`python -m bench.app_move` prints its table and puts it in BENCHMARKS.md (replacing its own
section); `bench.run` calls `bench_move` and `lines` like the other benches.
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
SOURCE, TARGET = "benchmove1", "benchmove2"
HEADING = "## Moving an app (issue 12)"
MEGABYTES = 100


def _world(home: Path, instance: str):
    from paas.adapters.docker_data import DockerData
    from paas.adapters.docker_engine import DockerEngine
    from paas.adapters.event_log import EventLog
    from paas.adapters.sqlite_store import SqliteStore
    from paas.bootstrap import wire
    from paas.settings import Settings
    from tests.fakes import FakeProbe, FakeProxy, FakeRepos

    settings = Settings(home=home, instance=instance, network_pool="10.204.0.0/16",
                        network_size=28)
    return wire(settings, store=SqliteStore(settings.db_path), engine=DockerEngine(),
                repos=FakeRepos(home), proxy=FakeProxy(), probe=FakeProbe(),
                events=EventLog(home / "events"), data=DockerData())


def _docker(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], check=True, capture_output=True, **kw)


def bench_move(work: Path, rounds: int = 3) -> dict:
    from paas.render.volumes import volume_labels, volume_name
    from tests.support import remove_docker_objects

    stack = os.environ.get("PAAS_STACK_IMAGE", "paas/stack:trixie")
    source = _world(work / "one", SOURCE)
    app = "mover"
    try:
        source.apps.create(app)
        source.store.replace_mounts(app, {"files": "/data"})
        vol = volume_name(SOURCE, app, "files")
        source.moves.data.create_volume(vol, volume_labels(SOURCE, app, "files"))
        _docker("run", "--rm", "--network", "none", "-v", f"{vol}:/v", "--label",
                f"paas.instance={SOURCE}", stack, "sh", "-c",
                f"for i in $(seq 1 {MEGABYTES}); do head -c 1048576 /dev/urandom > /v/f$i; done")
        ours_e, ours_i, base_e, base_i = [], [], [], []
        size = 0
        for n in range(rounds):
            target = _world(work / f"two-{n}", TARGET)
            started = time.monotonic()
            archive = source.moves.export(app)
            ours_e.append(time.monotonic() - started)
            size = len(archive)
            started = time.monotonic()
            target.moves.import_app(f"moved{n}", archive, lambda _: None)
            ours_i.append(time.monotonic() - started)
            del archive
            by_hand = work / "by-hand.tar"
            started = time.monotonic()
            with open(by_hand, "wb") as out:
                subprocess.run(["docker", "run", "--rm", "--network", "none", "-v", f"{vol}:/v:ro",
                                "--label", f"paas.instance={SOURCE}", stack, "tar", "-C", "/v",
                                "-cf", "-", "."], stdout=out, check=True)
            base_e.append(time.monotonic() - started)
            copy = f"paas-{TARGET}-byhand-{n}"
            _docker("volume", "create", "--label", f"paas.instance={TARGET}", copy)
            started = time.monotonic()
            with open(by_hand, "rb") as source_file:
                subprocess.run(["docker", "run", "--rm", "-i", "--network", "none", "-v",
                                f"{copy}:/v", "--label", f"paas.instance={TARGET}", stack, "tar",
                                "-C", "/v", "-xf", "-"], stdin=source_file, check=True)
            base_i.append(time.monotonic() - started)
            same = _docker("run", "--rm", "--network", "none", "-v",
                           f"{volume_name(TARGET, f'moved{n}', 'files')}:/v:ro", "--label",
                           f"paas.instance={TARGET}", stack, "sh", "-c",
                           "cat /v/f* | md5sum", text=True).stdout
            want = _docker("run", "--rm", "--network", "none", "-v", f"{vol}:/v:ro", "--label",
                           f"paas.instance={SOURCE}", stack, "sh", "-c", "cat /v/f* | md5sum",
                           text=True).stdout
            assert same == want, "the imported volume differs from the exported one"
        return {"archive": size, "export": (median(ours_e), median(base_e)),
                "import": (median(ours_i), median(base_i))}
    finally:
        remove_docker_objects(SOURCE)
        remove_docker_objects(TARGET)


def lines(result: dict) -> list[str]:
    rows = []
    for name, (ours, base) in (("export (`apps:export` vs `tar -c` of the volume)", result["export"]),
                               ("import (`apps:import` vs `tar -x` into a new volume)",
                                result["import"])):
        rows.append(f"| {name} | {ours:.2f} s | {base:.2f} s | {ours / base:.2f}× |")
    return [
        HEADING,
        "",
        "`python -m bench.app_move` (also part of `make bench`), medians of 3 rounds.",
        f"An app with a {MEGABYTES} MiB volume (random data, {MEGABYTES} files of 1 MiB) and no release; "
        f"its archive is {result['archive'] / 1e6:.0f} MB.",
        "paas: the export and import use cases between two platform instances on one daemon "
        "(the archive",
        "verified whole, sha256 of every member, the volume read and filled through Docker's "
        "archive API).",
        "Baseline: `tar` of the same volume in a container run by hand, its output on the host.",
        "",
        "| what | paas | baseline | ratio |",
        "| --- | ---: | ---: | ---: |",
        *rows,
        "",
    ]


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="paas-bench-move-") as tmp:
        result = bench_move(Path(tmp))
    section = lines(result)
    replace_section(ROOT / "BENCHMARKS.md", HEADING, section)
    print("\n".join(section))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
