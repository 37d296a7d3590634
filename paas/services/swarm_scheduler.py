"""The `swarm` scheduler: the same port as the single-host one (`paas.services.scheduler`),
with every process of a release a Swarm service of one replica on whichever node Swarm picks.

The deploy algorithm, the plan and the router do not know which scheduler runs: a process is
still a (type, index) slot with an id (the service's), health checks still gate the swap, and
the router gets the Address (node address, published port) of each running web task instead of
a loopback port. A task moved by Swarm to another node (a node died or was drained) changes its
Address; convergence re-routes to it.
"""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field, replace

from paas.domain.address import Address
from paas.domain.healthchecks import Check
from paas.domain.models import Release
from paas.errors import DeployFailed
from paas.ports import Engine, LineWriter, Probe, Swarm
from paas.render.container import labels, process_spec
from paas.render.plan import Running
from paas.render.swarm import avoid_label, service_spec, spread_node
from paas.services.scheduler import (BOOT_TIMEOUT, POLL_SECONDS, SETTLE_SECONDS, Process,
                                     Scheduler)
from paas.settings import Settings

# Task states on the way to running; any other state of a task Swarm wants running is a failure.
ON_THE_WAY = ("new", "allocated", "pending", "assigned", "accepted", "preparing", "ready",
              "starting")


CONNECT_TIMEOUT = 0.5


@dataclass
class Placed:
    """A started process (the `Started` of one host): `address` is known once its task runs;
    the deploy reads it after `wait_answering`."""
    container_id: str  # the service's id
    process: str
    index: int
    address: str | None  # node address:published port, once its task runs
    at: float
    port: int
    restarts: int = 0
    avoid: str = ""  # the node label keeping it off the other nodes, removed once it runs


@dataclass(frozen=True)
class TaskState:
    """A process as `processes_of` reports it, shaped like a container's state."""
    id: str  # the service's id
    name: str
    status: str
    labels: dict[str, str]
    exit_code: int
    oom_killed: bool
    restart_count: int
    started_at: str
    finished_at: str
    node_id: str
    addresses: dict = field(default_factory=dict)
    port: int | None = None


