"""Logs that outlive containers, and a crash loop that costs its neighbour nothing (issue 13).

A platform of its own, whose convergence removes stopped containers 2 s after they stop
(PAAS_KEEP_STOPPED_SECONDS): the last 3 releases' lines, a failed deploy's and a failed
release command's included, stay readable with `paas logs --release vN` once Docker has
forgotten them. Then app A's workers crash-loop while app B serves 20 keep-alive clients: no
request of B fails and nginx is never reloaded for A's restarts (its workers stay the same)."""
from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tests.faults.control_plane import containers, wait_until
from tests.load import Load
from tests.support import commit_all, copy_app, start_platform, stop_platform

BOOT = 'web: echo "booted $(cat version.txt)" && exec python3 server.py\n'


@pytest.fixture(scope="module")
def keeper(tmp_path_factory):
    p = start_platform(tmp_path_factory.mktemp("logkeep"), "logkeep", drain_seconds=1,
                       settings={"PAAS_KEEP_STOPPED_SECONDS": "2", "PAAS_STANDBY_SECONDS": "0"})
    yield p
    stop_platform(p)


def _push(platform, repo: Path, version: str, procfile: str, ok: bool = True) -> None:
    (repo / "version.txt").write_text(version + "\n")
    (repo / "Procfile").write_text(procfile)
    commit_all(repo, platform.env, version)
    result = platform.git("push", "paas", "main", cwd=repo)
    assert (result.returncode == 0) == ok, result.stderr


def _logs(platform, app: str, version: int) -> str:
    out = platform.paas("logs", "--release", f"v{version}", "-n", "1500", "-a", app)
    assert out.returncode == 0, out.stderr
    return out.stdout


def _gone(platform, app: str, *versions: int) -> bool:
    return not [c for c in containers(platform, app, kind="process")
                if int(c.labels["paas.release"]) in versions]


def test_the_last_releases_lines_outlive_their_containers(keeper, tmp_path):
    app = "keeper"
    repo = copy_app("fault-app", tmp_path / app, keeper.env)
    assert keeper.paas("apps:create", app).returncode == 0
    assert keeper.paas("git:remote", "-a", app, cwd=repo).returncode == 0
    _push(keeper, repo, "v1", BOOT)
    _push(keeper, repo, "v2", BOOT)
    _push(keeper, repo, "v3", BOOT)
    _push(keeper, repo, "v4", 'web: echo "dying $(cat version.txt)"; exit 3\n', ok=False)
    keeper.wait_for(app, "fault-app v3")
    wait_until("v2's and v4's containers removed", lambda: _gone(keeper, app, 1, 2, 4),
               timeout=60, every=0.5)
    assert "app[web.1]: booted v2" in _logs(keeper, app, 2)
    assert "app[web.1]: dying v4" in _logs(keeper, app, 4)  # the failed deploy's (dokku#3241)
    assert "app[web.1]: booted v3" in _logs(keeper, app, 3)  # still running: read from Docker
    assert "app[web.1]: booted v1" in _logs(keeper, app, 1)
    archive = keeper.home / "logs" / "releases" / app
    assert sorted(p.name for p in archive.iterdir()) == ["1", "2", "4"]  # v3 runs in Docker
    assert stat.S_IMODE((archive / "2" / "web.log").stat().st_mode) == 0o600

    release = 'release: echo "migrating $(cat version.txt)"; exit 2\n'
    _push(keeper, repo, "v5", BOOT + release, ok=False)
    assert "app[release.1]: migrating v5" in _logs(keeper, app, 5)  # the failed release command's
    assert "booted v1" not in _logs(keeper, app, 1)  # the archive keeps its newest 3 releases
    assert "app[web.1]: booted v2" in _logs(keeper, app, 2)
    assert keeper.paas("apps:destroy", "-a", app, "--confirm", app).returncode == 0
    assert not archive.exists()


def _nginx_workers(platform) -> set[int]:
    master = int((platform.home / "nginx" / "nginx.pid").read_text().strip())
    workers = set()
    for path in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = path.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            workers.add(int(path.parent.name))
    return workers


def _convergence_restarts(platform, app: str) -> int:
    """How many worker.1 containers convergence started after the first one crash-looped (the
    first after 8 s: Docker's three restarts and the first run are four crashes)."""
    return len(containers(platform, app, kind="process", process="worker", index="1")) - 1


def test_a_crash_loop_neither_fails_nor_reloads_for_its_neighbour(keeper, tmp_path):
    keeper.deploy("steady", "fault-app", tmp_path)
    repo = keeper.deploy("crashy", "fault-app", tmp_path)
    (repo / "Procfile").write_text((repo / "Procfile").read_text() + (
        'worker: echo "worker gives up"; sleep 1; exit 4\n'))
    commit_all(repo, keeper.env, "a worker that crashes")
    keeper.push(repo)
    keeper.wait_for("steady", "fault-app v1")
    with Load(keeper.http_port, "steady.localhost", clients=20) as load:
        assert keeper.paas("ps:scale", "worker=2", "-a", "crashy").returncode == 0
        workers = _nginx_workers(keeper)
        wait_until("convergence restarting the crash-looping worker",
                   lambda: _convergence_restarts(keeper, "crashy") >= 1, timeout=90, every=0.5)
        wait_until("the restarted worker crashing again", lambda: any(
            p["state"] == "crashed" for p in json.loads(keeper.paas(
                "ps", "--json", "-a", "crashy").stdout)["processes"] if p["process"] == "worker"),
            timeout=60, every=0.5)
        assert _nginx_workers(keeper) == workers  # no reload: B's connections stay as they were
    assert load.result.failed == 0, load.result.errors[:5]
    assert load.result.ok > 100
    assert "app[worker.1]: worker gives up" in keeper.paas("logs", "-a", "crashy").stdout
    assert keeper.paas("ps:scale", "worker=0", "-a", "crashy").returncode == 0
