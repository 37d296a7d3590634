"""Metrics benchmarks (issue 15): what the per-app JSON access log costs the router, the
collector's CPU with 100 apps serving, and the apps list's rates query.
`python -m bench.metrics` prints the BENCHMARKS.md lines.

The router is measured against another nginx as the upstream (a server block answering 200),
so that the router's own work, not an app, is what the log is set against. Three figures, each
against no access log in the same run: wrk's requests/s and the router workers' CPU time per
request (both noisy on a shared machine: rounds alternate the variants, medians), and the
router's instructions per request counted by valgrind (the same from run to run).
"""
from __future__ import annotations

import http.client
import json
import re
import signal
import subprocess
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from bench.timing import median
from paas.adapters.access_logs import AccessLogs
from paas.adapters.metrics_store import MetricsStore
from paas.adapters.nginx_proxy import NginxProxy
from paas.domain.metrics import access_log_name, aggregate
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


# The JSON format as it was before the cheaper one in nginx.conf.j2 (for the comparison).
FORMAT_BEFORE = """log_format paas_metrics_before escape=json '{"t":"$msec","s":"$status",\
"rt":"$request_time","ut":"$upstream_response_time","b":"$bytes_sent"}';
"""
VARIANTS = ("json", "before", "combined", "off")


def _workers(master: int) -> set[int]:
    """The master's workers once the ones of the previous config have left (so that a run's
    CPU figure is only that of the workers serving it)."""
    deadline = time.monotonic() + 30
    while True:
        workers = _children(master)
        if not any(b"shutting down" in _cmdline(w) for w in workers):
            return workers
        if time.monotonic() > deadline:
            raise TimeoutError("nginx's old workers did not leave within 30 s")
        time.sleep(0.05)


