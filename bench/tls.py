"""HTTPS benchmarks (issue 11): requests/s over HTTPS against plain HTTP through the same nginx
(keep-alive, wrk, alternating rounds, medians), and the time from `paas certs:auto` to the
first HTTPS 200 with pebble (no validation sleep)."""
from __future__ import annotations

import contextlib
import time
from pathlib import Path

from bench.router import CLIENTS, _wrk, deploy_threaded
from bench.timing import median
from tests.support import free_port, start_platform, stop_platform
from tests.tls import Pebble, curl

APP = "loadme"


def bench_https(workdir: Path, seconds: float = 6, rounds: int = 3) -> dict:
    http_port = free_port()
    pebble = Pebble(workdir / "pebble").start(http_port)
    settings = {**pebble.settings(), "PAAS_ACME_HTTP_PORT": str(http_port)}
    platform = start_platform(workdir, "bench-tls", drain_seconds=0, settings=settings,
                              http_port=http_port)
    try:
        deploy_threaded(platform, APP, workdir / "tls-app")
        platform.wait_for(APP, "hello from v1")
        host = f"{APP}.localhost"
        pebble.point_here(host)
        started = time.monotonic()
        assert platform.paas("certs:auto", "-a", APP).returncode == 0
        while curl(f"https://{host}:{platform.https_port}/", host, platform.https_port,
                   pebble.root_file).stdout != "hello from v1\n":
            assert time.monotonic() - started < 120, "no HTTPS 200 within 120 s"
            time.sleep(0.05)
        first_200 = time.monotonic() - started
        assert platform.paas("certs:redirect", "off", "-a", APP).returncode == 0  # HTTP answers too
        plain, tls = [], []
        with resolved_here(host):  # wrk names the site in its handshake only by the URL's host
            for _ in range(rounds):
                plain.append(_wrk(platform.http_port, host, seconds))
                tls.append(_wrk(f"{host}:{platform.https_port}", host, seconds, scheme="https"))
        return {"https": median(tls), "http": median(plain), "auto_to_200": first_200}
    finally:
        stop_platform(platform)
        pebble.stop()


@contextlib.contextmanager
def resolved_here(host: str):
    """`host` resolves to 127.0.0.1 (a line of /etc/hosts, removed after): the router refuses
    a TLS handshake that names no site it has (SNI), and wrk sends the URL's host as that name."""
    hosts = Path("/etc/hosts")
    line = f"127.0.0.1 {host} # paas bench\n"
    before = hosts.read_text()
    hosts.write_text(before + ("" if before.endswith("\n") else "\n") + line)
    try:
        yield
    finally:
        hosts.write_text(hosts.read_text().replace(line, ""))


def lines(result: dict) -> list[str]:
    return [
        "## HTTPS (issue 11)",
        "",
        f"{CLIENTS} keep-alive connections (wrk) through the same nginx to the same app, plain HTTP",
        "and HTTPS (TLS 1.3, P-256 certificate from pebble) in alternating rounds; medians.",
        "certs:auto → first HTTPS 200: from the command's start (self-check, ACME order against",
        "pebble with no validation sleep, nginx -t and reload) to curl's first 200 over HTTPS.",
        "",
        "| what | HTTPS | plain HTTP | ratio |",
        "| --- | ---: | ---: | ---: |",
        f"| requests/s through nginx, keep-alive | {result['https']:.0f} | {result['http']:.0f} | "
        f"{result['https'] / result['http']:.2f} (goal ≥ 0.85) |",
        "",
        f"`paas certs:auto` → first HTTPS 200: **{result['auto_to_200']:.2f} s**.",
        "",
    ]
