"""A neighbour during a crash loop (issue 13): app B serves under keep-alive load while app A's
workers crash-loop (each exits at once; Docker restarts it three times, then convergence
restarts it with a growing backoff). p99 of B and the time of a `config:set` of B, against B
alone in the same run: steady, crash loop, steady again (the baseline is the mean of the two
steady phases, so a machine that got busier or quieter meanwhile tilts neither way)."""
from __future__ import annotations

import json
import time
from pathlib import Path

from tests.load import Load, Result
from tests.support import commit_all, start_platform, stop_platform

CLIENTS = 20
SECONDS = 20
CRASHERS = 3  # worker containers of A that crash-loop at once
CRASH = ("worker: python3 -c 'import time; time.sleep(1); raise SystemExit(4)'\n")


def _timed(platform, *argv: str) -> float:
    started = time.monotonic()
    result = platform.paas(*argv)
    assert result.returncode == 0, result.stderr
    return time.monotonic() - started


def _phase(platform, seconds: float, config: str) -> tuple[Result, float]:
    """B under load for `seconds`, with one `config:set` of B in the middle."""
    with Load(platform.http_port, "steady.localhost", clients=CLIENTS) as load:
        time.sleep(seconds / 2)
        deploy = _timed(platform, "config:set", config, "-a", "steady")
        time.sleep(max(0.0, seconds / 2 - deploy))
    return load.result, deploy


def _crashes(platform) -> int:
    """Crashes of A's workers so far: every run of every worker container."""
    ps = json.loads(platform.paas("ps", "--json", "-a", "crashy").stdout)["processes"]
    return sum(p.get("restarts") or 0 for p in ps if p["process"] == "worker")


def bench_crash_loop(workdir: Path, seconds: float = SECONDS) -> dict:
    platform = start_platform(workdir, "bench-crashloop", drain_seconds=1)
    try:
        platform.deploy("steady", "flask-hello", workdir / "apps")
        repo = platform.deploy("crashy", "flask-hello", workdir / "apps")
        (repo / "Procfile").write_text((repo / "Procfile").read_text() + CRASH)
        commit_all(repo, platform.env, "a worker that exits at once")
        platform.push(repo)
        platform.wait_for("steady", "hello from v1", timeout=60)
        before, deploy_before = _phase(platform, seconds, "PHASE=1")
        _timed(platform, "ps:scale", f"worker={CRASHERS}", "-a", "crashy")
        during, deploy_during = _phase(platform, seconds, "PHASE=2")
        crashes = _crashes(platform)
        _timed(platform, "ps:scale", "worker=0", "-a", "crashy")
        after, deploy_after = _phase(platform, seconds, "PHASE=3")
        return {"before": before, "during": during, "after": after, "crashes": crashes,
                "deploy_before": deploy_before, "deploy_during": deploy_during,
                "deploy_after": deploy_after, "seconds": seconds}
    finally:
        stop_platform(platform)


def lines(r: dict) -> list[str]:
    base_p99 = (r["before"].percentile(99) + r["after"].percentile(99)) / 2
    base_deploy = (r["deploy_before"] + r["deploy_after"]) / 2
    rows = [("B alone, before", r["before"], r["deploy_before"]),
            (f"B while A crash-loops ({r['crashes']} crashes)", r["during"], r["deploy_during"]),
            ("B alone, after", r["after"], r["deploy_after"])]
    return [
        "## A neighbour during a crash loop (issue 13)",
        "",
        f"App B (flask-hello) under {CLIENTS} keep-alive clients for {r['seconds']:.0f} s per phase, "
        "with one `config:set` of B in the",
        f"middle of each; during the middle phase app A runs {CRASHERS} workers that exit 1 s after "
        "they start (Docker restarts each three times, then",
        "convergence restarts it after 1 s, 2 s, 4 s, ...). Baseline: the mean of the two phases",
        "with B alone, before and after, in the same run (`python -m bench.crashloop`).",
        "",
        "| phase | requests | failed | retried | p50 | p99 | B's config:set |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        *[f"| {name} | {x.ok + x.failed} | {x.failed} | {x.retried} | {x.p50 * 1000:.1f} ms | "
          f"{x.percentile(99) * 1000:.1f} ms | {d:.2f} s |" for name, x, d in rows],
        "",
        f"B's p99 during A's crash loop / alone: **{r['during'].percentile(99) / base_p99:.2f}×**; "
        f"B's config:set: **{r['deploy_during'] / base_deploy:.2f}×**.",
        "",
    ]


if __name__ == "__main__":
    import os
    import tempfile

    with tempfile.TemporaryDirectory(prefix="paas-bench-", ignore_cleanup_errors=True) as tmp:
        seconds = float(os.environ.get("SECONDS_PER_PHASE", SECONDS))
        print("\n".join(lines(bench_crash_loop(Path(tmp), seconds))))
