"""Recovery of the supervised control plane (issue 13): the API answering again after kill -9
of gunicorn's master, the router serving again after kill -9 of nginx's master; an app's web.1
serving again after kill -9 of its container's process, with web=1 and with web=2, under
keep-alive load (and how many requests failed meanwhile); medians.

Baseline, measured in the same run: a bare container with the same restart policy, host
network and a Python HTTP server from the stack image, killed the same way, to its first 200.
The ratio is what paas adds to Docker's own restart (its imports, its wiring, nginx's start).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import docker

from bench.timing import median
from tests.load import Load
from tests.support import ROOT, Platform, copy_app, free_port, http_get, remove_docker_objects

LABEL = "paas.bench=recovery"


def _until(check, timeout: float = 60) -> float:
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise RuntimeError("did not recover within 60 s")
        time.sleep(0.02)
    return time.monotonic() - start


def _kill_and_time(pid: int, down, up) -> float:
    started = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    _until(down, 10)
    _until(up)
    return time.monotonic() - started


def _web1(client, p: Platform):
    """The running container of the app's web.1 slot, or None."""
    labels = [f"paas.instance={p.instance}", "paas.app=hello", "paas.kind=process",
              "paas.process=web", "paas.index=1"]
    found = client.containers.list(filters={"label": labels, "status": "running"})
    return found[0] if found else None


def _answers(container) -> bool:
    """The container answers on its own address (the host has an interface on its network)."""
    env = dict(e.split("=", 1) for e in container.attrs["Config"]["Env"] if "=" in e)
    for net in container.attrs["NetworkSettings"]["Networks"].values():
        if net.get("IPAddress"):
            return http_get(f"http://{net['IPAddress']}:{env.get('PORT')}/", timeout=1)[0] == 200
    return False


def _kill_web1(client, p: Platform) -> tuple[float, object]:
    """kill -9 of web.1's process under 20 keep-alive clients: seconds until web.1 (the
    restarted container or its replacement) answers again, and the load's result."""
    before = _web1(client, p)
    pid = before.attrs["State"]["Pid"]

    def back() -> bool:
        now = _web1(client, p)
        return now is not None and now.attrs["State"]["Pid"] not in (0, pid) and _answers(now)

    with Load(p.http_port, "hello.localhost", clients=20) as load:
        _until(lambda: load.result.ok > 100)
        started = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        _until(back)
        took = time.monotonic() - started
        time.sleep(1)
    return took, load.result


def bench_recovery(workdir: Path, rounds: int = 3, stack: str = "paas/stack:trixie") -> dict:
    client = docker.from_env()
    home = workdir / "recovery"
    (home / "user").mkdir(parents=True)
    p = Platform(home=home, api_port=free_port(), http_port=free_port(),
                 instance=f"b{os.getpid()}rec", drain_seconds=0,
                 settings={"PAAS_HTTPS_PORT": str(free_port()), "PAAS_SUPERVISE": "1",
                           "PAAS_ACME_DIRECTORY": ""})
    base_port = free_port()
    baseline = None
    try:
        up = subprocess.run([sys.executable, "-m", "paas.server.control", "up"], env=p.env,
                            capture_output=True, text=True, timeout=900, cwd=ROOT)
        assert up.returncode == 0, up.stdout + up.stderr
        repo = copy_app("flask-hello", workdir / "recovery-app", p.env)
        assert p.paas("apps:create", "hello").returncode == 0
        assert p.paas("git:remote", "-a", "hello", cwd=repo).returncode == 0
        p.push(repo)
        p.wait_for("hello", "hello from v1", timeout=60)
        baseline = client.containers.run(
            stack, ["python3", "-m", "http.server", str(base_port), "--bind", "127.0.0.1"],
            detach=True, network_mode="host", pid_mode="host", labels={"paas.bench": "recovery"},
            restart_policy={"Name": "unless-stopped"})

        def health(port):
            return lambda: http_get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)[0] == 200

        def base_ok():
            return http_get(f"http://127.0.0.1:{base_port}/", timeout=1)[0] == 200

        def app_ok():
            return p.get("hello")[0] == 200

        _until(base_ok)
        api, router, base = [], [], []
        for _ in range(rounds):
            pid = client.containers.get(f"paas-{p.instance}-api").attrs["State"]["Pid"]
            api.append(_kill_and_time(pid, lambda: not health(p.api_port)(), health(p.api_port)))
            pid = int((home / "nginx" / "nginx.pid").read_text())
            router.append(_kill_and_time(pid, lambda: not app_ok(), app_ok))
            baseline.reload()
            base.append(_kill_and_time(baseline.attrs["State"]["Pid"], lambda: not base_ok(),
                                       base_ok))
            time.sleep(10)  # Docker doubles its restart delay for a container up under 10 s
        killed = {}
        for web in (1, 2):
            if web == 2:
                assert p.paas("ps:scale", "web=2", "-a", "hello").returncode == 0
            times, failed = [], []
            for _ in range(rounds):
                took, result = _kill_web1(client, p)
                times.append(took)
                failed.append(result.failed)
                time.sleep(10)
            killed[web] = (median(times), median(failed))
        return {"api": median(api), "router": median(router), "base": median(base),
                "web1": killed[1], "web2": killed[2]}
    finally:
        if baseline is not None:
            baseline.remove(force=True)
        subprocess.run([sys.executable, "-m", "paas.server.control", "uninstall"],
                       env={**p.env, "CONFIRM": "yes"}, capture_output=True, timeout=300, cwd=ROOT)
        remove_docker_objects(p.instance)


def lines(result: dict) -> list[str]:
    return [
        "## Recovery of the control plane (issue 13)",
        "",
        "`make up` runs the API and the router as containers with the restart policy",
        "`unless-stopped`; each is killed with SIGKILL (gunicorn's master, nginx's master) and",
        "timed to its first 200 (the API's health, an app through the router). Baseline: a bare",
        "container with the same policy running `python3 -m http.server`, killed the same way.",
        "The goal is the API answering within 10 s. `tests/faults/test_supervision.py` also kills",
        "a gunicorn worker and checks that no app request fails while the API is down.",
        "",
        "| what | paas | baseline | ratio |",
        "| --- | ---: | ---: | ---: |",
        f"| API after kill -9 | {result['api']:.2f} s | {result['base']:.2f} s | "
        f"{result['api'] / result['base']:.2f}× (goal ≤ 10 s) |",
        f"| router after kill -9 | {result['router']:.2f} s | {result['base']:.2f} s | "
        f"{result['router'] / result['base']:.2f}× |",
        *[f"| web.1 after kill -9, web={n} ({result[f'web{n}'][1]:.0f} requests failed) | "
          f"{result[f'web{n}'][0]:.2f} s | {result['base']:.2f} s | "
          f"{result[f'web{n}'][0] / result['base']:.2f}× |" for n in (1, 2)],
        "",
        "web.1: its container's process killed with SIGKILL under 20 keep-alive clients through",
        "nginx; timed to web.1 answering again on its own address (Docker restarts it: the",
        "`unless-stopped` policy); requests failed: the median count of failed requests of",
        "those clients over the kill, its restart and one more second.",
        "",
    ]


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory(prefix="paas-bench-") as tmp:
        print("\n".join(lines(bench_recovery(Path(tmp), rounds=int(os.environ.get("ROUNDS", 3))))))
