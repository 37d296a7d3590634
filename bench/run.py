"""`make bench`: run the benchmarks and write their figures to BENCHMARKS.md.

Every figure is a ratio against a baseline measured in the same run on the same machine,
but the breakdown of a deploy's own time, which has none.
"""
from __future__ import annotations

import argparse
import os
import platform as host
import tempfile
import time
from pathlib import Path

from bench import datastores, deploys, direct, metrics, recovery, router, scale, tls
from paas.services.scheduler import SETTLE_SECONDS

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--apps", type=int, default=scale.APPS, help="apps of the scale bench")
    args = parser.parse_args()
    stack = os.environ.get("PAAS_STACK_IMAGE", "paas/stack:trixie")
    with tempfile.TemporaryDirectory(prefix="paas-bench-", ignore_cleanup_errors=True) as tmp:
        work = Path(tmp)
        push, push_parts = deploys.bench_push(work, stack, args.rounds)
        rollback, rollback_parts = deploys.bench_rollback(work, args.rounds * 2)
        latency = router.bench_deploy_latency(work)
        overhead = router.bench_router_overhead(work)
        limit = direct.bench_router_limit(work)
        many = scale.bench_scale(work, args.apps)
        https = tls.bench_https(work)
        recovered = recovery.bench_recovery(work, args.rounds, stack)
        backups = datastores.bench_backups(work)
    reload_500, reload_1 = router.bench_reload()
    access_log, collector = metrics.bench_access_log(), metrics.bench_collector()
    deploys.cleanup()
    lines = [
        "# Benchmarks",
        "",
        f"Produced by `make bench` (`python -m bench.run --rounds {args.rounds}`) on "
        f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, {host.system()} {host.release()}.",
        "Medians; each paas figure is set against a baseline measured in the same run.",
        "",
        *deploys.lines(push, push_parts, rollback, rollback_parts, SETTLE_SECONDS),
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
        *datastores.lines(backups),
        "",
        *metrics.lines(access_log, collector),
    ]
    (ROOT / "BENCHMARKS.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
