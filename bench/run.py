"""`make bench`: run the benchmarks and write their figures to BENCHMARKS.md.

Every figure is a ratio against a baseline measured in the same run on the same machine,
but the breakdown of a deploy's own time, which has none.
"""
from __future__ import annotations

import argparse
import os
import platform as host
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Callable

from bench import (app_move, crashloop, datastores, deploys, direct, metrics, recovery, router,
                   scale, swarm, tls)
from paas.services.scheduler import SETTLE_SECONDS

ROOT = Path(__file__).resolve().parent.parent


def router_lines(latency: dict, overhead: tuple[float, float],
                 reload: tuple[float, float]) -> list[str]:
    reload_500, reload_1 = reload
    return [
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
    ]


def parts(work: Path, stack: str, rounds: int, apps: int) -> list[tuple[str, Callable[[], list[str]]]]:
    """(name, what measures it and returns its lines), in the order of BENCHMARKS.md."""
    def push_and_rollback() -> list[str]:
        push, push_parts = deploys.bench_push(work, stack, rounds)
        rollback, rollback_parts = deploys.bench_rollback(work, rounds * 2)
        return deploys.lines(push, push_parts, rollback, rollback_parts, SETTLE_SECONDS)

    return [
        ("deploys", push_and_rollback),
        ("router", lambda: router_lines(router.bench_deploy_latency(work),
                                        router.bench_router_overhead(work), router.bench_reload())),
        ("direct", lambda: direct.lines(direct.bench_router_limit(work))),
        ("scale", lambda: scale.lines(scale.bench_scale(work, apps))),
        ("tls", lambda: tls.lines(tls.bench_https(work))),
        ("recovery", lambda: recovery.lines(recovery.bench_recovery(work, rounds, stack))),
        ("crashloop", lambda: crashloop.lines(crashloop.bench_crash_loop(work))),
        ("datastores", lambda: datastores.lines(datastores.bench_backups(work))),
        ("app_move", lambda: app_move.lines(app_move.bench_move(work))),
        ("swarm", lambda: swarm.lines(swarm.bench_swarm(work, rounds))),
        ("metrics", lambda: ["", *metrics.lines(metrics.bench_access_log(), metrics.bench_collector(),
                                                metrics.bench_rates())]),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--apps", type=int, default=scale.APPS, help="apps of the scale bench")
    parser.add_argument("--only", action="append", help="run only this part (repeatable)")
    args = parser.parse_args()
    stack = os.environ.get("PAAS_STACK_IMAGE", "paas/stack:trixie")
    command = f"python -m bench.run --rounds {args.rounds}" + "".join(
        f" --only {name}" for name in args.only or [])
    lines = [
        "# Benchmarks",
        "",
        f"Produced by `make bench` (`{command}`) on "
        f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, {host.system()} {host.release()}.",
        "Medians; each paas figure is set against a baseline measured in the same run.",
        "",
    ]
    failed = []
    with tempfile.TemporaryDirectory(prefix="paas-bench-", ignore_cleanup_errors=True) as tmp:
        for name, measure in parts(Path(tmp), stack, args.rounds, args.apps):
            if args.only and name not in args.only:
                continue
            print(f"bench: {name}", file=sys.stderr, flush=True)
            try:
                lines += measure()
            except Exception as exc:  # one broken part must not lose the others' figures
                traceback.print_exc()
                failed.append(name)
                lines += [f"## {name}: failed", "", f"`{type(exc).__name__}: {exc}`"[:500], ""]
            finally:
                deploys.cleanup()
            # Written after every part: a run cut short keeps what it measured. A run of some
            # parts (--only) prints them and leaves BENCHMARKS.md alone.
            if not args.only:
                (ROOT / "BENCHMARKS.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    if failed:
        sys.exit(f"bench: {', '.join(failed)} failed (see above); the other parts are written")


if __name__ == "__main__":
    main()
