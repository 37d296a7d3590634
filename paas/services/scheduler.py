"""The scheduler: start containers of a release, check that they are healthy, retire old ones.

Decides when a container counts as up and how old ones leave (drain, then SIGTERM, then
SIGKILL); Docker work goes through the Engine port, HTTP checks through the Probe port.
"""
from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from paas.domain.backoff import RESET_AFTER, CrashLoop, Run, crash_loop
from paas.domain.models import Release
from paas.errors import DeployFailed
from paas.ports import ContainerState, Engine, LineWriter, Probe
from paas.domain.healthchecks import Check
from paas.domain.listeners import parse_listeners, why_not_answering
from paas.domain.networks import free_subnet
from paas.domain.resources import MAX_PLATFORM_CONTAINERS, effective
from paas.render.container import (ImageFacts, image_facts, labels, network_name, oneoff_spec,
                                   process_spec)
from paas.render.plan import Running
from paas.services import subnets
from paas.settings import Settings

BOOT_TIMEOUT = 60.0
SETTLE_SECONDS = 0.5
POLL_SECONDS = 0.02
HINT_AFTER = 2.0  # seconds of silence before looking at what the container listens on
KILL_AFTER = 30  # seconds between SIGTERM and SIGKILL when a container is stopped
NETWORK_ATTEMPTS = 5
CRASH_RESTARTS = 3  # Docker's own quick restarts (0.1 s, 0.2 s, 0.4 s) before backoff takes over
# Exit statuses of a container the platform stopped (SIGTERM through the init): not a crash.
STOPPED_STATUSES = (0, 143)
FAILED_STOP_SECONDS = 2  # a failed deploy's container gets no drain: it never served


@dataclass(frozen=True)
class Process:
    """A process of an app as users see it (`ps`)."""
    name: str  # web.1
    process: str
    index: int
    state: str  # Docker's, or "draining"
    release: int
    started_at: str
    uptime_seconds: float | None
    restarts: int
    oom_killed: bool
    node: str = ""  # the swarm node's address it runs on (PAAS_SCHEDULER=swarm)
    exit_status: int | None = None  # of the last crash, when state is "crashed"
    next_try: str = ""  # ISO time of the next start of a "crashed" slot


@dataclass(frozen=True)
class Started:
    container_id: str
    process: str
    index: int
    address: str | None  # host:port of a web process on its app network
    at: float  # time.monotonic() when it was started
    port: int  # where the app listens inside the container ($PORT)
    restarts: int = 0  # Docker's restart count when it was (re)started: any more is a crash