def _children(master: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                found.add(int(entry.name))
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _user_system(pids: set[int]) -> tuple[int, int]:
    """utime and stime of the processes, in clock ticks."""
    user = system = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        user, system = user + int(fields[11]), system + int(fields[12])
    return user, system


def _cpu_ns(pids: set[int]) -> int:
    """CPU time the processes ran, in ns (schedstat: finer than stat's 10 ms ticks)."""
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
        except OSError:
            pass
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


def _app_files(port: int, upstream: int, log: Path) -> dict[str, str]:
    """The app's router file with each access-log variant: paas's JSON log, the JSON log as
    it was before, the combined log (nginx.conf's, which the JSON log replaces), none."""
    json_log = render_app(app="bench", server_names=["bench.localhost"], http_port=port,
                          listen="127.0.0.1", upstreams=[f"127.0.0.1:{upstream}"],
                          access_log=str(log))
    directive = re.search(r"access_log [^;]*;", json_log).group(0)
    return {"json": json_log,
            "before": json_log.replace(directive, f"access_log {log} paas_metrics_before "
                                                  "buffer=32k flush=5s;"),
            "combined": render_app(app="bench", server_names=["bench.localhost"], http_port=port,
                                   listen="127.0.0.1", upstreams=[f"127.0.0.1:{upstream}"]),
            "off": json_log.replace(directive, "access_log off;")}


def bench_access_log(seconds: float = 5, rounds: int = 5, requests: int = 3000) -> dict:
    """Requests/s and the router workers' CPU per request through nginx with each variant
    of `_app_files` (rounds alternate them; medians, ratios paired within a round so the shared
    machine's drift cancels out); and, steady whatever else runs, the router's instructions
    per request under valgrind (`_instructions`)."""
    with tempfile.TemporaryDirectory(prefix="paas-bench-metrics-") as tmp:
        proxy = NginxProxy(Path(tmp) / "router", free_port(), listen="127.0.0.1")
        # The upstream is another nginx, so the router's CPU figures are the router's alone.
        backend = NginxProxy(Path(tmp) / "upstream", free_port(), listen="127.0.0.1")
        proxy.ensure_running()
        backend.ensure_running()
        try:
            upstream = free_port()
            backend.apply_platform("upstream", UPSTREAM.format(port=upstream))
            proxy.apply_platform("formats", FORMAT_BEFORE)
            files = _app_files(proxy.http_port, upstream,
                               proxy.prefix / "logs" / access_log_name("bench"))
            rates: dict[str, list[float]] = {name: [] for name in VARIANTS}
            cpu: dict[str, list[float]] = {name: [] for name in VARIANTS}
            user_share: list[float] = []  # of the router's CPU with no log, in user space
            for _ in range(rounds):
                for name in VARIANTS:
                    proxy.apply_app("bench", files[name])
                    workers = _workers(proxy.pid())
                    before, split = _cpu_ns(workers), _user_system(workers)
                    rate, count = _wrk(proxy.http_port, "bench.localhost", seconds)
                    rates[name].append(rate)
                    cpu[name].append((_cpu_ns(workers) - before) / count / 1000)  # µs/request
                    if name == "off":
                        user, system = (a - b for a, b in zip(_user_system(workers), split))
                        user_share.append(user / max(1, user + system))
            out: dict = {name: median(values) for name, values in rates.items()}
            out.update({f"cpu_{name}": median(values) for name, values in cpu.items()})
            out["user_share"] = median(user_share)
            for name in ("json", "before", "combined"):
                out[f"{name}/off"] = median([v / o for v, o in zip(rates[name], rates["off"])])
                out[f"cpu_off/{name}"] = median([o / v for v, o in zip(cpu[name], cpu["off"])])
        finally:
            proxy.stop()
            backend.stop()
        out.update(_instructions(Path(tmp) / "counted", requests))
        # The log's work is user space; the kernel's (sockets) is the same with or without
        # it. So when nginx is CPU-bound, requests/s fall by the extra instructions' share of
        # the user-space part (an estimate: it takes their speed to be the rest's).
        for name in ("json", "before", "combined"):
            extra = 1 / out[f"ins_off/{name}"] - 1
            out[f"est_{name}"] = 1 / (1 + extra * out["user_share"])
        out["requests_counted"] = requests
        return out


def _instructions(work: Path, requests: int) -> dict[str, float]:
    """The router's instructions per request for each variant, counted by valgrind's
    cachegrind: one nginx process (no master) serving `requests` keep-alive requests, minus
    what it takes to start and stop with none. User space only (the socket work in the kernel
    is the same with or without a log), and the same from run to run, unlike time on a shared
    machine."""
    backend = NginxProxy(work / "upstream", free_port(), listen="127.0.0.1")
    backend.ensure_running()
    try:
        upstream = free_port()
        backend.apply_platform("upstream", UPSTREAM.format(port=upstream))
        router = NginxProxy(work / "router", free_port(), listen="127.0.0.1")
        router.prepare()
        # One process: with `reuseport` nginx makes a socket per worker process, and a lone
        # process (no master) polls only the first; connections sent to the others would hang.
        router.conf.write_text("daemon off;\nmaster_process off;\n" + router.conf.read_text()
                               .replace("worker_processes auto;", "worker_processes 1;"))
        router.platform_file("formats").write_text(FORMAT_BEFORE)
        files = _app_files(router.http_port, upstream,
                           router.prefix / "logs" / access_log_name("bench"))
        router.app_file("bench").write_text(files["off"])
        idle = _counted_run(router, 0)
        out = {}
        for name in VARIANTS:
            router.app_file("bench").write_text(files[name])
            out[f"ins_{name}"] = (_counted_run(router, requests) - idle) / requests
        for name in ("json", "before", "combined"):
            out[f"ins_off/{name}"] = out["ins_off"] / out[f"ins_{name}"]
        return out
    finally:
        backend.stop()


def _counted_run(router: NginxProxy, requests: int) -> int:
    """Instructions nginx runs to start, answer `requests` requests on one keep-alive
    connection, and stop."""
    counts = router.prefix / "cachegrind.out"
    proc = subprocess.Popen(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", f"--cachegrind-out-file={counts}",
         "nginx", "-p", str(router.prefix), "-c", str(router.conf),
         "-e", str(router.prefix / "logs" / "error.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        conn = _connect(router.http_port, proc)
        for _ in range(requests):
            conn.request("GET", "/", headers={"Host": "bench.localhost"})
            resp = conn.getresponse()
            resp.read()
            if resp.status != 200:
                raise AssertionError(f"the counted router answered {resp.status}")
        conn.close()
    finally:
        proc.send_signal(signal.SIGQUIT)  # graceful: cachegrind writes its counts at exit
        proc.wait(60)
    found = re.search(r"^summary:\s+(\d+)", counts.read_text(), re.M)
    counts.unlink()
    return int(found.group(1))


def _connect(port: int, proc: subprocess.Popen) -> http.client.HTTPConnection:
    deadline = time.monotonic() + 60  # nginx starts slowly under valgrind
    while True:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.connect()
            return conn
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


class _Apps:
    def __init__(self, names):
        self.names = names

    def list_apps(self):
        return [type("App", (), {"name": n})() for n in self.names]

    def list_releases(self, app):
        return []


def _line(at: float, i: int) -> bytes:
    """A line as nginx writes it with the paas_metrics log_format."""
    t = datetime.fromtimestamp(int(at), timezone.utc).isoformat()
    ms = f"{(i % 40) / 1000:.3f}"
    return (f'{{"t":"{t}","s":"{500 if i % 50 == 0 else 200}","rt":"{ms}","ut":"{ms}"}}'
            .encode())


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


def bench_rates(repeat: int = 20) -> dict[str, float]:
    """The apps list's 5-minute rates with APPS apps holding a full day of minutes each: the
    query naming the apps (what `GET /apps` runs) against the one scanning the table."""
    names = [f"app{n}" for n in range(APPS)]
    now = time.time()
    row = aggregate([_line(now, i) for i in range(600)])
    minute = next(iter(row))
    with tempfile.TemporaryDirectory(prefix="paas-bench-rates-") as tmp:
        store = MetricsStore(Path(tmp) / "paas.db")
        store.add_requests_batch([(name, {minute - 60 * m: row[minute] for m in range(1440)},
                                   (1, 0)) for name in names])
        since = minute - 240
        out = {}
        for key, apps in (("named", names), ("scan", None)):
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                store.request_totals(since, apps)
                times.append(time.perf_counter() - started)
            out[key] = median(times)
        return out


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


def lines(log: dict, collector: dict[str, float], rates: dict | None = None) -> list[str]:
    def row(what: str, key: str, unit: str = "", goal: str = "") -> str:
        paas, base, ratio = (log[f"{key}_json"], log[f"{key}_off"], log[f"{key}_off/json"]) \
            if key else (log["json"], log["off"], log["json/off"])
        fmt = ".0f" if key != "cpu" else ".2f"
        return (f"| {what} | {paas:{fmt}}{unit} | {base:{fmt}}{unit} | {ratio:.3f}"
                f"{f' (goal {goal})' if goal else ''} |")

    return [
        "## Metrics (issue 15)",
        "",
        "The access log's cost, three ways, each against the router with no access log in the "
        "same run. Requests/s: wrk, "
        f"{CLIENTS} keep-alive connections through nginx to an upstream that is another nginx "
        "(a server block answering 200), so that the router's own work is what the log is set "
        "against. CPU per request: the router workers' CPU time (schedstat) over the run. "
        "The variants alternate round by round; medians, ratios paired within a round. "
        "Instructions per request: the router alone under valgrind (cachegrind), "
        f"{log['requests_counted']} keep-alive requests, minus its start and stop: user space "
        "only (the kernel's socket work, the same with or without a log, is left out, so this "
        "ratio is the log's cost at its largest), and the same from run to run whatever else "
        "the machine runs.",
        "",
        "The log's format (nginx.conf.j2) keeps the four fields the collector needs: the "
        "time as `$time_iso8601` (a copy of nginx's cached string; `$msec` is formatted per "
        "request), `$status`, `$request_time`, `$upstream_response_time`; no `$bytes_sent` "
        "(nothing shows it) and `escape=none` (nginx's own numbers need no escaping). "
        "\"Before\" is the format it replaced ($msec, $bytes_sent, escape=json).",
        "",
        "| what | paas | baseline (no log) | ratio |",
        "| --- | ---: | ---: | ---: |",
        row("requests/s with the JSON access log", "", goal="≥ 0.95"),
        row("router CPU per request with the JSON access log (baseline / paas)", "cpu",
            " µs", "≥ 0.95"),
        row("router instructions per request with the JSON access log (baseline / paas)",
            "ins"),
        f"| requests/s when nginx is CPU-bound, estimated: the extra instructions' share of "
        f"the {log['user_share'] * 100:.0f}% of its CPU in user space | | | "
        f"{log['est_json']:.3f} (goal ≥ 0.95) |",
        "",
        "Each variant against no access log (1.000 = free):",
        "",
        "| access log | requests/s | CPU per request | instructions per request | "
        "CPU-bound requests/s, estimated |",
        "| --- | ---: | ---: | ---: | ---: |",
        *(f"| {label} | {log[f'{key}/off']:.3f} | {log[f'cpu_off/{key}']:.3f} | "
          f"{log[f'ins_off/{key}']:.3f} | {log[f'est_{key}']:.3f} |" for key, label in (
              ("json", "paas's JSON log"), ("before", "the JSON log before"),
              ("combined", "nginx's combined log"))),
        "",
        f"Collector: one pass over {APPS} apps that each served {REQS_PER_APP_PER_SECOND} "
        f"requests/s for the {INTERVAL:.0f} s interval ({collector['lines']:.0f} lines), CPU "
        "time of the pass over the interval; the stats side decodes one Docker stats document "
        f"per container per second for {APPS} containers.",
        "",
        "| what | paas | baseline | ratio |",
        "| --- | ---: | ---: | ---: |",
        f"| collector CPU, access logs of {APPS} apps, per 10 s | "
        f"{collector['pass_seconds'] * 1000:.0f} ms | 10 s | "
        f"{collector['log_share'] * 100:.2f}% of a core (goal < 2%) |",
        f"| collector CPU, stats of {APPS} containers, per 10 s | "
        f"{collector['stats_share'] * INTERVAL * 1000:.0f} ms | 10 s | "
        f"{collector['stats_share'] * 100:.2f}% of a core |",
        *([f"| the apps list's 5-minute rates of {APPS} apps with a full day each (one query "
           f"naming them vs one scanning the table) | {rates['named'] * 1000:.1f} ms | "
           f"{rates['scan'] * 1000:.1f} ms | {rates['scan'] / rates['named']:.0f}× faster |"]
          if rates else []),
        "",
    ]


def main() -> None:
    print("\n".join(lines(bench_access_log(), bench_collector(), bench_rates())))


if __name__ == "__main__":
    main()
