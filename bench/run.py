"""`make bench`: run the benchmarks and write their figures to BENCHMARKS.md.

Every figure is a ratio against a baseline measured in the same run on the same machine,
but the breakdown of a deploy's own time, which has none.
"""
from __future__ import annotations

import argparse
import os
import platform as host
import subprocess
import tempfile
import time
from pathlib import Path

from bench import (app_move, crashloop, datastores, deploys, direct, metrics, recovery, router,
                   scale, tls)
from bench import swarm
from paas.services.scheduler import SETTLE_SECONDS

ROOT = Path(__file__).resolve().parent.parent


def table(rows: list[tuple[str, float, float]]) -> list[str]:
    out = ["| what | paas | baseline | ratio |", "| --- | ---: | ---: | ---: |"]
    for name, ours, base in rows:
        out.append(f"| {name} | {ours:.2f} s | {base:.2f} s | {ours / base:.2f}× |")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--apps", type=int, default=scale.APPS, help="apps of the scale bench")
    args = parser.parse_args()
    stack = os.environ.get("PAAS_STACK_IMAGE", "paas/stack:trixie")
    with tempfile.TemporaryDirectory(prefix="paas-bench-", ignore_cleanup_errors=True) as tmp:
        work = Path(tmp)
        push, warm_parts = deploys.bench_push(work, stack, args.rounds)
        rollback, rollback_parts = deploys.bench_rollback(work, args.rounds * 2)
        latency = router.bench_deploy_latency(work)
        overhead = router.bench_router_overhead(work)
        limit = direct.bench_router_limit(work)
        many = scale.bench_scale(work, args.apps)
        https = tls.bench_https(work)
        recovered = recovery.bench_recovery(work, args.rounds, stack)
        neighbour = crashloop.bench_crash_loop(work)
        backups = datastores.bench_backups(work)
        moved = app_move.bench_move(work)
        on_swarm = swarm.bench_swarm(work, args.rounds)
    reload_500, reload_1 = router.bench_reload()
    access_log, collector = metrics.bench_access_log(), metrics.bench_collector()
    subprocess.run(["docker", "image", "prune", "-f", "--filter", f"label={deploys.LABEL}"],
                   capture_output=True)
    subprocess.run(["bash", "-c", f"docker images -q --filter label={deploys.LABEL} | xargs -r docker rmi -f"],
                   capture_output=True)
    subprocess.run(["docker", "network", "rm", deploys.NETWORK], capture_output=True)
    lines = [
        "# Benchmarks",
        "",
        f"Produced by `make bench` (`python -m bench.run --rounds {args.rounds}`) on "
        f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, {host.system()} {host.release()}.",
        "Medians; each paas figure is set against a baseline measured in the same run.",
        "",
        "## Deploys (issues 2 and 5)",
        "",
        "Baseline: an equivalent Dockerfile built with `docker build` (`--no-cache` for cold, the",
        "layer cache warm for a code-only change), `docker run`, first 200 from the container's port.",
        "paas: `git push` to the first 200 with the new body through nginx.",
        "",
        *table(push),
        "",
        "## Rollback (issue 4)",
        "",
        "Baseline: `docker run` of the image the rollback brings back, to its first 200.",
        "paas: `paas releases:rollback vN` to the first response of that version through nginx.",
        "",
        *table(rollback),
        "",
        "## Where a deploy's time goes (issues 4 and 5)",
        "",
        "The command's own time, from its start to its return (a little longer than the time to",
        "the first new response above), split by the line each deploy prints (`started in …,",
        "healthy … later, routed in …`); medians over the rounds, the rest taken round by round.",
        f"Health checks end when the new containers answer; the settle (every new container must",
        f"still run {SETTLE_SECONDS} s after its start) overlaps nginx's route, with the old",
        "containers as backups until it ends. nginx's route is its test and reload, until no",
        "old worker takes new connections (nginx waits 100 ms before it tells them to stop; new",
        "workers answer before that). The rest: the CLI or git client and its credential helper,",
        "the API, the build, the bookkeeping.",
        "",
        "| what | command | container start | health checks | nginx route | the rest |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        *[f"| {name} | " + " | ".join(f"{x:.2f} s" for x in figures) + " |"
          for name, *figures in (warm_parts, rollback_parts)],
        "",
        "## Under load (issue 3)",
        "",
        f"{router.CLIENTS} keep-alive clients on 127.0.0.1 through nginx. Steady: "
        f"{latency['steady_seconds']} s of load and nothing else. During deploys: the same load "
        "across 2 pushes, `config:set`, `ps:restart`, `ps:scale web=3`, `ps:scale web=1`.",
        "A request whose idle keep-alive connection an old nginx worker closed is retried once",
        "on a new connection (as browsers and urllib3 do); every other error counts.",
        "",
        "| phase | requests | failed | retried | p50 | p99 |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        *[f"| {name} | {r.ok + r.failed} | {r.failed} | {r.retried} | {r.p50 * 1000:.1f} ms | "
          f"{r.percentile(99) * 1000:.1f} ms |" for name, r in (("steady", latency["steady"]),
                                                                ("during deploys", latency["during"]))],
        "",
        f"p99 during deploys / steady p99: **{latency['during'].percentile(99) / latency['steady'].percentile(99):.2f}×** (goal ≤ 2×).",
        "",
        "| what | paas | baseline | ratio |",
        "| --- | ---: | ---: | ---: |",
        f"| requests/s (wrk, {router.CLIENTS} connections) through nginx vs straight to the container | {overhead[0]:.0f} | "
        f"{overhead[1]:.0f} | {overhead[0] / overhead[1]:.2f} (goal ≥ 0.9) |",
        f"| nginx -t + reload with 500 app files vs 1 app file | {reload_500:.3f} s | "
        f"{reload_1:.3f} s | {reload_500 / reload_1:.2f}× (goal ≤ 1 s) |",
        "",
        *direct.lines(limit),
        *scale.lines(many),
        *tls.lines(https),
        *recovery.lines(recovered),
        *crashloop.lines(neighbour),
        *datastores.lines(backups),
        *app_move.lines(moved),
        *swarm.lines(on_swarm),
        "",
        *metrics.lines(access_log, collector),
    ]
    (ROOT / "BENCHMARKS.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
