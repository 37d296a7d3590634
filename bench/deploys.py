"""Deploy benchmarks: push (cold and warm) and rollback, each against a hand-run Docker baseline
measured in the same run on the same machine.

Baselines:
- push: an equivalent Dockerfile (stack image, venv, pip install -r requirements.txt, copy the
  code) built with `docker build` (--no-cache for cold; warm layer cache after a code-only
  change for warm), then `docker run` and the first 200 straight from the container's port.
- rollback: `docker run` of the very image the rollback brings back, and its first 200.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

from bench.timing import median, wait_for_body
from paas.services.deploy import TIMINGS
from tests.support import commit_all, copy_app, free_port, start_platform, stop_platform

DOCKERFILE = """\
FROM {stack}
WORKDIR /app
# The same TLS-intercepting proxy paas's builds go through (DESIGN.md): trust the host's CAs.
COPY paas-ca.crt /etc/ssl/certs/paas-ca.crt
ENV PIP_CERT=/etc/ssl/certs/paas-ca.crt
COPY requirements.txt /app/
RUN python3 -m venv /app/.venv && /app/.venv/bin/pip install --disable-pip-version-check -r requirements.txt
COPY . /app/
ENV PATH=/app/.venv/bin:$PATH
"""
LABEL = "paas.bench=1"
NETWORK = "paas-bench"


def bench_network() -> str:
    """A bridge network of the baselines' own, labelled: they do not depend on docker0 (which
    another daemon on the host can take away) and run on the same kind of network as paas."""
    found = subprocess.run(["docker", "network", "inspect", NETWORK], capture_output=True)
    if found.returncode != 0:
        subprocess.run(["docker", "network", "create", "--label", LABEL, NETWORK],
                       check=True, capture_output=True)
    return NETWORK
_TIMINGS_RE = re.compile(re.escape(TIMINGS).replace(re.escape("{:.2f}"), r"(\d+\.\d+)"))


def phases(command_seconds: float, output: str) -> tuple[float, float, float, float, float]:
    """One round: the command's own time (start to return), then container start, health
    checks and nginx route as the deploy printed them, and the rest of the command's time
    (CLI or git client, API, build, bookkeeping)."""
    found = _TIMINGS_RE.search(output)
    if found is None:
        raise AssertionError(f"no timings line in the deploy's output:\n{output}")
    start, healthy, routed = (float(x) for x in found.groups())
    return command_seconds, start, healthy, routed, command_seconds - start - healthy - routed


def breakdown(name: str, rounds: list[tuple[float, ...]]) -> tuple:
    """(name, command, start, checks, route, rest): each the median over the rounds."""
    return (name, *(median([r[i] for r in rounds]) for i in range(5)))


def platform_settings_ca() -> str:
    from paas.settings import Settings
    return Settings.from_env().ca_bundle


def _bump(repo: Path, old: str, new: str) -> None:
    app = repo / "app.py"
    app.write_text(app.read_text().replace(old, new))


def _baseline_deploy(src: Path, tag: str, marker: str, cold: bool) -> float:
    started = time.monotonic()
    argv = ["docker", "build", "-q", "--network", bench_network(), "--label", LABEL, "-t", tag, str(src)]
    subprocess.run(argv + (["--no-cache"] if cold else []), check=True, capture_output=True)
    port = free_port()
    subprocess.run(["docker", "run", "-d", "--rm", "--label", LABEL, "--name", f"bench-{port}",
                    "--network", bench_network(),
                    "-p", f"127.0.0.1:{port}:5000", "-e", "PORT=5000", tag,
                    "gunicorn", "app:app", "--bind", "0.0.0.0:5000", "--workers", "2"],
                   check=True, capture_output=True)
    wait_for_body(f"http://127.0.0.1:{port}/", marker)
    elapsed = time.monotonic() - started
    subprocess.run(["docker", "rm", "-f", f"bench-{port}"], capture_output=True)
    return elapsed


def _paas_push(platform, repo: Path, app: str, marker: str,
               parts: list | None = None) -> float:
    started = time.monotonic()
    pushed = platform.push(repo)
    if parts is not None:
        parts.append(phases(time.monotonic() - started, pushed.stderr))
    wait_for_body(platform.router_url, marker, host=f"{app}.localhost")
    return time.monotonic() - started


def bench_push(workdir: Path, stack: str, rounds: int) -> tuple[list[tuple[str, float, float]], tuple]:
    """Rows of (what, paas, baseline), and the warm deploy's breakdown."""
    platform = start_platform(workdir, "bench-push")
    rows: list[tuple[str, float, float]] = []
    try:
        cold_paas, warm_paas, cold_base, warm_base, warm_parts = [], [], [], [], []
        for n in range(rounds):
            app = f"bench{n}"
            platform.paas("apps:create", app)
            repo = copy_app("flask-hello", workdir / f"push-{n}", platform.env)
            platform.paas("git:remote", "-a", app, cwd=repo)
            cold_paas.append(_paas_push(platform, repo, app, "hello from v1"))
            _bump(repo, "v1", "v2")
            commit_all(repo, platform.env, "v2")
            warm_paas.append(_paas_push(platform, repo, app, "hello from v2", warm_parts))

            src = workdir / f"baseline-{n}"
            shutil.copytree(repo, src, ignore=shutil.ignore_patterns(".git"))
            _bump(src, "v2", "v1")
            (src / "Dockerfile").write_text(DOCKERFILE.format(stack=stack))
            shutil.copy(platform_settings_ca(), src / "paas-ca.crt")
            cold_base.append(_baseline_deploy(src, f"paas-bench/flask:{n}", "hello from v1", cold=True))
            _bump(src, "v1", "v2")
            warm_base.append(_baseline_deploy(src, f"paas-bench/flask:{n}", "hello from v2", cold=False))
        rows.append(("cold deploy (push → first 200)", median(cold_paas), median(cold_base)))
        rows.append(("warm deploy, code-only change", median(warm_paas), median(warm_base)))
    finally:
        stop_platform(platform)
    return rows, breakdown("warm deploy (git push)", warm_parts)


