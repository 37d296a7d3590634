"""Deploy benchmarks: push (cold and warm) and rollback, each against a hand-run Docker baseline
measured in the same run on the same machine.

Baselines:
- push: an equivalent Dockerfile (stack image, venv, pip install -r requirements.txt, copy the
  code) built with `docker build` (--no-cache for cold; its layer cache after the same change
  for a code-only change and for one added dependency), then `docker run` and the first 200
  straight from the container's port.
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


def cleanup() -> None:
    """The baselines' images and network (labelled LABEL)."""
    subprocess.run(["bash", "-c", f"docker images -q --filter label={LABEL} | xargs -r docker rmi -f"],
                   capture_output=True)
    subprocess.run(["docker", "image", "prune", "-f", "--filter", f"label={LABEL}"],
                   capture_output=True)
    subprocess.run(["docker", "network", "rm", NETWORK], capture_output=True)


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


def timed_push(platform, repo: Path) -> tuple[float, float, float, str]:
    """`git push paas main` with each output line timestamped as it arrives: (seconds to the
    command's return, to its first `remote:` line, to `Build succeeded`, the output)."""
    started = time.monotonic()
    proc = subprocess.Popen(["git", "push", "paas", "main"], cwd=repo, env=platform.env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    first = built = None
    out = []
    assert proc.stderr is not None
    for raw in iter(proc.stderr.readline, b""):
        line = raw.decode(errors="replace")
        out.append(line)
        now = time.monotonic() - started
        if first is None and line.startswith("remote:"):
            first = now
        if built is None and "-----> Build succeeded" in line:
            built = now
    code = proc.wait()
    total = time.monotonic() - started
    output = "".join(out)
    if code != 0 or first is None or built is None:
        raise AssertionError(f"git push failed (status {code}):\n{output}")
    return total, first, built, output


def push_phases(total: float, first: float, built: float, output: str) -> tuple[float, ...]:
    """One push: the command, git and the API up to the first `remote:` line, the build, then
    container start, health checks and nginx route as the deploy printed them, and the rest."""
    command, start, healthy, routed, _ = phases(total, output)
    return (command, first, built - first, start, healthy, routed,
            command - built - start - healthy - routed)


def _paas_push(platform, repo: Path, app: str, marker: str, parts: list) -> float:
    """Seconds from `git push` to the first 200 with the new body through nginx, watched while
    the push runs (as the baseline's first 200 is): the push's own end comes a little later,
    after the settle and the release bookkeeping; the breakdown shows that time."""
    seen: list[float] = []
    started = time.monotonic()

    def watch() -> None:
        wait_for_body(platform.router_url, marker, host=f"{app}.localhost", interval=0.005)
        seen.append(time.monotonic() - started)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        parts.append(push_phases(*timed_push(platform, repo)))
    finally:
        watcher.join()
    return seen[0]


def _add_dependency(repo: Path) -> None:
    """The one-dependency change: a small pure-Python package not already installed."""
    reqs = repo / "requirements.txt"
    reqs.write_text(reqs.read_text() + ONE_MORE + "\n")


ONE_MORE = "six==1.17.0"
PUSH_ROWS = ("cold deploy (push → first 200)", "warm deploy, code-only change",
             "one dependency added (push → first 200)")


def bench_push(workdir: Path, stack: str, rounds: int) -> tuple[list[tuple[str, float, float]], list]:
    """Rows of (what, paas, baseline) for a cold deploy, a code-only change and one added
    dependency, and each one's breakdown. Baselines: the same Dockerfile app built with
    `docker build --no-cache`, then with its layer cache after the same change."""
    platform = start_platform(workdir, "bench-push")
    figures: dict[str, tuple[list[float], list[float], list]] = {
        name: ([], [], []) for name in PUSH_ROWS}
    cold, warm, dep = (figures[name] for name in PUSH_ROWS)
    try:
        for n in range(rounds):
            app = f"bench{n}"
            platform.paas("apps:create", app)
            repo = copy_app("flask-hello", workdir / f"push-{n}", platform.env)
            platform.paas("git:remote", "-a", app, cwd=repo)
            src = workdir / f"baseline-{n}"
            shutil.copytree(repo, src, ignore=shutil.ignore_patterns(".git"))
            (src / "Dockerfile").write_text(DOCKERFILE.format(stack=stack))
            shutil.copy(platform_settings_ca(), src / "paas-ca.crt")
            tag = f"paas-bench/flask:{n}"

            # Alternate who goes first: the proxy's and PyPI's caches warm up for the second.
            for who in (("paas", "docker") if n % 2 == 0 else ("docker", "paas")):
                if who == "paas":
                    cold[0].append(_paas_push(platform, repo, app, "hello from v1", cold[2]))
                    _bump(repo, "v1", "v2")
                    commit_all(repo, platform.env, "v2")
                    warm[0].append(_paas_push(platform, repo, app, "hello from v2", warm[2]))
                    _add_dependency(repo)
                    _bump(repo, "v2", "v3")
                    commit_all(repo, platform.env, "one more dependency")
                    dep[0].append(_paas_push(platform, repo, app, "hello from v3", dep[2]))
                else:
                    cold[1].append(_baseline_deploy(src, tag, "hello from v1", cold=True))
                    _bump(src, "v1", "v2")
                    warm[1].append(_baseline_deploy(src, tag, "hello from v2", cold=False))
                    _add_dependency(src)
                    _bump(src, "v2", "v3")
                    dep[1].append(_baseline_deploy(src, tag, "hello from v3", cold=False))
            platform.paas("apps:destroy", "--confirm", app, "-a", app)
    finally:
        stop_platform(platform)
    rows = [(name, median(figures[name][0]), median(figures[name][1])) for name in PUSH_ROWS]
    return rows, [push_breakdown(name, figures[name][2]) for name in PUSH_ROWS]


def push_breakdown(name: str, rounds: list[tuple[float, ...]]) -> tuple:
    return (name, *(median([r[i] for r in rounds]) for i in range(7)))


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


GOALS = {PUSH_ROWS[0]: "≤ 0.8×", PUSH_ROWS[1]: "≤ 1.2×", PUSH_ROWS[2]: "≤ 1.5×",
         "rollback (command → first response of the old version)": "< 1.0×"}


def table(rows: list[tuple[str, float, float]]) -> list[str]:
    out = ["| what | paas | baseline | ratio | goal |", "| --- | ---: | ---: | ---: | --- |"]
    for name, ours, base in rows:
        out.append(f"| {name} | {ours:.2f} s | {base:.2f} s | {ours / base:.2f}× | {GOALS.get(name, '')} |")
    return out


def lines(push: list, push_parts: list, rollback: list, rollback_parts: tuple,
          settle: float) -> list[str]:
    """The deploy sections of BENCHMARKS.md."""
    seconds = lambda figures: " | ".join(f"{x:.2f} s" for x in figures)  # noqa: E731
    return [
        "## Deploys (issues 2, 5 and 14)",
        "",
        "Baseline: an equivalent Dockerfile (venv, `pip install -r requirements.txt`, the code)",
        "built with `docker build` (`--no-cache` for cold; its layer cache after the same change",
        f"for a code-only change and for one added dependency, `{ONE_MORE}`), `docker run`, first",
        "200 from the container's port. paas: `git push` to the first 200 with the new body",
        "through nginx, watched while the push runs (the push returns a little later: the",
        "breakdown below). paas and the baseline alternate which goes first in each round.",
        "",
        *table(push),
        "",
        "## Rollback (issues 4 and 14)",
        "",
        "Baseline: `docker run` of the image the rollback brings back, to its first 200.",
        "paas: `paas releases:rollback vN` to the first response of that version through nginx",
        "(its containers resume from hot standby).",
        "",
        *table(rollback),
        "",
        "## Where a deploy's time goes (issues 4, 5 and 14)",
        "",
        "The command's own time, from its start to its return (a little longer than the time to",
        "the first new response above). A push is split by when its output lines arrive: git and",
        "the API up to the first `remote:` line, the build up to `Build succeeded`; then the line",
        "each deploy prints (`started in …, healthy … later, routed in …`); medians over the",
        "rounds, the rest taken round by round. Health checks end when the new containers",
        f"answer; the settle (every new container must still run {settle} s after its start)",
        "overlaps nginx's route, with the old containers as backups until it ends. nginx's route",
        "is its test and reload, until no old worker takes new connections. The rest: the",
        "release bookkeeping, the git client's end.",
        "",
        "| what | command | git + API | build | container start | health checks | nginx route | the rest |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        *[f"| {name} (git push) | {seconds(figures)} |" for name, *figures in push_parts],
        "",
        "| what | command | resume or start | health checks | nginx route | the rest |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        f"| {rollback_parts[0]} | {seconds(rollback_parts[1:])} |",
        "",
    ]


if __name__ == "__main__":
    import argparse
    import os
    import tempfile

    from paas.services.scheduler import SETTLE_SECONDS

    parser = argparse.ArgumentParser(description="push and rollback benchmarks alone")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="paas-bench-", ignore_cleanup_errors=True) as tmp:
        push, push_parts = bench_push(Path(tmp), os.environ.get("PAAS_STACK_IMAGE",
                                                                "paas/stack:trixie"), args.rounds)
        rollback, rollback_parts = bench_rollback(Path(tmp), args.rounds * 2)
        cleanup()
    print("\n".join(lines(push, push_parts, rollback, rollback_parts, SETTLE_SECONDS)))
