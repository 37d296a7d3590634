"""Start and stop the platform's processes on this host:
`python -m paas.server.control up|down|uninstall`.

`up` makes the admin token, starts the router (nginx) and the API/git server (gunicorn), waits
until both answer, and prints where everything is. Idempotent. `down` stops both; app
containers keep running. With PAAS_SUPERVISE (the default) both run as Docker containers with a
restart policy (paas.server.lifecycle); with PAAS_SUPERVISE=0 as processes on the host,
started here. `uninstall` (CONFIRM=yes, or a typed confirmation) removes the instance.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from paas import __version__
from paas.adapters.iptables import Iptables
from paas.adapters.nginx_proxy import NginxProxy
from paas.adapters.ports import taken
from paas.adapters.sqlite_store import SqliteStore
from paas.adapters.state_files import make_private
from paas.adapters.sysctl import enable_migrate_req
from paas.errors import PaasError
from paas.services.auth import Tokens
from paas.services.host_firewall import protect, unprotect
from paas.settings import Settings

START_TIMEOUT = 30.0


def _pid_alive(pid_file: Path) -> int | None:
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return None if _zombie(pid) else pid


def _zombie(pid: int) -> bool:
    """A killed daemon whose parent is an init that does not reap (some containers' PID 1)
    stays a zombie: it answers kill(pid, 0) but is gone, and gunicorn would refuse to start
    over its pid file ("Already running")."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[:1] == ["Z"]


def _healthy(settings: Settings) -> bool:
    try:
        with urllib.request.urlopen(f"{settings.api_url}/api/v1/health", timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


def _gunicorn_pid(settings: Settings) -> Path:
    return settings.home / "gunicorn.pid"


def start_api(settings: Settings) -> bool:
    """Start gunicorn unless it already answers. Returns True when it was started now."""
    if _pid_alive(_gunicorn_pid(settings)) and _healthy(settings):
        return False
    settings.logs_dir.mkdir(parents=True, exist_ok=True)
    if _pid_alive(_gunicorn_pid(settings)) is None:
        _gunicorn_pid(settings).unlink(missing_ok=True)  # left by a killed API: not running
    gunicorn = Path(sys.executable).with_name("gunicorn")
    # One worker with threads: a build may run for minutes (a sync worker kills it at 30 s),
    # and per-app deploy locks live in that one process. Long-lived requests (log tails,
    # streams, pushes) are capped below the thread count (paas.server.limits), so short ones
    # always find a thread. It listens on PAAS_API_BIND (loopback unless the operator says).
    argv = [
        str(gunicorn), "--daemon", "--pid", str(_gunicorn_pid(settings)),
        "--bind", settings.api_listen,
        # gunicorn's default control socket is one path per user: two platforms would share it.
        "--control-socket", str(settings.home / "gunicorn.ctl"),
        "--worker-class", "gthread", "--workers", "1",
        "--threads", str(settings.api_threads), "--timeout", "3600",
        "--error-logfile", str(settings.logs_dir / "api.log"),
        "--access-logfile", str(settings.logs_dir / "api-access.log"),
        "paas.server.wsgi:application()",
    ]
    env = {**os.environ, **settings.to_env()}
    subprocess.run(argv, check=True, env=env)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if _healthy(settings):
            return True
        time.sleep(0.2)
    log = (settings.logs_dir / "api.log").read_text(errors="replace").splitlines()[-15:]
    raise SystemExit("paas: the API did not start within 30s; last lines of its log:\n" + "\n".join(log))


def stop_api(settings: Settings) -> bool:
    pid = _pid_alive(_gunicorn_pid(settings))
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _pid_alive(_gunicorn_pid(settings)):
        time.sleep(0.1)
    return True


def stop_host_processes(settings: Settings, nginx: bool = True) -> None:
    """The API and nginx of PAAS_SUPERVISE=0 (or of a version before supervision), before the
    containers take their ports. An nginx that is the router container's is left alone."""
    from paas.adapters.supervisor import Supervisor
    from paas.render.supervise import container_name

    stop_api(settings)
    if not nginx:
        return
    router = Supervisor().container(container_name(settings.instance, "router"))
    proxy = NginxProxy(settings.nginx_dir, settings.http_port, nginx_bin=settings.nginx_bin)
    if (router is None or router.status != "running") and proxy.is_running():
        proxy.stop()
        deadline = time.monotonic() + 35  # nginx's worker_shutdown_timeout is 30 s
        while proxy.is_running() and time.monotonic() < deadline:
            time.sleep(0.1)


def up(settings: Settings) -> None:
    from paas.server import lifecycle

    settings.home.mkdir(mode=0o700, parents=True, exist_ok=True)
    make_private(settings.home)
    lifecycle.migrate_state(settings)  # first: a downgrade is refused before anything changes
    router_port_check(settings)
    Tokens(SqliteStore(settings.db_path)).ensure_admin(settings.token_file)
    try:
        walled = protect(settings, Iptables())
    except PaasError as exc:  # not root: say so loudly, but let a developer's platform start
        walled = (f"Firewall:    NOT applied ({exc.message}); run as root (NET_ADMIN) or set "
                  "PAAS_FIREWALL=off")
    unmigrated = enable_migrate_req()
    if settings.supervise:
        started = lifecycle.up(settings, stop_host_processes)
    else:
        NginxProxy(settings.nginx_dir, settings.http_port, nginx_bin=settings.nginx_bin).ensure_running()
        started = start_api(settings)
    print(f"paas {__version__} is up." if started else f"paas {__version__} was already up.")
    print(f"  {walled}")
    if unmigrated:
        print(f"  Note: {unmigrated}; a router handover may reset connections queued on the old "
              "nginx's sockets")
    url = settings.public_api_url  # https://PAAS_API_HOST through the router, when set
    print(f"  Dashboard:   {url}/   (sign in with the admin token)")
    print(f"  API, git:    {url}/api/v1   {url}/git/<app>.git")
    if settings.api_host:
        print(f"               (also {settings.api_url} on this host; the certificate of "
              f"{settings.api_host} comes from {'ACME' if settings.acme_directory else 'certs'})")
    print(f"  Router:      {settings.router_url}   (apps at {settings.app_url('<app>')})")
    print(f"  Admin token: {settings.token_file}")
    print(f"  Logs:        {settings.logs_dir}")
    print("Quickstart:")
    print(f"  paas login --api-url {url} --token $(cat {settings.token_file})")
    print("  paas apps:create hello && cd path/to/your/app && paas git:remote -a hello")
    print("  git push paas main")


def router_port_check(settings: Settings) -> None:
    """The router's HTTP port is free, or held by this platform's own nginx. Its nginx listens
    with SO_REUSEPORT (paas.server.handover): another paas on the same port would bind beside it
    and share its connections rather than fail, so this refuses first."""
    proxy = NginxProxy(settings.nginx_dir, settings.http_port, nginx_bin=settings.nginx_bin)
    if proxy.pid() is None and taken(settings.http_port):
        raise PaasError(f"port {settings.http_port} (PAAS_HTTP_PORT) is in use by another "
                        "program (another platform?); choose a free one. Nothing was started")


def down(settings: Settings) -> None:
    stopped = False
    if settings.supervise:
        from paas.server import lifecycle

        stopped = lifecycle.down(settings)
    stopped = stop_api(settings) or stopped
    proxy = NginxProxy(settings.nginx_dir, settings.http_port, nginx_bin=settings.nginx_bin)
    if proxy.is_running():
        proxy.stop()
    print("paas stopped (app containers keep running)." if stopped else "paas was not running.")


def uninstall(settings: Settings) -> None:
    from paas.server import lifecycle

    lifecycle.uninstall(settings, os.environ.get("CONFIRM") == "yes", stop_host_processes,
                        host_cleanup=lambda s: unprotect(s, Iptables()))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    commands = {"up": up, "down": down, "uninstall": uninstall}
    if len(args) != 1 or args[0] not in commands:
        print("usage: python -m paas.server.control up|down|uninstall", file=sys.stderr)
        return 2
    try:
        commands[args[0]](Settings.from_env())
    except PaasError as exc:
        print(f"paas: {exc.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
