"""The router's ports handed from the nginx that serves them to a new one with no moment
without a listener: the first upgrade (a host nginx, of PAAS_SUPERVISE=0 or of a version before
supervision, to the router container) and a router container replaced by a newer one.

Every nginx of the platform listens with SO_REUSEPORT (nginx/nginx.conf.j2), so the new one
binds the ports beside the old one. An old master started without it learns it by a reload
(nginx sets it on a socket it inherited without: `add_reuseport` in ngx_cycle.c). The new
master opens its sockets before it forks workers, so once it runs workers it accepts; only then
does the old one get SIGQUIT: it closes its listeners and finishes the requests it has.
Connections still queued on its listeners move to the new ones with net.ipv4.tcp_migrate_req=1
(paas.adapters.sysctl); without it the kernel resets them.
"""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from paas.adapters.nginx_proxy import NginxProxy, serving

RETIRE_TIMEOUT = 35.0  # nginx's worker_shutdown_timeout is 30 s
SERVE_TIMEOUT = 30.0


def take_over(proxy: NginxProxy, supervisor, spec: dict, old_master: int) -> tuple[str, str]:
    """Start the router container of `spec` beside the nginx `old_master` (which serves the
    ports now) and retire that one. Returns (how the container was started, how the ports
    moved: 'handed over' with no gap, or why not)."""
    shared = proxy.reload()  # the old master now holds its sockets with SO_REUSEPORT
    status, retiring = supervisor.start_beside(spec)
    new_master = _wait_serving(supervisor, spec["name"], SERVE_TIMEOUT if shared else 0,
                               beside=True)
    if retiring is not None:
        retiring.update(restart_policy={"Name": "no"})  # its nginx exits now: for good
    os.kill(old_master, signal.SIGQUIT)  # closes its listeners, finishes its requests
    if new_master is None:  # it could not bind beside the old one: it does now
        new_master = _wait_serving(supervisor, spec["name"], SERVE_TIMEOUT)
        if new_master is None:
            raise SystemExit("paas: the router container did not start: "
                             + supervisor.logs(spec["name"]))
        moved = ("moved with a gap: the old nginx did not take SO_REUSEPORT" if not shared
                 else "moved with a gap: the new nginx did not bind beside the old one")
    else:
        moved = "handed over"
    _wait_gone(old_master)
    if retiring is not None:
        retiring.remove(force=True)
    # The old master deleted the pid file on exit, which by then named the new one: write the
    # new one's pid back (a host pid: the router shares the host's pid namespace), so the API
    # keeps reloading it.
    pid_file = proxy.prefix / "nginx.pid"
    tmp = pid_file.with_name(".nginx.pid.new")
    tmp.write_text(f"{new_master}\n")
    os.replace(tmp, pid_file)
    return status, moved


def _wait_serving(supervisor, name: str, timeout: float, beside: bool = False) -> int | None:
    """The host pid of the container's nginx master once it runs workers, else None at the
    deadline. `beside` (the old nginx still runs): None as soon as the new one exited (a port it could not bind beside the old one, such
    as an HTTPS port an old nginx listens on without SO_REUSEPORT: only the old one's exit frees
    it, so waiting longer would only make the gap that follows longer)."""
    deadline = time.monotonic() + timeout
    while True:
        current = supervisor.container(name)
        if current is not None:
            pid = current.attrs["State"]["Pid"]
            if current.status == "running" and pid and serving(pid):
                return pid
            if beside and (current.status in ("exited", "dead")
                           or current.attrs.get("RestartCount")):
                return None
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.05)


def _wait_gone(pid: int) -> None:
    deadline = time.monotonic() + RETIRE_TIMEOUT
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[:1] != ["Z"]  # a zombie has exited

