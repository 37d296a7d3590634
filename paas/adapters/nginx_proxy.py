"""The router adapter: the only module that runs nginx.

The platform runs its own nginx with its own prefix under PAAS_HOME (config, pid, logs, temp
dirs) and never touches /etc/nginx's server config. Every change is tested with `nginx -t`
before a reload; a file that fails the test is replaced by the previous one again.
"""
from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

from paas.errors import DeployFailed
from paas.render.nginx import render_main

TEMP_DIRS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


class RouterError(DeployFailed):
    id = "router_error"


class NginxProxy:
    def __init__(self, prefix: Path, http_port: int, nginx_bin: str = "nginx",
                 listen: str = "0.0.0.0", may_start: bool = True) -> None:
        """`may_start=False` when a supervisor runs nginx (the router container): a missing
        nginx is then left to it, and it reads the config on disk when it comes back."""
        self.may_start = may_start
        self.prefix = Path(prefix)
        self.http_port = http_port
        self.nginx_bin = nginx_bin
        self.listen = listen
        self._lock = threading.Lock()  # one edit-test-reload at a time

    @property
    def conf(self) -> Path:
        return self.prefix / "nginx.conf"

    def app_file(self, app: str) -> Path:
        return self.prefix / "apps" / f"{app}.conf"

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        argv = [self.nginx_bin, "-p", str(self.prefix), "-c", str(self.conf),
                "-e", str(self.prefix / "logs" / "error.log"), *args]
        return subprocess.run(argv, capture_output=True, text=True, timeout=60)

    def _test(self) -> str | None:
        """None when the config is valid, else nginx's complaint on one line."""
        result = self._run("-t", "-q")
        if result.returncode == 0:
            return None
        lines = [l.removeprefix("nginx: ") for l in result.stderr.splitlines()
                 if "[emerg]" in l or "[alert]" in l] or result.stderr.splitlines()[-1:]
        return "; ".join(lines) or "nginx -t failed"

    def pid(self) -> int | None:
        try:
            pid = int((self.prefix / "nginx.pid").read_text().strip())
            os.kill(pid, 0)
        except (OSError, ValueError):
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return pid
        return pid if b"nginx" in cmdline else None  # a stale pid file may name someone else

    def is_running(self) -> bool:
        return self.pid() is not None

    def ensure_running(self) -> None:
        with self._lock:
            self._write_main(test=True)
            self._reload_or_start()

    def prepare(self) -> bool:
        """The prefix's dirs and main config, without nginx (a supervisor starts it from them).
        True when the main config changed."""
        with self._lock:
            return self._write_main(test=False)

    def _write_main(self, test: bool) -> bool:
        for sub in ("apps", "platform", "logs", *(f"tmp/{d}" for d in TEMP_DIRS)):
            (self.prefix / sub).mkdir(parents=True, exist_ok=True)
        text = render_main(prefix=self.prefix, http_port=self.http_port, listen=self.listen)
        if self.conf.exists() and self.conf.read_text() == text:
            if test:
                self._replace(self.conf, text)  # still proves the whole config is valid
            return False
        if test:
            self._replace(self.conf, text)
        else:
            tmp = self.conf.with_name(f".{self.conf.name}.new")
            tmp.write_text(text)
            os.replace(tmp, self.conf)
        return True

    def reload(self) -> bool:
        """Reload the running master with the config on disk (no `nginx -t`: a config it cannot
        apply leaves it as it was). True once it runs new workers; False when no nginx runs or
        it kept its old workers."""
        with self._lock:
            pid = self.pid()
            if pid is None:
                return False
            old = _children(pid)
            os.kill(pid, signal.SIGHUP)
            return _wait_reloaded(pid, old)

    def _reload_or_start(self) -> None:
        pid = self.pid()
        if pid is not None:
            old = _children(pid)
            os.kill(pid, signal.SIGHUP)
            _wait_reloaded(pid, old)
            return
        if not self.may_start:
            return
        result = self._run()
        if result.returncode != 0:
            raise RouterError(f"nginx did not start: {result.stderr.strip().splitlines()[-1:]}")

    def _replace(self, path: Path, text: str) -> None:
        """Write `text` to `path`, nginx -t, and put the old file back if the test fails."""
        previous = path.read_text() if path.exists() else None
        tmp = path.with_name(f".{path.name}.new")
        tmp.write_text(text)
        os.replace(tmp, path)
        problem = self._test()
        if problem is None:
            return
        if previous is None:
            path.unlink()
        else:
            tmp.write_text(previous)
            os.replace(tmp, path)
        raise RouterError(f"nginx rejected the new config, the previous one stays: {problem}")

    def apply_app(self, app: str, text: str) -> None:
        with self._lock:
            self._replace(self.app_file(app), text)
            self._reload_or_start()

    def read_app(self, app: str) -> str | None:
        path = self.app_file(app)
        return path.read_text() if path.exists() else None

    def remove_app(self, app: str) -> None:
        self._remove(self.app_file(app))

    def _remove(self, path: Path) -> None:
        with self._lock:
            if path.exists():
                path.unlink()
                if self.is_running():
                    self._reload_or_start()

    # The platform's own server blocks (the control plane at PAAS_API_HOST), beside the apps'.
    def platform_file(self, name: str) -> Path:
        return self.prefix / "platform" / f"{name}.conf"

    def read_platform(self, name: str) -> str | None:
        path = self.platform_file(name)
        return path.read_text() if path.exists() else None

    def apply_platform(self, name: str, text: str) -> None:
        with self._lock:
            self.platform_file(name).parent.mkdir(parents=True, exist_ok=True)
            self._replace(self.platform_file(name), text)
            self._reload_or_start()

    def remove_platform(self, name: str) -> None:
        self._remove(self.platform_file(name))

    def reopen_logs(self) -> None:
        """nginx writes to fresh log files (after the metrics collector renamed one).

        A reload, not USR1: with USR1 the workers reopen the files themselves, and workers of a
        root master run as nobody, who cannot traverse a 0700 PAAS_HOME, so they would keep
        writing to the renamed file. On reload the master opens them and new workers inherit.
        """
        with self._lock:
            if self.pid() is not None:
                self._reload_or_start()

    def stop(self) -> None:
        pid = self.pid()
        if pid is not None:
            os.kill(pid, signal.SIGQUIT)  # graceful: workers finish their requests


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def _accepting(worker: int) -> bool:
    try:
        title = Path(f"/proc/{worker}/cmdline").read_bytes()
    except OSError:
        return False
    return b"shutting down" not in title


def serving(master: int) -> bool:
    """The nginx master `master` runs workers: it opened its listening sockets (it does before
    it forks them)."""
    return any(_accepting(w) for w in _children(master))


def _wait_reloaded(master: int, old: set[int], timeout: float = 10.0) -> bool:
    """A reload is asynchronous; it is done once new workers run and no old one still takes
    new connections (old ones may finish in-flight requests as "shutting down")."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (_children(master) - old) and not any(_accepting(w) for w in old):
            return True
        time.sleep(0.02)
    return False
