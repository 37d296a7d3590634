"""Swarm (issue 16): deploys and rollbacks on a three-node swarm against the single-host
`docker` scheduler, measured in the same run, and the time the router takes to follow a node
that dies under load.

The swarm is three `dockerd`s in network namespaces of their own (tests/swarm_cluster.py), the
platform on this host pointed at the manager, its registry on the nodes' bridge. Both
platforms deploy the same app (flask-hello) the same way: a code-only push, timed to the first
response of the new version through nginx; a rollback, timed the same way. Both rollbacks take
the replaced release back from standby (PAAS_STANDBY_SECONDS): paused on one host, held running
and unrouted on swarm (which cannot pause a task).

`python -m bench.swarm [--rounds N]` runs it alone and prints its lines.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from bench.deploys import _bump, _rollback_time
from bench.timing import median, wait_for_body
from tests.load import Load
from tests.support import commit_all, copy_app, remove_host_rules, start_platform, stop_platform
from tests.swarm_cluster import Cluster

STACK = os.environ.get("PAAS_STACK_IMAGE", "paas/stack:trixie")
NODES = 3
CERTS_D = Path("/etc/docker/certs.d")


def _push_and_rollback(platform, workdir: Path, rounds: int) -> tuple[float, float]:
    """Medians: a code-only push (push → first new body), and a rollback to the release
    before it (command → first old body)."""
    app = "swbench"
    assert platform.paas("apps:create", app).returncode == 0
    repo = copy_app("flask-hello", workdir / f"{platform.instance}-app", platform.env)
    platform.paas("git:remote", "-a", app, cwd=repo)
    platform.push(repo)
    wait_for_body(platform.router_url, "hello from v1", host=f"{app}.localhost")
    pushes, rollbacks, parts = [], [], []
    for n in range(rounds):
        _bump(repo, f"v{n + 1}", f"v{n + 2}")
        commit_all(repo, platform.env, f"v{n + 2}")
        started = time.monotonic()
        pushed = platform.push(repo)
        assert pushed.returncode == 0, pushed.stderr[-2000:]
        wait_for_body(platform.router_url, f"hello from v{n + 2}", host=f"{app}.localhost")
        pushes.append(time.monotonic() - started)
    # Releases: v1 .. v(rounds+1). Back and forth between the last two.
    last = rounds + 1
    for n in range(rounds):
        target = last - 1 if n % 2 == 0 else last
        want = f"hello from v{target}"
        rollbacks.append(_rollback_time(platform, app, f"v{target}", want, parts))
    return median(pushes), median(rollbacks)


def _single_host(workdir: Path, rounds: int) -> tuple[float, float]:
    # A pool of its own: on a daemon shared with test runs, the default pool is contended.
    platform = start_platform(workdir, "bench-sw-docker", drain_seconds=0,
                              settings={"PAAS_NETWORK_POOL": "10.232.0.0/16"})
    try:
        return _push_and_rollback(platform, workdir, rounds)
    finally:
        stop_platform(platform)


def _routed(platform, app: str) -> str:
    return "".join(p.read_text() for p in (platform.home / "nginx").rglob(f"*{app}*") if p.is_file())


def _node_failure(platform, cluster: Cluster) -> dict:
    """web=2 over the nodes under load; the engine of a worker holding one is killed (its
    containers and dockerd at once, then it drops off the network). Seconds until nginx
    routes to it no more, and until both web processes run on the survivors and are routed."""
    app = "swbench"
    ok = platform.paas("ps:scale", "web=2", "-a", app)
    assert ok.returncode == 0, ok.stderr
    nodes = {n.addr: n for n in cluster.nodes}
    routed = _routed(platform, app)
    victim = next(n for addr, n in nodes.items() if addr in routed and n is not cluster.manager)
    with Load(platform.http_port, f"{app}.localhost", clients=8) as load:
        deadline = time.monotonic() + 30
        while load.result.ok < 50 and time.monotonic() < deadline:
            time.sleep(0.05)
        died = time.monotonic()
        cluster.stop_engine(victim, graceful=False)
        unrouted = both = None
        while both is None and time.monotonic() - died < 120:
            text = _routed(platform, app)
            if unrouted is None and victim.addr not in text:
                unrouted = time.monotonic() - died
            ps = json.loads(platform.paas("ps", "--json", "-a", app).stdout)["processes"]
            running = [p for p in ps if p["state"] == "running" and p["process"] == "web"]
            if (len(running) == 2 and victim.addr not in {p["node"] for p in running}
                    and unrouted is not None and text.count(" max_fails=") >= 2):
                both = time.monotonic() - died
            time.sleep(0.2)
        result = load.stop()
    return {"unrouted": unrouted, "both": both, "ok": result.ok, "failed": result.failed,
            "errors": result.errors[:3]}


def _swarm(workdir: Path, rounds: int) -> tuple[float, float, dict]:
    cluster = Cluster().start(NODES, images=(STACK,))
    registry_port = 25000 + os.getpid() % 5000
    platform = start_platform(workdir, "bench-sw-swarm", drain_seconds=0, settings={
        "PAAS_SCHEDULER": "swarm", "PAAS_SWARM_ADDR": cluster.host_addr,
        "PAAS_REGISTRY_PORT": str(registry_port), "DOCKER_HOST": cluster.manager.host})
    try:
        push, rollback = _push_and_rollback(platform, workdir, rounds)
        failure = _node_failure(platform, cluster)
        return push, rollback, failure
    finally:
        platform.control("down")
        pid_file = platform.home / "registry" / "registry.pid"
        if pid_file.exists():
            try:
                os.kill(int(pid_file.read_text()), signal.SIGTERM)
            except ProcessLookupError:
                pass
        shutil.rmtree(CERTS_D / f"{cluster.host_addr}:{registry_port}", ignore_errors=True)
        remove_host_rules(platform.instance)
        cluster.stop()


def bench_swarm(workdir: Path, rounds: int = 3) -> dict:
    single = _single_host(workdir, rounds)
    push, rollback, failure = _swarm(workdir, rounds)
    return {"rounds": rounds, "push": (push, single[0]), "rollback": (rollback, single[1]),
            "failure": failure}


def lines(result: dict) -> list[str]:
    f = result["failure"]

    def seconds(x: float | None) -> str:
        return f"{x:.1f} s" if x is not None else "not within 120 s"
    return [
        "",
        "## Swarm (issue 16)",
        "",
        f"A manager and {NODES - 1} workers (dockerds in network namespaces on one bridge, this",
        "machine's 2 cores shared), against the single-host `docker` scheduler in the same run;",
        f"flask-hello, medians of {result['rounds']} rounds. A swarm deploy pushes the image to the",
        "registry, starts a service per process and waits for its task on its node. Both",
        "rollbacks take the release back from standby: paused on one host, held unrouted on swarm.",
        "",
        "| what | swarm | docker (one host) | ratio |",
        "| --- | ---: | ---: | ---: |",
        *[f"| {name} | {ours:.2f} s | {base:.2f} s | {ours / base:.2f}× |" for name, (ours, base) in
          (("code-only push → first new response", result["push"]),
           ("rollback → first old response", result["rollback"]))],
        "",
        "Node failure: web=2 on two nodes under 8 keep-alive clients; one node's containers and",
        "engine killed at once (no reset for open connections), then it drops off the network.",
        "",
        "| router stops sending to the dead node | both web processes run on survivors, routed "
        "| requests | failed |",
        "| ---: | ---: | ---: | ---: |",
        f"| {seconds(f['unrouted'])} | {seconds(f['both'])} | {f['ok'] + f['failed']} | {f['failed']} |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="paas-bench-swarm-", ignore_cleanup_errors=True) as tmp:
        result = bench_swarm(Path(tmp), args.rounds)
    print("\n".join(lines(result)))
    if result["failure"]["errors"]:
        print("first errors:", result["failure"]["errors"])


if __name__ == "__main__":
    main()
