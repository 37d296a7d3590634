"""Deploys are crash-safe at every step: the API process is killed (SIGKILL) inside the build,
the release phase, the container start, the health checks, the nginx swap and the drain. After
it comes back: the previous or the new release serves (under load, with 0 failed requests),
the interrupted build and release are failed, nothing is left behind, and the next push works."""
from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path

import docker
import pytest

from tests.faults.control_plane import containers, kill_api, restart_api, wait_until
from tests.load import Load
from tests.support import commit_all

V1, V2, V3 = "fault-app v1", "fault-app v2", "fault-app v3"
LONG = "600"  # a release phase or boot this long is only ever ended by the kill


class Push:
    """`git push` in the background, its `remote:` lines collected as they come."""

    def __init__(self, platform, repo: Path) -> None:
        self.proc = subprocess.Popen(["git", "push", "paas", "main"], cwd=repo, env=platform.env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.append(line.rstrip())

    def said(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def wait(self) -> int:
        code = self.proc.wait(timeout=120)
        self._reader.join(10)
        return code


def releases(platform, app: str) -> list[dict]:
    out = platform.paas("releases", "-a", app, "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def builds(platform, app: str) -> list[dict]:
    out = platform.paas("builds", "-a", app, "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def current(platform, app: str) -> int:
    return max(r["version"] for r in releases(platform, app) if r["status"] == "succeeded")


def settled(platform, app: str) -> bool:
    """Nothing of the interrupted deploy is left: no build or release-phase container, no build
    directory or network, every running process of the current release and only those, each routed."""
    if containers(platform, app, kind="build") or any(
            c.status == "running" for c in containers(platform, app, kind="run")):
        return False
    if any((platform.home / "builds").glob("*")):
        return False
    if docker.from_env().networks.list(filters={"label": [
            f"paas.instance={platform.instance}", "paas.kind=build-network"]}):
        return False
    version = str(current(platform, app))
    running = [c for c in containers(platform, app, kind="process") if c.status == "running"]
    return len(running) == 1 and running[0].labels["paas.release"] == version


def images_of_succeeded_builds_only(platform, app: str) -> None:
    """Images left are those of succeeded releases, and of a failed one only while a stopped
    container of it keeps its logs readable (convergence removes both after an hour)."""
    listed = releases(platform, app)
    kept = {r["image"] for r in listed if r["status"] == "succeeded"}
    logs_of = {tag for c in containers(platform, app, kind="process") if c.status == "exited"
               for tag in c.image.tags}
    found = docker.from_env().images.list(filters={"label": [
        f"paas.instance={platform.instance}", f"paas.app={app}", "paas.kind=image"]})
    left = {tag for i in found for tag in i.tags}
    assert left <= kept | logs_of, (left, kept, logs_of)

def crash(platform, tmp_path, app: str, changes: dict[str, str], at, push_fails: bool = True):
    """Deploy v1, push v2 with `changes` under load, kill the API when `at(push)` is true,
    restart it; returns the load's result and the push's exit status once all has settled."""
    repo = platform.deploy(app, "fault-app", tmp_path)
    platform.wait_for(app, V1)
    for name, text in {"version.txt": "v2\n", **changes}.items():
        (repo / name).write_text(text + "\n")
    commit_all(repo, platform.env, "v2")
    with Load(platform.http_port, f"{app}.localhost", clients=10) as load:
        push = Push(platform, repo)
        wait_until("the step to kill in", lambda: at(push), timeout=120)
        kill_api(platform)
        code = push.wait()
        restart_api(platform)
        wait_until("convergence after the restart", lambda: settled(platform, app), timeout=60,
                   every=0.5)
    result = load.result
    assert result.failed == 0, result.errors
    assert result.ok > 0 and result.bodies <= {V1, V2}, result.bodies
    if push_fails:
        assert code != 0, push.lines
    images_of_succeeded_builds_only(platform, app)
    assert all(b["status"] != "pending" for b in builds(platform, app))
    assert all(r["status"] != "pending" for r in releases(platform, app))
    return repo


def next_push_works(platform, repo: Path, app: str) -> None:
    for name, text in {"version.txt": "v3", "boot-delay": "0", "release-delay": "0"}.items():
        (repo / name).write_text(text + "\n")
    commit_all(repo, platform.env, "v3")
    platform.push(repo)
    platform.wait_for(app, V3)


def assert_previous_serves(platform, app: str) -> None:
    assert current(platform, app) == 1
    assert platform.wait_for(app, V1).strip() == V1


def test_killed_during_the_build(faulty, tmp_path):
    app = "crash-build"
    # A new .buildpacks changes the dependency layer's key: the build container runs again.
    repo = crash(faulty, tmp_path, app, {".buildpacks": "procfile"},
                 at=lambda push: containers(faulty, app, kind="build"))
    assert_previous_serves(faulty, app)
    assert [b["status"] for b in builds(faulty, app)][:2] == ["failed", "succeeded"]
    assert [r["version"] for r in releases(faulty, app)] == [1]
    next_push_works(faulty, repo, app)


def test_killed_during_the_release_phase(faulty, tmp_path):
    app = "crash-release"
    repo = crash(faulty, tmp_path, app, {"release-delay": LONG},
                 at=lambda push: any(c.status == "running" for c in
                                     containers(faulty, app, kind="run", release="2")))
    assert_previous_serves(faulty, app)
    assert {r["version"]: r["status"] for r in releases(faulty, app)} == {1: "succeeded", 2: "failed"}
    next_push_works(faulty, repo, app)


def test_killed_during_the_container_start(faulty, tmp_path):
    app = "crash-start"
    repo = crash(faulty, tmp_path, app, {"boot-delay": LONG},
                 at=lambda push: containers(faulty, app, kind="process", release="2"))
    assert_previous_serves(faulty, app)
    assert {r["version"]: r["status"] for r in releases(faulty, app)} == {1: "succeeded", 2: "failed"}
    next_push_works(faulty, repo, app)


def test_killed_during_the_health_checks(faulty, tmp_path):
    app = "crash-health"
    repo = crash(faulty, tmp_path, app, {"boot-delay": LONG},
                 at=lambda push: push.said("starting web.1"))
    assert_previous_serves(faulty, app)
    assert {r["version"]: r["status"] for r in releases(faulty, app)} == {1: "succeeded", 2: "failed"}
    next_push_works(faulty, repo, app)


def test_killed_during_the_nginx_swap(faulty, tmp_path):
    app = "crash-swap"

    def routed_to_v2(push) -> bool:
        """nginx's file names a v2 container: by its address on the app network (direct
        routing) or by its published port."""
        conf = faulty.home / "nginx" / "apps" / f"{app}.conf"
        text = conf.read_text() if conf.exists() else ""
        for c in containers(faulty, app, kind="process", release="2"):
            ips = [n.get("IPAddress") for n in c.attrs["NetworkSettings"]["Networks"].values()]
            ports = [b["HostPort"] for binds in (c.ports or {}).values() for b in (binds or [])]
            if any(ip and f" {ip}:" in text for ip in ips) or any(f":{p} " in text for p in ports):
                return True
        return False

    crash(faulty, tmp_path, app, {}, at=routed_to_v2, push_fails=False)
    # Cut off between the swap and the release's record, or just after: either serves, whole.
    version = current(faulty, app)
    assert version in (1, 2)
    faulty.wait_for(app, V1 if version == 1 else V2)


def test_killed_during_the_drain(faulty, tmp_path):
    app = "crash-drain"
    repo = crash(faulty, tmp_path, app, {}, at=lambda push: push.said("draining 1 old container"),
                 push_fails=False)
    # Killed as the drain began, perhaps before v2 was recorded as succeeded: either serves.
    version = current(faulty, app)
    assert version in (1, 2)
    faulty.wait_for(app, V1 if version == 1 else V2)
    next_push_works(faulty, repo, app)
