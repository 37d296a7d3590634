"""Router at its limit (issue 14): requests/s through the platform's nginx against a
hand-written nginx with keep-alive straight to the same container's address, and against the
container itself, in alternating rounds. The upstream is a bare Node.js server (faster than any
proxy here), so what is measured is the proxies, not the app."""
from __future__ import annotations

import re
import subprocess
import tempfile
import time
from pathlib import Path

import docker

from bench.timing import median
from tests.support import commit_all, copy_app, free_port, start_platform, stop_platform

CLIENTS = 20
APP = "bare"
SERVER_JS = """\
const http = require("http");
http.createServer((req, res) => {
  res.writeHead(200, {"Content-Type": "text/plain"});
  res.end("hello from bare\\n");
}).listen(process.env.PORT, "0.0.0.0");
"""

# The reference: what a person would write by hand for one app, and nothing more.
HAND_CONF = """\
worker_processes auto;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/tmp;
    proxy_temp_path {prefix}/tmp;
    fastcgi_temp_path {prefix}/tmp;
    uwsgi_temp_path {prefix}/tmp;
    scgi_temp_path {prefix}/tmp;
    upstream app {{
        server {address};
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}
}}
"""


def wrk(url: str, host: str, seconds: float) -> float:
    out = subprocess.run(["wrk", "-t2", f"-c{CLIENTS}", f"-d{seconds:.0f}s", "-H", f"Host: {host}",
                          url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise AssertionError(f"errors during the router benchmark:\n{out}")
    return float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))


def deploy_bare(platform, repo_dir: Path) -> str:
    """A Procfile-only Node.js server; the container's address on its app network."""
    platform.paas("apps:create", APP)
    repo = copy_app("procfile-only", repo_dir, platform.env)
    (repo / "server.py").unlink()
    (repo / "server.js").write_text(SERVER_JS)
    (repo / "Procfile").write_text("web: node server.js\n")
    commit_all(repo, platform.env, "bare node")
    platform.paas("git:remote", "-a", APP, cwd=repo)
    assert platform.push(repo).returncode == 0
    platform.wait_for(APP, "hello from bare")
    return web_address(platform.instance, APP)


def web_address(instance: str, app: str, port: int = 5000) -> str:
    [c] = docker.from_env().containers.list(filters={"label": [
        f"paas.instance={instance}", f"paas.app={app}", "paas.process=web"]})
    [net] = c.attrs["NetworkSettings"]["Networks"].values()
    return f"{net['IPAddress']}:{port}"


class HandNginx:
    """nginx with HAND_CONF, in the foreground of a process of our own."""

    def __init__(self, address: str) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="paas-bench-hand-"))
        (self.dir / "tmp").mkdir()
        self.port = free_port()
        conf = self.dir / "nginx.conf"
        conf.write_text(HAND_CONF.format(prefix=self.dir, address=address, port=self.port))
        self.proc = subprocess.Popen(["nginx", "-p", str(self.dir), "-c", str(conf),
                                      "-g", "daemon off;"], stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while subprocess.run(["curl", "-fs", "-o", "/dev/null", f"http://127.0.0.1:{self.port}/"]
                             ).returncode != 0:
            assert time.monotonic() < deadline and self.proc.poll() is None, "hand nginx did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def bench_router_limit(workdir: Path, seconds: float = 6, rounds: int = 3) -> dict:
    platform = start_platform(workdir, "bench-limit", drain_seconds=0)
    hand = None
    try:
        address = deploy_bare(platform, workdir / "bare-app")
        hand = HandNginx(address)
        host = f"{APP}.localhost"
        ours, theirs, straight = [], [], []
        for _ in range(rounds):
            ours.append(wrk(f"http://127.0.0.1:{platform.http_port}/", host, seconds))
            theirs.append(wrk(f"http://127.0.0.1:{hand.port}/", host, seconds))
            straight.append(wrk(f"http://{address}/", host, seconds))
        return {"platform": median(ours), "hand": median(theirs), "direct": median(straight)}
    finally:
        if hand:
            hand.stop()
        stop_platform(platform)


def lines(result: dict) -> list[str]:
    return [
        "## Router at its limit (issue 14)",
        "",
        f"wrk, {CLIENTS} keep-alive connections, alternating rounds, medians. The upstream is a",
        "bare Node.js `http` server deployed as a Procfile-only app. Reference: a hand-written",
        "nginx (`bench/direct.py`: keep-alive upstream, no logging, nothing else) proxying to the",
        "same container's address on its app network.",
        "",
        "| what | req/s | ratio |",
        "| --- | ---: | ---: |",
        f"| through the platform's nginx | {result['platform']:.0f} | "
        f"{result['platform'] / result['hand']:.2f} of the hand-written nginx (goal ≥ 0.95) |",
        f"| through a hand-written nginx | {result['hand']:.0f} | 1.00 |",
        f"| straight to the container's address (no proxy) | {result['direct']:.0f} | "
        f"{result['direct'] / result['hand']:.2f} |",
        "",
    ]


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="paas-bench-", ignore_cleanup_errors=True) as tmp:
        print("\n".join(lines(bench_router_limit(Path(tmp)))))
