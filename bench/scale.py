"""Scale on one box (issue 14): many small apps (a Procfile-only Python `http.server`, no
dependencies) deployed one after another on one platform. Reported: the deploy time (push to
the first 200 through nginx) of the last apps against the first, nginx's route (its test and
reload, as the deploy prints it) for the last apps against the first, the control plane's RSS
(the API's gunicorn, master and workers), `GET /api/v1/apps` and the dashboard's apps page,
and the memory the apps' web containers take (their cgroups' memory.current)."""
from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import docker
import httpx

from bench.deploys import phases
from bench.timing import median
from tests.support import copy_app, start_platform, stop_platform

APPS = 100
EDGE = 3  # apps whose deploy times make "the first" and "the last"


def rss_tree(pid: int) -> int:
    """Bytes of resident memory of a process and all its descendants."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        todo += [int(c) for c in children]
    return total


def cgroup_memory(container_id: str) -> int:
    for path in (f"/sys/fs/cgroup/system.slice/docker-{container_id}.scope/memory.current",
                 f"/sys/fs/cgroup/docker/{container_id}/memory.current",
                 f"/sys/fs/cgroup/memory/docker/{container_id}/memory.usage_in_bytes"):  # v1
        try:
            return int(Path(path).read_text())
        except OSError:
            continue
    return 0


def api_get(platform, path: str) -> float:
    req = urllib.request.Request(f"http://127.0.0.1:{platform.api_port}{path}",
                                 headers={"Authorization": f"Bearer {platform.env['PAAS_TOKEN']}"})
    started = time.monotonic()
    with urllib.request.urlopen(req, timeout=30) as resp:
        resp.read()
    return time.monotonic() - started


def dashboard_page(platform, rounds: int = 20) -> float:
    """Median seconds of the dashboard's apps page (`/`), signed in with the admin token."""
    base = f"http://127.0.0.1:{platform.api_port}"
    with httpx.Client(base_url=base, timeout=30) as client:
        form = client.get("/sign-in").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        signed = client.post("/sign-in", data={"token": platform.env["PAAS_TOKEN"],
                                               "csrf_token": csrf})
        assert signed.status_code == 303, signed.text
        times = []
        for _ in range(rounds):
            started = time.monotonic()
            page = client.get("/")
            times.append(time.monotonic() - started)
            assert page.status_code == 200 and "s1" in page.text, page.status_code
    return median(times)


def bench_scale(workdir: Path, apps: int = APPS) -> dict:
    # A pool of its own: 100 app networks and their builds' must not race other platforms'.
    platform = start_platform(workdir, "bench-scale", drain_seconds=0,
                              settings={"PAAS_STANDBY_SECONDS": "0",
                                        "PAAS_NETWORK_POOL": "10.231.0.0/16"})
    try:
        repo = copy_app("procfile-only", workdir / "scale-app", platform.env)
        times, routes = [], []
        for n in range(1, apps + 1):
            name = f"s{n}"
            assert platform.paas("apps:create", name).returncode == 0
            assert platform.paas("git:remote", "-a", name, "-r", name, cwd=repo).returncode == 0
            started = time.monotonic()
            pushed = platform.git("push", name, "main", cwd=repo)
            assert pushed.returncode == 0, pushed.stderr
            platform.wait_for(name, "hello from a Procfile-only app", timeout=60)
            times.append(time.monotonic() - started)
            routes.append(phases(times[-1], pushed.stderr)[3])
            print(f"app {n}: {times[-1]:.2f} s", file=sys.stderr, flush=True)
        time.sleep(5)  # a few convergence passes over every app
        pid = int((platform.home / "gunicorn.pid").read_text())
        listing = [api_get(platform, "/api/v1/apps") for _ in range(20)]
        page = dashboard_page(platform)
        client = docker.from_env()
        webs = client.containers.list(filters={"label": [f"paas.instance={platform.instance}",
                                                         "paas.process=web"]})
        return {"apps": apps, "first": median(times[:EDGE]), "last": median(times[-EDGE:]),
                "rss": rss_tree(pid), "list_apps": median(listing), "dashboard": page,
                "route_first": median(routes[:EDGE]), "route_last": median(routes[-EDGE:]),
                "apps_memory": sum(cgroup_memory(c.id) for c in webs), "webs": len(webs)}
    finally:
        stop_platform(platform)


def lines(r: dict) -> list[str]:
    return [
        "## Scale on one box (issue 14)",
        "",
        f"{r['apps']} Procfile-only Python `http.server` apps deployed one after another on one "
        f"platform; deploy = `git push` to the first 200 through nginx, medians of the first and "
        f"last {EDGE}.",
        "",
        "| what | figure | goal |",
        "| --- | ---: | --- |",
        f"| deploy of the last apps / the first | {r['last']:.2f} s / {r['first']:.2f} s = "
        f"{r['last'] / r['first']:.2f}× | ≤ 1.2× |",
        f"| control plane RSS (gunicorn, all processes) with {r['apps']} apps | "
        f"{r['rss'] / 2**20:.0f} MB | ≤ 150 MB |",
        f"| nginx route (test + reload) of the last apps / the first | {r['route_last']:.2f} s / "
        f"{r['route_first']:.2f} s | |",
        f"| `GET /api/v1/apps` with {r['apps']} apps (median of 20) | {r['list_apps'] * 1000:.0f} ms | ≤ 200 ms |",
        f"| the dashboard's apps page with {r['apps']} apps (median of 20) | {r['dashboard'] * 1000:.0f} ms | |",
        f"| memory of the {r['webs']} web containers (cgroups) | {r['apps_memory'] / 2**20:.0f} MB | |",
        "",
    ]


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="paas-bench-", ignore_cleanup_errors=True) as tmp:
        result = bench_scale(Path(tmp), int(os.environ.get("APPS", APPS)))
        print(json.dumps(result))
        print("\n".join(lines(result)))
