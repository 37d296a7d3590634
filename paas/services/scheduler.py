"""The scheduler: start a release's containers, check that they are healthy, retire old ones.

Decides which containers a formation needs and when a container counts as up; Docker work goes
through the Engine port, HTTP checks through the Probe port.
"""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from paas.domain.models import Release
from paas.errors import DeployFailed
from paas.ports import ContainerState, Engine, LineWriter, Probe
from paas.render.container import APP_PORT, labels, process_spec
from paas.settings import Settings

BOOT_TIMEOUT = 60.0
SETTLE_SECONDS = 0.5
POLL_SECONDS = 0.02


@dataclass(frozen=True)
class Started:
    container_id: str
    process: str
    index: int
    host_port: int | None
    at: float  # time.monotonic() when it was started


class Scheduler:
    def __init__(self, settings: Settings, engine: Engine, probe: Probe) -> None:
        self.settings = settings
        self.engine = engine
        self.probe = probe

    def processes_of(self, app: str) -> list[ContainerState]:
        return self.engine.list_containers(labels(self.settings.instance, app, kind="process"))

    def start(self, release: Release, formation: dict[str, int], on_line: LineWriter) -> list[Started]:
        nonce = secrets.token_hex(3)
        started: list[Started] = []
        try:
            for process in sorted(formation, key=lambda p: (p != "web", p)):
                if process not in release.processes:
                    if formation[process] > 0:
                        on_line(f"       no '{process}' process type in this release; not started")
                    continue
                for index in range(1, formation[process] + 1):
                    spec = process_spec(instance=self.settings.instance, release=release,
                                        process=process, index=index, nonce=nonce,
                                        bind_host=self.settings.bind_host)
                    cid = self.engine.start(spec)
                    port = self.engine.host_port(cid, f"{APP_PORT}/tcp") if process == "web" else None
                    started.append(Started(cid, process, index, port, time.monotonic()))
                    on_line(f"       starting {process}.{index}")
        except Exception:
            self.remove([s.container_id for s in started])
            raise
        return started

    def wait_healthy(self, started: list[Started]) -> None:
        """Every web container must answer HTTP without a 5xx within BOOT_TIMEOUT, and every
        container must still run SETTLE_SECONDS after its start (a process that dies right
        after booting fails the deploy). Raises DeployFailed saying why."""
        for item in started:
            if item.process == "web":
                self._wait_web(item)
        for item in started:
            time.sleep(max(0.0, item.at + SETTLE_SECONDS - time.monotonic()))
            self._require_running(item)

    def _wait_web(self, item: Started) -> None:
        deadline = time.monotonic() + BOOT_TIMEOUT
        last = None
        while time.monotonic() < deadline:
            self._require_running(item)
            last = self.probe.http_status(item.host_port) if item.host_port else None
            if last is not None and last < 500:
                return
            time.sleep(POLL_SECONDS)
        if last is None:
            raise DeployFailed(
                f"{item.process}.{item.index} did not answer HTTP on $PORT ({APP_PORT}) within "
                f"{BOOT_TIMEOUT:.0f}s: make it listen on 0.0.0.0:$PORT, not 127.0.0.1"
            )
        raise DeployFailed(f"{item.process}.{item.index} answered with status {last} on /")

    def _require_running(self, item: Started) -> None:
        state = self.engine.inspect(item.container_id)
        if state is not None and state.status == "running":
            return
        code = state.exit_code if state else "unknown"
        tail = self.engine.logs(item.container_id, tail=20).rstrip()
        raise DeployFailed(f"{item.process}.{item.index} crashed on boot (exit status {code})",
                           detail=f"last log lines of {item.process}.{item.index}:\n{tail}" if tail else "")

    def retire(self, container_ids: list[str], timeout: int = 10) -> None:
        for cid in container_ids:
            self.engine.stop(cid, timeout=timeout)
        self.remove(container_ids)

    def remove(self, container_ids: list[str]) -> None:
        for cid in container_ids:
            self.engine.remove_container(cid)