class Scheduler:
    def __init__(self, settings: Settings, engine: Engine, probe: Probe) -> None:
        self.settings = settings
        self.engine = engine
        self.probe = probe
        self._retiring: list[threading.Thread] = []
        # Containers draining before their stop: still running, but no longer part of the app.
        self._draining: set[str] = set()
        # Run before a release's containers start (bootstrap wires Storage.ensure: the
        # release's volumes exist, owned by its user).
        self.before_start: Callable[[Release, ImageFacts], None] = lambda release, facts: None
        # Hot standby (issue 14): replaced web containers a rollback may take back, with the
        # monotonic time their window ends (None while they still drain). Paused, because the
        # cgroup freezer costs no CPU, keeps the process and its warm memory, and thaws in
        # milliseconds; a stopped container would boot again, and one left running would keep
        # doing background work (timers, connections) for a release that no longer serves.
        self._standby: dict[str, float | None] = {}
        self._lock = threading.Lock()

    def processes_of(self, app: str | None) -> list[ContainerState]:
        """Every process container of the app (None: of every app), stopped ones included
        (their logs stay)."""
        return self.engine.list_containers(labels(self.settings.instance, app, kind="process"))

    def processes_by_app(self) -> dict[str, list[ContainerState]]:
        """Every app's process containers from one listing (for pages that show every app)."""
        found: dict[str, list[ContainerState]] = {}
        for c in self.processes_of(None):
            found.setdefault(c.labels.get("paas.app", ""), []).append(c)
        return found

    def is_draining(self, container_id: str) -> bool:
        return container_id in self._draining

    def processes(self, app: str, containers: list[ContainerState] | None = None) -> list[Process]:
        """The app's processes: web first, retired containers left out unless OOM-killed (their
        logs stay readable), those still finishing in-flight requests marked "draining".
        From `containers` when the caller has listed them."""
        found = []
        for c in self.processes_of(app) if containers is None else containers:
            if c.status == "exited" and not c.oom_killed:
                continue
            found.append(Process(
                name=f"{c.labels['paas.process']}.{c.labels['paas.index']}",
                process=c.labels["paas.process"], index=int(c.labels["paas.index"]),
                state=("draining" if self.is_draining(c.id) else
                       "standby" if c.status == "paused" else c.status),
                release=int(c.labels["paas.release"]), started_at=c.started_at,
                uptime_seconds=_uptime(c.started_at) if c.status == "running" else None,
                restarts=c.restart_count, oom_killed=c.oom_killed,
            ))
        listed = self.processes_of(app) if containers is None else containers
        for (process, index), (release, loop, last) in self.crash_loops(listed).items():
            found.append(Process(
                name=f"{process}.{index}", process=process, index=index, state="crashed",
                release=release, started_at=last.started_at, uptime_seconds=None,
                restarts=loop.crashes, oom_killed=last.oom_killed, exit_status=loop.last_exit,
                next_try=datetime.fromtimestamp(loop.next_try, timezone.utc).isoformat(
                    timespec="seconds")))
        return sorted(found, key=lambda p: (p.process != "web", p.process, p.index, p.release))

    def crash_loops(self, containers: list[ContainerState], now: float | None = None
                    ) -> dict[tuple[str, int], tuple[int, CrashLoop, ContainerState]]:
        """Slots with no live container whose newest release's runs crashed, and whose next
        try (paas/domain/backoff.py) is still ahead: (release, the loop, its last container).
        Convergence leaves these slots empty until then; `ps` shows them "crashed"."""
        now = time.time() if now is None else now
        live = {(c.labels.get("paas.process"), c.labels.get("paas.index"))
                for c in containers if c.status in ("running", "restarting", "paused")}
        runs: dict[tuple[str, int], dict[int, list[tuple[Run, ContainerState]]]] = {}
        for c in containers:
            slot = (c.labels.get("paas.process"), c.labels.get("paas.index"))
            if c.status != "exited" or slot in live or not slot[1]:
                continue
            run = Run(_epoch(c.started_at), _epoch(getattr(c, "finished_at", "")), c.exit_code,
                      crashes=1 + c.restart_count)
            runs.setdefault((slot[0], int(slot[1])), {}).setdefault(
                int(c.labels["paas.release"]), []).append((run, c))
        found = {}
        for slot, by_release in runs.items():
            release = max(by_release)
            history = sorted(by_release[release], key=lambda rc: rc[0].finished)
            crashes = []
            for run, c in reversed(history):  # newest first, up to the last clean stop
                if run.exit_code in STOPPED_STATUSES and not c.oom_killed:
                    break
                crashes.append(run)
            loop = crash_loop(crashes) if crashes else None
            if loop is not None and loop.next_try > now:
                found[slot] = (release, loop, history[-1][1])
        return found

    def running(self, app: str, containers: list[ContainerState] | None = None) -> list[Running]:
        """The app's live processes; from `containers` when the caller has listed them."""
        network = network_name(self.settings.instance, app)
        listed = self.processes_of(app) if containers is None else containers
        # A crash-looping slot waiting for its next try counts as taken (by its last, stopped
        # container, with no address), so no plan starts it before its backoff has passed.
        held = [Running(c.id, process, index, release, None)
                for (process, index), (release, _, c) in self.crash_loops(listed).items()]
        return [
            Running(c.id, c.labels["paas.process"], int(c.labels["paas.index"]),
                    int(c.labels["paas.release"]),
                    _address(c, network) if c.labels["paas.process"] == "web" else None)
            for c in listed
            if c.status in ("running", "restarting") and c.id not in self._draining
        ] + held

    @staticmethod
    def crash_looping(containers: list[ContainerState]) -> list[str]:
        """Containers Docker keeps restarting (CRASH_RESTARTS or more): convergence stops them,
        so that the platform's longer backoff (up to 5 min) takes over from Docker's."""
        # Docker's restart count never goes back down, so the last run must be short too: a
        # process that crashes once a day is no loop.
        return [c.id for c in containers
                if c.status == "restarting" and c.restart_count >= CRASH_RESTARTS
                and _epoch(getattr(c, "finished_at", "")) - _epoch(c.started_at) < RESET_AFTER]

    @staticmethod
    def web_addresses(containers: list[Running]) -> list[str]:
        """Where the router reaches these web processes; taken from the listing, so routing
        costs no Docker call per container."""
        return [c.address for c in containers if c.process == "web" and c.address]

    def start(self, release: Release, slots: tuple[tuple[str, int], ...], on_line: LineWriter,
              limits: dict[str, dict[str, str]] | None = None) -> list[Started]:
        nonce = secrets.token_hex(3)
        started: list[Started] = []
        if not slots:
            return started
        self.check_platform_cap(len(slots))
        self.ensure_network(release.app)
        facts = self.facts(release)
        self.before_start(release, facts)
        try:
            for process, index in slots:
                spec = process_spec(instance=self.settings.instance, release=release,
                                    process=process, index=index, nonce=nonce,
                                    resources=self.resources(limits, process), facts=facts)
                cid = self.engine.start(spec)
                address = None
                if process == "web":
                    state = self.engine.inspect(cid)
                    address = _address(state, network_name(self.settings.instance, release.app)) if state else None
                started.append(Started(cid, process, index, address, time.monotonic(), facts.port))
                on_line(f"       starting {process}.{index}")
        except Exception:
            self.remove([s.container_id for s in started])
            raise
        return started

    def run_once(self, release: Release, command: str, on_line: LineWriter,
                 limits: dict[str, dict[str, str]] | None = None,
                 timeout: float | None = None) -> int:
        """A one-off container of the release with its config; its exit status (124 when it
        was stopped at `timeout` seconds)."""
        self.ensure_network(release.app)
        facts = self.facts(release)
        self.before_start(release, facts)
        spec = oneoff_spec(instance=self.settings.instance, release=release, command=command,
                           nonce=secrets.token_hex(3), resources=self.resources(limits, "run"),
                           facts=facts)
        return self.engine.run_once(spec, on_line, timeout=timeout)

    def resources(self, limits: dict[str, dict[str, str]] | None, process: str) -> dict[str, str]:
        """The limits of a container: every one gets a memory limit (PAAS_DEFAULT_MEMORY)
        unless resources:set gave it another."""
        return effective(limits or {}, process, {"memory": self.settings.default_memory})

    def data_node(self) -> str:
        """The node named volumes and datastores live on: "" on one host (no nodes)."""
        return ""

    def check_platform_cap(self, adding: int) -> None:
        running = self.engine.list_containers({"paas.instance": self.settings.instance,
                                               "paas.kind": "process"})
        if len(running) + adding > MAX_PLATFORM_CONTAINERS:
            raise DeployFailed(f"the platform runs {len(running)} containers and may run at most "
                               f"{MAX_PLATFORM_CONTAINERS}: scale some apps down first")

    def facts(self, release: Release) -> ImageFacts:
        return image_facts(self.engine.image_config(release.image))

    def ensure_network(self, app: str) -> None:
        """The app's own network, on a free subnet of the platform's pool."""
        name = network_name(self.settings.instance, app)
        if self.engine.network_exists(name):
            return
        with subnets.PICKING:
            self._create_network(app, name)

    def _create_network(self, app: str, name: str) -> None:
        if self.engine.network_exists(name):
            return
        pool, size = self.settings.network_pool, self.settings.network_size
        # Another platform on this daemon may take the subnet between our look and our create.
        for _ in range(NETWORK_ATTEMPTS):
            subnet = free_subnet(pool, size, self.engine.subnets_in_use())
            if subnet is None:
                raise DeployFailed(f"no free /{size} subnet left in PAAS_NETWORK_POOL={pool} for "
                                   f"the network of {app}: give paas a larger pool")
            if self._make_network(name, labels(self.settings.instance, app), subnet):
                return
        raise DeployFailed(f"could not create the network of {app}: its subnet was taken "
                           f"{NETWORK_ATTEMPTS} times in a row")

    def _make_network(self, name: str, labels: dict[str, str], subnet: str) -> bool:
        """A bridge on this host; False when the subnet was taken meanwhile."""
        return self.engine.create_network(name, labels, subnet)

    def wait_healthy(self, started: list[Started], checks: dict[str, list[Check]] | None = None) -> None:
        """Every web container must pass its declared checks (app.json), or by default answer
        HTTP without a 5xx within BOOT_TIMEOUT; every container must still run SETTLE_SECONDS
        after its start (a process that dies right after booting fails the deploy). Raises
        DeployFailed saying why."""
        self.wait_answering(started, checks)
        self.wait_settled(started)

    @staticmethod
    def settle_left(started: list[Started]) -> float:
        """Seconds until the youngest container has run SETTLE_SECONDS."""
        return max([s.at + SETTLE_SECONDS - time.monotonic() for s in started] + [0.0])

    def wait_answering(self, started: list[Started], checks: dict[str, list[Check]] | None = None) -> None:
        """The checks of `wait_healthy` without the settle (see `wait_settled`)."""
        checks = checks or {}
        for item in started:
            if item.process == "web" and checks.get("web"):
                for check in checks["web"]:
                    self._run_check(item, check)
            elif item.process == "web":
                self._wait_web(item)

    def wait_settled(self, started: list[Started]) -> None:
        """Every container still runs SETTLE_SECONDS after its start; raises DeployFailed."""
        for item in started:
            time.sleep(max(0.0, item.at + SETTLE_SECONDS - time.monotonic()))
            self._require_running(item)

    def _wait_web(self, item: Started) -> None:
        deadline = time.monotonic() + BOOT_TIMEOUT
        last = None
        next_look = time.monotonic() + HINT_AFTER
        while time.monotonic() < deadline:
            self._require_running(item)
            answer = self.probe.http_get(item.address) if item.address else None
            last = answer[0] if answer else None
            if last is not None and last < 500:
                return
            if last is None and time.monotonic() > next_look:
                # Listening, but not where we can reach it: no use waiting out the timeout.
                hint = self._listen_hint(item)
                if hint:
                    raise DeployFailed(f"{item.process}.{item.index} does not answer on $PORT: {hint}")
                next_look = time.monotonic() + HINT_AFTER
            time.sleep(POLL_SECONDS)
        name = f"{item.process}.{item.index}"
        if last is None:
            raise DeployFailed(f"{name} did not bind $PORT ({item.port}) within {BOOT_TIMEOUT:.0f}s: "
                               "make it listen on 0.0.0.0:$PORT")
        raise DeployFailed(f"{name} answered / with status {last}: it must answer without a 5xx")

    def _run_check(self, item: Started, check: Check) -> None:
        """Poll quickly until the check passes or its attempts' worth of time is spent."""
        time.sleep(max(0.0, item.at + check.initial_delay - time.monotonic()))
        deadline = time.monotonic() + check.deadline - check.initial_delay
        answer = None
        while True:
            self._require_running(item)
            answer = self.probe.http_get(item.address, check.path, check.timeout) if item.address else None
            if answer and 200 <= answer[0] < 300 and check.content in answer[1]:
                return
            if time.monotonic() >= deadline:
                break
            time.sleep(POLL_SECONDS)
        name = f"{item.process}.{item.index}"
        if answer is None:
            raise DeployFailed(f"{name} did not answer its health check {check.path} within "
                               f"{check.deadline:.0f}s: make it listen on 0.0.0.0:$PORT")
        if not 200 <= answer[0] < 300:
            raise DeployFailed(f"{name}: health check {check.path} answered status {answer[0]}; "
                               "it must answer 2xx")
        raise DeployFailed(f"{name}: health check {check.path} answered without {check.content!r}")

    def _listen_hint(self, item: Started) -> str | None:
        text = self.engine.exec_output(item.container_id, ["cat", "/proc/net/tcp", "/proc/net/tcp6"])
        return why_not_answering(parse_listeners(text), item.port)

    def _require_running(self, item: Started) -> None:
        state = self.engine.inspect(item.container_id)
        if state is not None and state.status == "running" and state.restart_count == item.restarts:
            return
        code = state.exit_code if state else "unknown"
        tail = self.engine.logs(item.container_id, tail=20).rstrip()
        raise DeployFailed(f"{item.process}.{item.index} crashed on boot (exit status {code})",
                           detail=f"last log lines of {item.process}.{item.index}:\n{tail}" if tail else "")

    def retire(self, container_ids: list[str] | tuple[str, ...],
               standby: list[str] | tuple[str, ...] = ()) -> None:
        """Old containers finish in-flight requests for the drain time, then get SIGTERM, and
        SIGKILL after KILL_AFTER; those in `standby` are paused instead, for
        PAAS_STANDBY_SECONDS (0: no standby). The caller does not wait for the drain."""
        ids = list(container_ids)
        if not ids:
            return
        keep = set(standby) & set(ids) if self.settings.standby_seconds > 0 else set()
        with self._lock:
            self._draining.update(ids)
            self._standby.update({cid: None for cid in keep})
        if self.settings.drain_seconds <= 0:
            self._settle(ids)
            return
        thread = threading.Thread(target=self._drain_then_settle, args=(ids,), daemon=True)
        self._retiring = [t for t in self._retiring if t.is_alive()] + [thread]
        thread.start()

    def _drain_then_settle(self, ids: list[str]) -> None:
        time.sleep(self.settings.drain_seconds)
        self._settle(ids)

    def _settle(self, ids: list[str]) -> None:
        """After the drain: pause the standby ones, stop the rest; skip any that a rollback
        took back meanwhile."""
        stop = []
        for cid in ids:
            with self._lock:
                if cid not in self._draining:
                    continue  # resumed by a rollback while it drained
                if cid in self._standby:
                    if self._hold(cid):
                        self._standby[cid] = time.monotonic() + self.settings.standby_seconds
                        self._draining.discard(cid)
                        continue
                    del self._standby[cid]
            stop.append(cid)
        self._stop_all(stop)

    def _stop_all(self, ids: list[str]) -> None:
        for cid in ids:
            self.engine.stop(cid, timeout=KILL_AFTER)
            self._draining.discard(cid)

    def resume(self, app: str, releases: set[int], slots: set[tuple[str, int]]) -> list[Started]:
        """Take standby web containers of `releases` back for the wanted `slots`: thawed (or
        simply no longer draining), and returned for the same checks as new containers."""
        with self._lock:
            candidates = set(self._standby)
        if not candidates:
            return []
        network = network_name(self.settings.instance, app)
        taken: list[Started] = []
        for c in sorted(self.processes_of(app), key=lambda c: c.id):
            slot = (c.labels.get("paas.process"), int(c.labels.get("paas.index", 0)))
            if (c.id not in candidates or slot not in slots or slot in {(s.process, s.index) for s in taken}
                    or int(c.labels.get("paas.release", 0)) not in releases):
                continue
            with self._lock:
                if self._standby.pop(c.id, "gone") == "gone":
                    continue
                self._draining.discard(c.id)
                if c.status == "paused" and not self._thaw(c.id):
                    continue
            taken.append(self._taken_back(c, slot, network))
        return taken

    def _hold(self, container_id: str) -> bool:
        """Keep a drained container in standby: paused (False if it could not be)."""
        return self.engine.pause(container_id)

    def _thaw(self, container_id: str) -> bool:
        return self.engine.unpause(container_id)

    def _taken_back(self, c: ContainerState, slot: tuple[str, int], network: str) -> Started:
        # It has long outlived the settle; only a crash from now on fails the checks.
        return Started(c.id, slot[0], slot[1], _address(c, network),
                       time.monotonic() - SETTLE_SECONDS, c.port or 0, c.restart_count)

    def expire_standby(self, app: str, everything: bool = False,
                       containers: list[ContainerState] | None = None) -> list[str]:
        """Stop the app's paused containers whose window has ended (every one with
        `everything`), and those paused before the control plane restarted (their window is
        unknown). Thawed first: a frozen process cannot act on SIGTERM."""
        ended = []
        for c in self.processes_of(app) if containers is None else containers:
            if c.status != "paused":
                continue
            with self._lock:
                if everything or self.standby_due(c.id):
                    self._standby.pop(c.id, None)
                    ended.append(c.id)
        if ended:
            thread = threading.Thread(target=self._thaw_and_stop, args=(ended,), daemon=True)
            self._retiring = [t for t in self._retiring if t.is_alive()] + [thread]
            thread.start()
        return ended

    def standby_due(self, container_id: str) -> bool:
        """A paused container's window has ended, or is unknown (paused before a restart)."""
        deadline = self._standby.get(container_id)
        return deadline is None or time.monotonic() >= deadline

    def _thaw_and_stop(self, ids: list[str]) -> None:
        for cid in ids:
            self._thaw(cid)
        self._stop_all(ids)

    def wait_retired(self, timeout: float | None = None) -> None:
        for thread in list(self._retiring):
            thread.join(timeout)

    def keep_stopped(self, container_ids: list[str]) -> None:
        """Stop (explicitly, so Docker's restart policy leaves them down) the containers of a
        failed deploy without removing them: their logs stay readable by release."""
        for cid in container_ids:
            self.engine.stop(cid, timeout=FAILED_STOP_SECONDS)

    def remove(self, container_ids: list[str]) -> None:
        for cid in container_ids:
            self.engine.remove_container(cid)


def _address(container: ContainerState, network: str) -> str | None:
    """host:port of a container on its app network (the host has an interface on every bridge).
    A container made before app networks existed is reached on the one network it has."""
    ip = container.addresses.get(network)
    if ip is None and len(container.addresses) == 1:
        ip = next(iter(container.addresses.values()))
    return f"{ip}:{container.port}" if ip and container.port else None


def _epoch(stamp: str) -> float:
    try:
        return datetime.fromisoformat(stamp[:26].rstrip("Z") + "+00:00").timestamp()
    except ValueError:
        return 0.0


def _uptime(started_at: str) -> float | None:
    try:
        started = datetime.fromisoformat(started_at[:26].rstrip("Z") + "+00:00")
    except ValueError:
        return None
    return max(0.0, time.time() - started.timestamp())
