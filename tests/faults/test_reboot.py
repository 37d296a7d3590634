"""The reboot stand-in (issue 13) on a private Docker daemon: restarting the shared one would
disturb everything else on this machine. Every process of the platform (API, router, apps) is
killed with SIGKILL together with the daemon and its containerd, the daemon is started again,
and the API and every app must answer again within 30 s, by restart policies alone.

The private daemon has its own data root, exec root, socket, containerd and default bridge, and
leaves the host's iptables alone (--iptables=false): apps are reached on their own networks'
addresses and published ports through docker-proxy, as the shared daemon would.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support import ROOT, Platform, copy_app, free_port, http_get

REBOOT_GOAL = 30.0
BASE = Path("/var/lib/paas-life-reboot")  # overlayfs needs a real file system, not tmpfs
STACK = os.environ.get("PAAS_STACK_IMAGE", "paas/stack:trixie")
# The private daemon's default bridge, made here. Never --bridge=none: dockerd then deletes the
# host's docker0 (removeDefaultBridgeInterface), which the shared daemon's containers use.
BRIDGE = "plreboot0"
BRIDGE_ADDR = "172.31.254.1/24"


class Daemon:
    def __init__(self, name: str) -> None:
        self.root = BASE / name
        self.run = Path("/run/paas-life-reboot") / name
        self.sock = self.run / "docker.sock"
        self.log = self.root.with_suffix(".log")
        self.proc: subprocess.Popen | None = None

    @property
    def host(self) -> str:
        return f"unix://{self.sock}"

    def start(self) -> None:
        if subprocess.run(["ip", "link", "show", BRIDGE], capture_output=True).returncode != 0:
            for cmd in (["link", "add", BRIDGE, "type", "bridge"],
                        ["addr", "add", BRIDGE_ADDR, "dev", BRIDGE], ["link", "set", BRIDGE, "up"]):
                subprocess.run(["ip", *cmd], check=True, capture_output=True)
        self.root.mkdir(parents=True, exist_ok=True)
        self.run.mkdir(parents=True, exist_ok=True)
        argv = ["dockerd", "--data-root", str(self.root / "data"), "--exec-root",
                str(self.run / "exec"), "--pidfile", str(self.run / "dockerd.pid"),
                "-H", self.host, f"--bridge={BRIDGE}", "--iptables=false", "--ip6tables=false",
                "--ip-masq=false"]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.docker("info", check=False).returncode == 0:
                return
            assert self.proc.poll() is None, self.log.read_text()[-2000:]
            time.sleep(0.2)
        raise AssertionError("the private dockerd did not answer within 60 s")

    def docker(self, *args: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
        return subprocess.run(["docker", "-H", self.host, *args], capture_output=True,
                              check=check, timeout=600, **kw)

    def own_pids(self) -> list[int]:
        """dockerd, its containerd and the shims: every process naming this daemon's roots."""
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    cmdline = (entry / "cmdline").read_bytes()
                except OSError:
                    continue
                if str(self.run).encode() in cmdline or str(self.root).encode() in cmdline:
                    pids.append(int(entry.name))
        return pids

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        for pid in self.own_pids():
            _kill(pid)
        _unmount_under(self.root)
        _unmount_under(self.run)
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.rmtree(self.run, ignore_errors=True)
        self.log.unlink(missing_ok=True)
        subprocess.run(["ip", "link", "delete", BRIDGE], capture_output=True)
        for base in (self.root.parent, self.run.parent):
            try:
                base.rmdir()  # the last daemon out leaves nothing
            except OSError:
                pass


def _kill(pid: int, sig: int = signal.SIGKILL) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _unmount_under(path: Path) -> None:
    mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
    for mnt in sorted((m for m in mounts if m.startswith(str(path) + "/")), reverse=True):
        subprocess.run(["umount", "-l", mnt], capture_output=True)


@pytest.fixture
def daemon():
    d = Daemon(f"d{os.getpid()}")
    d.start()
    try:
        # The stack image comes from the shared daemon (no debootstrap here).
        save = subprocess.Popen(["docker", "save", STACK], stdout=subprocess.PIPE)
        d.docker("load", stdin=save.stdout)
        assert save.wait() == 0
        yield d
    finally:
        d.stop()


def test_everything_serves_again_after_the_reboot_stand_in(daemon, tmp_path):
    home = tmp_path / "home"
    (home / "user").mkdir(parents=True)
    p = Platform(home=home, api_port=free_port(), http_port=free_port(),
                 instance=f"t{os.getpid()}reboot", drain_seconds=0,
                 settings={"PAAS_HTTPS_PORT": str(free_port()), "PAAS_SUPERVISE": "1",
                           "PAAS_ACME_DIRECTORY": "", "PAAS_FIREWALL": "off",
                           "DOCKER_HOST": daemon.host})

    def control(verb: str, **env) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "paas.server.control", verb],
                              env={**p.env, **env}, capture_output=True, text=True,
                              timeout=900, cwd=ROOT)

    up = control("up")
    assert up.returncode == 0, up.stdout + up.stderr
    try:
        apps = ("one", "two")
        for app in apps:
            repo = copy_app("procfile-only", tmp_path / app, p.env)
            assert p.paas("apps:create", app).returncode == 0
            assert p.paas("git:remote", "-a", app, cwd=repo).returncode == 0
            p.push(repo)
            p.wait_for(app, "hello from a Procfile-only app", timeout=60)

        def serving() -> bool:
            return http_get(f"{p.api_url}/api/v1/health", timeout=1)[0] == 200 and \
                all(p.get(app)[0] == 200 for app in apps)

        # The stand-in: every platform process and the daemon with everything it runs, at once.
        ids = daemon.docker("ps", "-q").stdout.decode().split()
        state = daemon.docker("inspect", "-f", "{{.State.Pid}}", *ids).stdout.decode()
        victims = [int(x) for x in state.split() if x != "0"] + daemon.own_pids()
        assert len(victims) >= 4
        for pid in victims:
            _kill(pid)
        deadline = time.monotonic() + 30
        while any(Path(f"/proc/{pid}").exists() for pid in victims) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not serving()
        started = time.monotonic()
        daemon.start()
        while not serving():
            assert time.monotonic() - started < REBOOT_GOAL, \
                f"not all back within {REBOOT_GOAL}s after the daemon started"
            time.sleep(0.1)
        took = time.monotonic() - started
        print(f"recovery: API and {len(apps)} apps after the reboot stand-in: {took:.2f} s")
    finally:
        control("uninstall", CONFIRM="yes")
