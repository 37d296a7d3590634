"""Metrics benchmarks (issue 15): what the per-app JSON access log costs the router, and the
collector's CPU with 100 apps serving. `python -m bench.metrics` prints the BENCHMARKS.md lines.

The router is measured against another nginx as the upstream (a server block answering 200),
so that the router's own work, not an app, is what the log is set against; besides wrk's
requests/s (noisy on a shared machine) the router workers' CPU time per request is measured. Rounds
alternate the three variants; medians.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from bench.timing import median
from paas.adapters.access_logs import AccessLogs
from paas.adapters.metrics_store import MetricsStore
from paas.adapters.nginx_proxy import NginxProxy
from paas.domain.metrics import access_log_name
from paas.domain.stats import cpu_percent, memory
from paas.render.nginx import render_app
from paas.services.metrics import INTERVAL, Metrics
from paas.settings import Settings
from tests.support import free_port

CLIENTS = 20
APPS = 100
REQS_PER_APP_PER_SECOND = 10
UPSTREAM = """server {{
    listen 127.0.0.1:{port};
    access_log off;
    location / {{ return 200 "ok\\n"; }}
}}
"""


def _cpu_ticks(master: int) -> int:
    """utime + stime of nginx's workers (children of `master`), in clock ticks."""
    total = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                total += int(fields[11]) + int(fields[12])
    return total


def _wrk(port: int, host: str, seconds: float) -> tuple[float, int]:
    """Requests/s and the number of requests."""
    out = subprocess.run(["wrk", "-t2", f"-c{CLIENTS}", f"-d{seconds:.0f}s", "-H", f"Host: {host}",
                          f"http://127.0.0.1:{port}/"], capture_output=True, text=True,
                         check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise AssertionError(f"errors during the access-log benchmark:\n{out}")
    return (float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1)),
            int(re.search(r"([0-9]+) requests in", out).group(1)))


def bench_access_log(seconds: float = 5, rounds: int = 5) -> dict[str, float]:
    """Requests/s through nginx: with the JSON access log, with the combined log it replaces
    (nginx.conf's, buffered), and with no log at all."""
    with tempfile.TemporaryDirectory(prefix="paas-bench-metrics-") as tmp:
        proxy = NginxProxy(Path(tmp) / "router", free_port(), listen="127.0.0.1")
        # The upstream is another nginx, so the router's CPU figures are the router's alone.
        backend = NginxProxy(Path(tmp) / "upstream", free_port(), listen="127.0.0.1")
        proxy.ensure_running()
        backend.ensure_running()
        try:
            upstream = free_port()
            backend.apply_platform("upstream", UPSTREAM.format(port=upstream))
            log = proxy.prefix / "logs" / access_log_name("bench")
            json_log = render_app(app="bench", server_names=["bench.localhost"],
                                  http_port=proxy.http_port, listen="127.0.0.1",
                                  upstreams=[f"127.0.0.1:{upstream}"], access_log=str(log))
            combined = render_app(app="bench", server_names=["bench.localhost"],
                                  http_port=proxy.http_port, listen="127.0.0.1",
                                  upstreams=[f"127.0.0.1:{upstream}"])
            off = re.sub(r"access_log [^;]*;", "access_log off;", json_log)
            figures: dict[str, list[float]] = {"json": [], "combined": [], "off": []}
            cpu: dict[str, list[float]] = {"json": [], "combined": [], "off": []}
            for _ in range(rounds):
                for name, text in (("json", json_log), ("combined", combined), ("off", off)):
                    proxy.apply_app("bench", text)
                    master = proxy.pid()
                    before = _cpu_ticks(master)
                    rate, count = _wrk(proxy.http_port, "bench.localhost", seconds)
                    figures[name].append(rate)
                    cpu[name].append((_cpu_ticks(master) - before) / os.sysconf("SC_CLK_TCK")
                                     / count * 1e6)  # µs of nginx CPU per request
            out = {name: median(values) for name, values in figures.items()}
            out.update({f"cpu_{name}": median(values) for name, values in cpu.items()})
            # Paired within each round, so that the shared machine's drift cancels out.
            out["json/off"] = median([j / o for j, o in zip(figures["json"], figures["off"])])
            out["json/combined"] = median([j / c for j, c in
                                           zip(figures["json"], figures["combined"])])
            return out
        finally:
            proxy.stop()
            backend.stop()


class _Apps:
    def __init__(self, names):
        self.names = names

    def list_apps(self):
        return [type("App", (), {"name": n})() for n in self.names]

    def list_releases(self, app):
        return []


def _line(at: float, i: int) -> bytes:
    return json.dumps({"t": f"{at:.3f}", "s": "500" if i % 50 == 0 else "200",
                       "rt": f"{(i % 40) / 1000:.3f}", "ut": f"{(i % 40) / 1000:.3f}",
                       "b": "612"}, separators=(",", ":")).encode()


