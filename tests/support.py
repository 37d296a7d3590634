"""Helpers shared by the integration and end-to-end tests: ports, processes, Docker cleanup."""
from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_APPS = ROOT / "tests" / "fixtures" / "apps"
PAAS = str(Path(sys.executable).with_name("paas"))


def free_port() -> int:
    """A free port below the kernel's ephemeral range, where Docker also picks the host ports
    of published containers: a port from there could be taken by a container before we bind it."""
    for _ in range(200):
        port = random.randint(20000, 32000)
        with socket.socket() as sock:
            try:
                sock.bind(("0.0.0.0", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port between 20000 and 32000")


def http_get(url: str, host: str | None = None, timeout: float = 5) -> tuple[int, str]:
    req = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()
    except OSError as err:  # refused, reset, timed out: nothing answered
        return 0, f"{type(err).__name__}: {err}"


def remove_host_rules(instance: str) -> None:
    """The instance's firewall chain and its PAAS-ROUTERS rules (`up` made them as root; `down`
    keeps them for the apps), and the router's temp dir outside PAAS_HOME, for platforms a
    test stops with `down` instead of `uninstall`."""
    from paas.adapters.iptables import Iptables
    from paas.settings import Settings

    Iptables().remove_all(instance)
    temp = Settings(home=Path("/nonexistent"), instance=instance).nginx_temp_dir.parent
    shutil.rmtree(temp, ignore_errors=True)


def remove_docker_objects(instance: str) -> None:
    """Remove every container, image, volume and network labelled with this instance."""
    import docker

    client = docker.from_env()
    label = f"paas.instance={instance}"
    # A control plane that is still stopping may start one more container after a pass (its
    # convergence replaces what went): pass again until none is left.
    for _ in range(5):
        found = client.containers.list(all=True, filters={"label": label}, sparse=True)
        if not found:
            break
        for container in found:
            try:
                container.remove(force=True, v=True)
            except docker.errors.NotFound:
                pass
        time.sleep(0.5)
    for _ in range(3):  # children first: Docker keeps an image others are built on
        for image in client.images.list(filters={"label": label}):
            try:
                client.images.remove(image.id, force=True)
            except docker.errors.APIError as exc:
                if exc.status_code not in (404, 409):
                    raise
    for volume in client.volumes.list(filters={"label": label}):
        volume.remove(force=True)
    for network in client.networks.list(filters={"label": label}):
        for attempt in range(3):
            try:
                network.remove()
                break
            except docker.errors.APIError:  # a container started meanwhile (a shutting-down API)
                if attempt == 2:
                    raise
                network.reload()
                for cid in network.attrs.get("Containers") or {}:
                    client.containers.get(cid).remove(force=True, v=True)
    for volume in client.volumes.list():
        if volume.name.startswith(f"paas-{instance}-"):
            volume.remove(force=True)


@dataclass
class Platform:
    home: Path
    api_port: int
    http_port: int
    instance: str
    keep_releases: int = 10
    drain_seconds: float = 10
    settings: dict[str, str] | None = None  # more PAAS_* settings for this platform

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PAAS_")}
        env.update({
            "PAAS_HOME": str(self.home), "PAAS_API_PORT": str(self.api_port),
            "PAAS_HTTP_PORT": str(self.http_port), "PAAS_INSTANCE": self.instance,
            "PAAS_API_URL": self.api_url, "GIT_TERMINAL_PROMPT": "0",
            "PAAS_KEEP_RELEASES": str(self.keep_releases),
            "PAAS_DRAIN_SECONDS": str(self.drain_seconds),
            # Host processes unless a test asks for the supervised containers (tests/faults).
            "PAAS_SUPERVISE": "0", **(self.settings or {}),
            "HOME": str(self.home / "user"),
            "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
        })
        if (self.home / "admin-token").exists():
            env["PAAS_TOKEN"] = self.token
        return env

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def router_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def https_port(self) -> int:
        return int((self.settings or {})["PAAS_HTTPS_PORT"])

    @property
    def token(self) -> str:
        return (self.home / "admin-token").read_text().strip()

    def control(self, verb: str, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "paas.server.control", verb],
                              env={**self.env, **env},
                              capture_output=True, text=True, timeout=120, cwd=ROOT)

    def paas_cmd(self) -> list[str]:
        return [PAAS]

    def paas(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([PAAS, *args], env=self.env, capture_output=True, text=True,
                              timeout=120, cwd=cwd)

    def deploy(self, app: str, fixture: str, workdir: Path) -> Path:
        """Create the app, push a copy of a fixture app to it; the copy's path."""
        created = self.paas("apps:create", app)
        assert created.returncode == 0, created.stderr
        repo = copy_app(fixture, workdir / app, self.env)
        assert self.paas("git:remote", "-a", app, cwd=repo).returncode == 0
        self.push(repo)
        return repo

    def push(self, repo: Path) -> subprocess.CompletedProcess:
        result = self.git("push", "paas", "main", cwd=repo)
        assert result.returncode == 0, result.stderr
        return result

    def git(self, *args: str, cwd: Path) -> subprocess.CompletedProcess:
        return subprocess.run(["git", *args], env=self.env, capture_output=True, text=True,
                              timeout=900, cwd=cwd)

    def get(self, app: str, path: str = "/") -> tuple[int, str]:
        return http_get(self.router_url + path, host=f"{app}.localhost")

    def wait_for(self, app: str, text: str, timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        body = ""
        while time.monotonic() < deadline:
            status, body = self.get(app)
            if status == 200 and text in body:
                return body
            time.sleep(0.2)
        raise AssertionError(f"{app} never answered with {text!r}; last body: {body!r}")


def start_platform(base: Path, name: str, keep_releases: int = 10,
                   drain_seconds: float = 10, settings: dict[str, str] | None = None,
                   http_port: int | None = None) -> Platform:
    home = base / name
    (home / "user").mkdir(parents=True)
    # Every platform gets its own HTTPS port too: the default, 443, is one per host.
    settings = {"PAAS_HTTPS_PORT": str(free_port()), **(settings or {})}
    platform = Platform(home=home, api_port=free_port(), http_port=http_port or free_port(),
                        instance=f"t{os.getpid()}{name}", keep_releases=keep_releases,
                        drain_seconds=drain_seconds, settings=settings)
    result = platform.control("up")
    assert result.returncode == 0, result.stdout + result.stderr
    return platform


def stop_platform(platform: Platform) -> None:
    # Down, and everything it made goes: containers, images, its firewall chain, PAAS_HOME.
    # Without CONFIRM=yes (and no terminal) uninstall refuses and stops nothing.
    try:
        result = platform.control("uninstall", CONFIRM="yes")
        assert result.returncode == 0, result.stdout + result.stderr
    finally:
        remove_docker_objects(platform.instance)


def copy_app(fixture: str, dest: Path, env: dict[str, str]) -> Path:
    """A git repo of the fixture app. A fixture with a `.base` file is that other fixture with
    its own files laid over it (so variants do not repeat the base app)."""
    base = FIXTURE_APPS / fixture / ".base"
    if base.exists():
        shutil.copytree(FIXTURE_APPS / base.read_text().strip(), dest)
    shutil.copytree(FIXTURE_APPS / fixture, dest, dirs_exist_ok=True)
    (dest / ".base").unlink(missing_ok=True)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "first"]):
        subprocess.run(["git", *args], cwd=dest, env=env, check=True, capture_output=True)
    return dest


def commit_all(repo: Path, env: dict[str, str], message: str) -> str:
    subprocess.run(["git", "add", "-A"], cwd=repo, env=env, check=True)
    subprocess.run(["git", "commit", "-qm", message], cwd=repo, env=env, check=True)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, env=env, check=True,
                          capture_output=True, text=True).stdout.strip()