class SwarmScheduler(Scheduler):
    def __init__(self, settings: Settings, engine: Engine, swarm: Swarm, probe: Probe) -> None:
        super().__init__(settings, engine, probe)
        self.swarm = swarm

    def _services(self, app: str) -> list:
        return self.swarm.services(labels(self.settings.instance, app, kind="process"))

    def _live_tasks(self, service_ids: list[str]) -> dict[str, list]:
        """Each service's tasks that Swarm wants running, newest first."""
        out: dict[str, list] = {sid: [] for sid in service_ids}
        for task in self.swarm.tasks(service_ids):
            if task.desired == "running":
                out.setdefault(task.service_id, []).append(task)
        for tasks in out.values():
            tasks.sort(key=lambda t: t.timestamp, reverse=True)
        return out

    def processes_of(self, app: str) -> list[TaskState]:
        services = self._services(app)
        tasks = self._live_tasks([s.id for s in services])
        every = self.swarm.tasks([s.id for s in services]) if services else []
        found = []
        for s in services:
            task = (tasks.get(s.id) or [None])[0]
            state = "running" if task and task.state == "running" else (
                "starting" if task else "pending")
            failed = sum(1 for t in every if t.service_id == s.id and t.state in ("failed", "rejected"))
            if self._standby.get(s.id) is not None:
                state = "paused"  # held in standby: running, unrouted (see `_hold`)
            found.append(TaskState(s.id, s.name, state, s.labels, task.exit_code if task else 0,
                                   False, failed, task.timestamp if task else s.created, "",
                                   task.node_id if task else ""))
        return found

    def processes(self, app: str, containers: list | None = None) -> list[Process]:
        """As on one host, with the address of the node each process runs on. From
        `containers` (TaskStates of processes_of) when the caller has listed them."""
        tasks = self.processes_of(app) if containers is None else containers
        where = {(t.labels["paas.process"], int(t.labels["paas.index"]), int(t.labels["paas.release"])):
                 t.node_id for t in tasks}
        nodes = {n.id: n.addr for n in self.swarm.nodes()} if where else {}
        return [replace(p, node=nodes.get(where.get((p.process, p.index, p.release), ""), ""))
                for p in super().processes(app, tasks)]

    def running(self, app: str, containers=None) -> list[Running]:
        """A service is the process: Swarm keeps it running, on another node if need be. A web
        process's address is its running task's node and published port."""
        services = [s for s in self._services(app)
                    if s.id not in self._draining and s.id not in self._standby]
        web = self._addresses([s.id for s in services if s.labels.get("paas.process") == "web"])
        # Swarm takes some seconds to see a node die, and a task it has just restarted elsewhere
        # may not listen yet: route where connections are accepted, unless nowhere is.
        live = {sid: a for sid, a in web.items() if a and self.probe.connects(a, CONNECT_TIMEOUT)}
        chosen = live or web
        return [Running(s.id, s.labels["paas.process"], int(s.labels["paas.index"]),
                        int(s.labels["paas.release"]), chosen.get(s.id))
                for s in services]

    def _addresses(self, service_ids: list[str]) -> dict[str, str | None]:
        if not service_ids:
            return {}
        addrs = {n.id: n.addr for n in self.swarm.nodes() if n.state == "ready"}
        out: dict[str, str | None] = {}
        for sid, tasks in self._live_tasks(service_ids).items():
            task = next((t for t in tasks if t.state == "running" and t.published_port
                         and addrs.get(t.node_id)), None)
            out[sid] = str(Address(addrs[task.node_id], task.published_port)) if task else None
        return out

    def start(self, release: Release, slots: tuple[tuple[str, int], ...], on_line: LineWriter,
              limits: dict[str, dict[str, str]] | None = None) -> list[Placed]:
        placed: list[Placed] = []
        if not slots:
            return placed
        self.check_platform_cap(len(slots))
        self.ensure_network(release.app)
        facts = self.facts(release)
        # Named volumes are local to a node: the manager's, where paas makes them (and runs
        # `paas run`); every process of an app that mounts one is bound to that node.
        pin = self.swarm.local_node() if release.mounts else None
        if pin:
            self.before_start(release, facts)
        image = self.swarm.publish(release.image)
        nonce = secrets.token_hex(3)
        eligible, holding = self._spread_facts(release.app, set(slots)) if not pin else ([], {})
        try:
            for process, index in slots:
                node = spread_node(eligible, holding.setdefault(process, []))
                if node:
                    holding[process].append(node)
                container = process_spec(instance=self.settings.instance, release=release,
                                         process=process, index=index, nonce=nonce,
                                         resources=self.resources(limits, process), facts=facts)
                container["image"] = image
                avoid = avoid_label(container["name"].replace(".", "-")) if node else ""
                if avoid:
                    self.swarm.label_nodes([n for n in eligible if n != node], avoid, "1")
                spec = service_spec(container, port=facts.port if process == "web" else None,
                                    avoid=avoid or None, pin=pin, wrap_nnp=not facts.dockerfile)
                try:
                    sid = self.swarm.create_service(spec)
                except Exception:
                    if avoid:
                        self.swarm.label_nodes([], avoid, None)
                    raise
                placed.append(Placed(sid, process, index, None, time.monotonic(), facts.port,
                                     avoid=avoid))
                on_line(f"       starting {process}.{index}")
        except Exception:
            self.remove([p.container_id for p in placed])
            for p in placed:
                if p.avoid:
                    self.swarm.label_nodes([], p.avoid, None)
            raise
        return placed

    def data_node(self) -> str:
        """Where named volumes and datastores live: the manager's node (its address)."""
        here = self.swarm.local_node()
        return next((n.addr for n in self.swarm.nodes() if n.id == here), "")

    def _spread_facts(self, app: str, replacing: set[tuple[str, int]] = frozenset()
                      ) -> tuple[list[str], dict[str, list[str]]]:
        """The nodes a new task may go to (ready, active), and per process type the node of
        each of the app's tasks Swarm wants running: `start` spreads a type's slots over them.
        The slots being started (`replacing`) do not count: their old tasks are going away
        (a deploy after the app was pinned to one node would otherwise pile onto the other)."""
        eligible = [n.id for n in self.swarm.nodes() if n.state == "ready" and n.availability == "active"]
        if len(eligible) < 2:
            return eligible, {}
        # Not the services being stopped (scaled down, replaced): they are going away.
        services = [s for s in self._services(app)
                    if s.id not in self._draining and s.id not in self._standby
                    and (s.labels.get("paas.process"), int(s.labels.get("paas.index", 0)))
                    not in replacing]
        kind = {s.id: s.labels.get("paas.process", "") for s in services}
        holding: dict[str, list[str]] = {}
        for sid, tasks in self._live_tasks(list(kind)).items() if kind else ():
            if tasks and tasks[0].node_id:
                holding.setdefault(kind.get(sid, ""), []).append(tasks[0].node_id)
        return eligible, holding

    def wait_answering(self, started: list, checks: dict[str, list[Check]] | None = None) -> None:
        """Every task running first (its address known), then the single-host checks."""
        deadline = time.monotonic() + BOOT_TIMEOUT
        waiting = {p.container_id: p for p in started}
        while waiting:
            for sid, address in self._addresses(list(waiting)).items():
                if address or waiting[sid].process != "web":
                    if self._task_running(sid):
                        item = waiting.pop(sid)
                        item.address = address
                        if item.avoid:  # free to move when its node drains or dies
                            self.swarm.label_nodes([], item.avoid, None)
                            item.avoid = ""
            for item in waiting.values():
                self._require_running(item, starting=True)
            if waiting and time.monotonic() > deadline:
                item = next(iter(waiting.values()))
                raise DeployFailed(f"{item.process}.{item.index} was not running on any node "
                                   f"within {BOOT_TIMEOUT:.0f}s")
            time.sleep(POLL_SECONDS * 5)
        super().wait_answering(started, checks)

    def _task_running(self, sid: str) -> bool:
        return any(t.state == "running" for t in self._live_tasks([sid]).get(sid, []))

    def _require_running(self, item, starting: bool = False) -> None:
        every = self.swarm.tasks([item.container_id])
        bad = [t for t in every if t.state in ("failed", "rejected", "orphaned")
               or (t.desired == "shutdown" and t.state in ("complete", "shutdown"))]
        live = [t for t in every if t.desired == "running"]
        if not bad and (starting or any(t.state == "running" for t in live)):
            return
        task = bad[0] if bad else None
        code = task.exit_code if task else "unknown"
        why = f": {task.error}" if task and task.error else ""
        tail = "\n".join(text for _, text in self.swarm.service_logs(item.container_id, tail=20))
        raise DeployFailed(f"{item.process}.{item.index} crashed on boot (exit status {code}){why}",
                           detail=f"last log lines of {item.process}.{item.index}:\n{tail}" if tail else "")

    # Hot standby: Swarm cannot pause a task, so a replaced web service is held running but
    # unrouted (not in `running`, "standby" in `ps`) until its window ends; a rollback takes it
    # back without a boot. Held in memory only: after a control-plane restart convergence
    # retires it like any process of an old release.
    def _hold(self, container_id: str) -> bool:
        return True

    def _thaw(self, container_id: str) -> bool:
        return True

    def _taken_back(self, c, slot: tuple[str, int], network: str) -> Placed:
        address = self._addresses([c.id]).get(c.id)
        return Placed(c.id, slot[0], slot[1], address, time.monotonic() - SETTLE_SECONDS,
                      c.port or 0)

    def _listen_hint(self, item) -> str | None:
        return None  # the task may be on another node: no exec into it from here

    def _make_network(self, name: str, labels: dict[str, str], subnet: str) -> bool:
        """The app's own overlay network, across the nodes (the pool and retries as on one host)."""
        return self.swarm.create_overlay(name, labels, subnet)

    def _stop_all(self, ids: list[str]) -> None:
        # Removing the service stops its task: SIGTERM, SIGKILL after its stop grace period.
        for sid in ids:
            self.swarm.remove_service(sid)
            self._draining.discard(sid)

    def remove(self, container_ids: list[str]) -> None:
        for sid in container_ids:
            self.swarm.remove_service(sid)