def bench_collector(cycles: int = 6) -> dict[str, float]:
    """CPU seconds of one collector pass over APPS apps that each got INTERVAL seconds of
    REQS_PER_APP_PER_SECOND requests, as a share of one core at the 10 s interval; and the
    stats side: decoding one stats document per container per second for APPS containers."""
    names = [f"app{n}" for n in range(APPS)]
    with tempfile.TemporaryDirectory(prefix="paas-bench-collector-") as tmp:
        home = Path(tmp)
        logs = AccessLogs(home / "logs", lambda: None)
        (home / "logs").mkdir()
        metrics = Metrics(Settings(home=home), _Apps(names), MetricsStore(home / "paas.db"), logs)
        metrics.collect_once()
        per_cycle = int(INTERVAL * REQS_PER_APP_PER_SECOND)
        cpu = []
        for c in range(cycles):
            now = time.time()
            for name in names:
                with open(logs.path(name), "ab") as fh:
                    fh.write(b"".join(_line(now - i / 10, i) + b"\n" for i in range(per_cycle)))
            started = time.process_time()
            metrics.collect_once()
            cpu.append(time.process_time() - started)
    doc = json.dumps(_stats_doc()).encode()
    started = time.process_time()
    for _ in range(APPS * 10):  # ten seconds of documents from APPS streams
        parsed = json.loads(doc)
        cpu_percent(parsed), memory(parsed)
    stats_cpu = time.process_time() - started
    return {"pass_seconds": median(cpu), "log_share": median(cpu) / INTERVAL,
            "stats_share": stats_cpu / INTERVAL, "lines": per_cycle * APPS,
            "threads": threading.active_count()}


def _stats_doc() -> dict:
    """A stats document as dockerd sends it (cgroup v2), with its usual fields."""
    usage = {"total_usage": 123456789, "usage_in_kernelmode": 1234567,
             "usage_in_usermode": 12345678}
    return {
        "read": "2026-12-03T07:00:00.000000000Z", "preread": "2026-12-03T06:59:59.000000000Z",
        "pids_stats": {"current": 5, "limit": 256},
        "blkio_stats": {"io_service_bytes_recursive": [{"major": 8, "minor": 0, "op": "read",
                                                        "value": 4096}]},
        "num_procs": 0, "storage_stats": {},
        "cpu_stats": {"cpu_usage": usage, "system_cpu_usage": 98765432100000, "online_cpus": 2,
                      "throttling_data": {"periods": 0, "throttled_periods": 0,
                                          "throttled_time": 0}},
        "precpu_stats": {"cpu_usage": {**usage, "total_usage": 123000000},
                         "system_cpu_usage": 98765430100000, "online_cpus": 2,
                         "throttling_data": {"periods": 0, "throttled_periods": 0,
                                             "throttled_time": 0}},
        "memory_stats": {"usage": 52428800, "limit": 536870912, "stats": {
            k: 1048576 for k in ("active_anon", "active_file", "anon", "file", "inactive_anon",
                                 "inactive_file", "kernel_stack", "shmem", "slab", "sock")}},
        "name": "/paas-x-app-web.1-v1-abc", "id": "0" * 64,
        "networks": {"eth0": {"rx_bytes": 1000, "rx_packets": 10, "rx_errors": 0,
                              "rx_dropped": 0, "tx_bytes": 1000, "tx_packets": 10,
                              "tx_errors": 0, "tx_dropped": 0}},
    }


def lines(log: dict[str, float], collector: dict[str, float]) -> list[str]:
    return [
        "## Metrics (issue 15)",
        "",
        f"Requests/s (wrk, {CLIENTS} keep-alive connections) through nginx to an upstream that is",
        "another nginx (a server block answering 200), so the router's own work is what the log is",
        "set against; the router's CPU is its workers' utime + stime over the run; the three variants alternate, medians (ratios: the median of each round's"
        " ratio). Collector: one pass over "
        f"{APPS} apps that each served {REQS_PER_APP_PER_SECOND} requests/s for the "
        f"{INTERVAL:.0f} s interval ({collector['lines']:.0f} lines), CPU time of the pass over "
        "the interval; the stats side decodes one Docker stats document per container per "
        f"second for {APPS} containers.",
        "",
        "| what | paas | baseline | ratio |",
        "| --- | ---: | ---: | ---: |",
        f"| requests/s with the JSON access log vs no access log | {log['json']:.0f} | "
        f"{log['off']:.0f} | {log['json/off']:.2f} (goal ≥ 0.95) |",
        f"| nginx CPU per request, no access log vs the JSON access log (req/s when nginx is "
        f"CPU-bound) | {log['cpu_off']:.1f} µs | {log['cpu_json']:.1f} µs | "
        f"{log['cpu_off'] / log['cpu_json']:.2f} (goal ≥ 0.95) |",
        f"| requests/s with the JSON access log vs the combined log it replaces | "
        f"{log['json']:.0f} | {log['combined']:.0f} | {log['json/combined']:.2f} |",
        f"| nginx CPU per request, the combined log vs the JSON access log | "
        f"{log['cpu_combined']:.1f} µs | {log['cpu_json']:.1f} µs | "
        f"{log['cpu_combined'] / log['cpu_json']:.2f} |",
        f"| collector CPU, access logs of {APPS} apps, per 10 s | "
        f"{collector['pass_seconds'] * 1000:.0f} ms | 10 s | "
        f"{collector['log_share'] * 100:.2f}% of a core (goal < 2%) |",
        f"| collector CPU, stats of {APPS} containers, per 10 s | "
        f"{collector['stats_share'] * INTERVAL * 1000:.0f} ms | 10 s | "
        f"{collector['stats_share'] * 100:.2f}% of a core |",
        "",
    ]


def main() -> None:
    print("\n".join(lines(bench_access_log(), bench_collector())))


if __name__ == "__main__":
    main()