def bench_rollback(workdir: Path, rounds: int) -> tuple[list[tuple[str, float, float]], tuple]:
    """The row of (what, paas, baseline), and the rollback's breakdown."""
    # No drain: the release rolled back to is paused (its standby state) before each rollback.
    platform = start_platform(workdir, "bench-rollback", drain_seconds=0)
    try:
        app = "rollme"
        platform.paas("apps:create", app)
        repo = copy_app("flask-hello", workdir / "rollback", platform.env)
        platform.paas("git:remote", "-a", app, cwd=repo)
        platform.push(repo)
        image = _image_of(platform, app)
        _bump(repo, "v1", "v2")
        commit_all(repo, platform.env, "v2")
        platform.push(repo)
        ours, base, parts = [], [], []
        for n in range(rounds):
            want, target = ("hello from v1", "v1") if n % 2 == 0 else ("hello from v2", "v2")
            ours.append(_rollback_time(platform, app, target, want, parts))
            port = free_port()
            started = time.monotonic()
            subprocess.run(["docker", "run", "-d", "--rm", "--label", LABEL, "--name", f"bench-{port}",
                            "--network", bench_network(),
                            "-p", f"127.0.0.1:{port}:5000", "-e", "PORT=5000", "-w", "/app", image,
                            "bash", "-c", ". /app/.profile.d/python.sh && exec gunicorn app:app "
                            "--bind 0.0.0.0:5000 --workers 2"], check=True, capture_output=True)
            wait_for_body(f"http://127.0.0.1:{port}/", "hello from v1")
            base.append(time.monotonic() - started)
            subprocess.run(["docker", "rm", "-f", f"bench-{port}"], capture_output=True)
        return ([("rollback (command → first response of the old version)", median(ours), median(base))],
                breakdown("rollback (paas releases:rollback)", parts))
    finally:
        stop_platform(platform)


def _image_of(platform, app: str) -> str:
    import json
    out = platform.paas("releases", "-a", app, "--json").stdout
    return json.loads(out)[0]["image"]


def _rollback_time(platform, app: str, target: str, want: str, parts: list) -> float:
    seen: list[float] = []
    started = time.monotonic()

    def watch() -> None:
        wait_for_body(platform.router_url, want, host=f"{app}.localhost", interval=0.005)
        seen.append(time.monotonic() - started)

    watcher = threading.Thread(target=watch)
    watcher.start()
    result = platform.paas("releases:rollback", target, "-a", app)
    assert result.returncode == 0, result.stderr
    parts.append(phases(time.monotonic() - started, result.stderr))
    watcher.join()
    return seen[0]
