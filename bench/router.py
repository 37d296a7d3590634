"""Router benchmarks (issue 3): latency under deploys vs steady state, nginx overhead, and the
time of an nginx reload with 500 app files."""
from __future__ import annotations

import re
import subprocess
import tempfile
import time
from pathlib import Path

from bench.direct import web_address
from bench.timing import median
from paas.adapters.nginx_proxy import NginxProxy
from paas.render.nginx import render_app
from tests.load import Load
from tests.support import commit_all, copy_app, free_port, start_platform, stop_platform

STEADY_SECONDS = 15
CLIENTS = 20


def _deployed(workdir: Path, name: str):
    platform = start_platform(workdir, name, drain_seconds=2)
    app = "loadme"
    platform.paas("apps:create", app)
    repo = copy_app("flask-hello", workdir / name / "app", platform.env)
    platform.paas("git:remote", "-a", app, cwd=repo)
    platform.push(repo)
    platform.wait_for(app, "hello from v1")
    return platform, app, repo


def bench_deploy_latency(workdir: Path) -> dict:
    """Steady load for STEADY_SECONDS, then the same load across a deploy sequence."""
    platform, app, repo = _deployed(workdir, "bench-latency")
    try:
        with Load(platform.http_port, f"{app}.localhost", clients=CLIENTS) as load:
            time.sleep(STEADY_SECONDS)
        steady = load.result
        with Load(platform.http_port, f"{app}.localhost", clients=CLIENTS) as load:
            for n in (2, 3):
                (repo / "app.py").write_text((repo / "app.py").read_text().replace(f"v{n - 1}", f"v{n}"))
                commit_all(repo, platform.env, f"v{n}")
                platform.push(repo)
            for argv in (["config:set", "A=1"], ["ps:restart"], ["ps:scale", "web=3"], ["ps:scale", "web=1"]):
                assert platform.paas(*argv, "-a", app).returncode == 0
        during = load.result
        return {"steady": steady, "steady_seconds": STEADY_SECONDS, "during": during,
                "during_seconds": load.seconds}
    finally:
        stop_platform(platform)


def _wrk(port: int | str, host: str, seconds: float, scheme: str = "http") -> float:
    """`port` on 127.0.0.1, or a host:port."""
    target = port if isinstance(port, str) else f"127.0.0.1:{port}"
    out = subprocess.run(["wrk", "-t2", f"-c{CLIENTS}", f"-d{seconds:.0f}s", "-H", f"Host: {host}",
                          f"{scheme}://{target}/"], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise AssertionError(f"errors during the overhead benchmark:\n{out}")
    return float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))


def deploy_threaded(platform, app: str, repo_dir: Path) -> None:
    """flask-hello under gunicorn with threads, so that nginx, not two sync workers, is what a
    throughput benchmark measures."""
    platform.paas("apps:create", app)
    repo = copy_app("flask-hello", repo_dir, platform.env)
    (repo / "Procfile").write_text("web: gunicorn app:app --bind 0.0.0.0:$PORT --workers 2 "
                                   "--worker-class gthread --threads 8\n")
    commit_all(repo, platform.env, "threads")
    platform.paas("git:remote", "-a", app, cwd=repo)
    platform.push(repo)


def bench_router_overhead(workdir: Path, seconds: float = 6, rounds: int = 3) -> tuple[float, float]:
    """Requests/s (wrk, keep-alive) through nginx vs straight to the container's address on
    its app network (nothing is published on the host), alternating, medians. The app runs gunicorn with threads so that it, not its two
    sync workers, is what the router is measured against."""
    platform = start_platform(workdir, "bench-overhead", drain_seconds=0)
    try:
        app = "loadme"
        deploy_threaded(platform, app, workdir / "overhead-app")
        direct = web_address(platform.instance, app)
        host = f"{app}.localhost"
        nginx, straight = [], []
        for _ in range(rounds):
            straight.append(_wrk(direct, host, seconds))
            nginx.append(_wrk(platform.http_port, host, seconds))
        return median(nginx), median(straight)
    finally:
        stop_platform(platform)


def bench_reload(apps: int = 500, rounds: int = 5) -> tuple[float, float]:
    """Seconds for one apply_app (write, nginx -t, reload, new workers up) with `apps` app
    files, against the same with a single app file."""
    times = {}
    for count in (1, apps):
        with tempfile.TemporaryDirectory(prefix="paas-bench-nginx-") as tmp:
            proxy = NginxProxy(Path(tmp), free_port(), listen="127.0.0.1")
            proxy.ensure_running()
            try:
                for n in range(count):
                    name = f"app{n}"
                    (proxy.prefix / "apps" / f"{name}.conf").write_text(render_app(
                        app=name, server_names=[f"{name}.localhost"], http_port=proxy.http_port,
                        listen="127.0.0.1", upstreams=[f"127.0.0.1:{20000 + n}"]))
                samples = []
                for r in range(rounds):
                    text = render_app(app="app0", server_names=["app0.localhost"],
                                      http_port=proxy.http_port, listen="127.0.0.1",
                                      upstreams=[f"127.0.0.1:{30000 + r}"])
                    started = time.monotonic()
                    proxy.apply_app("app0", text)
                    samples.append(time.monotonic() - started)
                times[count] = median(samples)
            finally:
                proxy.stop()
    return times[apps], times[1]
