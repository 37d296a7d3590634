"""The swarm's nodes, as users see them: list, the join command for a new host, drain with
zero downtime, activate, remove. Only with PAAS_SCHEDULER=swarm.

Draining keeps the deploy's promise: the node is paused first (Swarm starts nothing new there
but leaves what runs), then every process on it is restarted through the deploy algorithm, so
its replacement starts elsewhere and passes its checks before the router moves and the old one
drains; only then is the node set to Swarm's `drain`, with nothing of ours left to kill.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass

from paas.errors import Conflict, InvalidInput, NotFound
from paas.ports import LineWriter, Store, Swarm
from paas.services.deploy import Deployer
from paas.settings import Settings

NODE_RE_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_.")


@dataclass(frozen=True)
class NodeView:
    id: str
    hostname: str
    address: str
    role: str
    state: str
    availability: str
    leader: bool
    processes: int  # this platform's processes running there
    memory: int  # bytes
    cpus: float


class Nodes:
    def __init__(self, settings: Settings, store: Store, swarm: Swarm | None, scheduler,
                 deployer: Deployer) -> None:
        self.settings = settings
        self.store = store
        self.swarm = swarm
        self.scheduler = scheduler
        self.deployer = deployer

    def _on(self) -> Swarm:
        if self.swarm is None:
            raise Conflict("nodes are a swarm's: start paas with PAAS_SCHEDULER=swarm")
        return self.swarm

    def _placement(self) -> dict[str, list[tuple[str, str, int]]]:
        """node id -> (app, process, index) of every process of ours running there."""
        out: dict[str, list[tuple[str, str, int]]] = {}
        for app in self.store.list_apps():
            for p in self.scheduler.processes_of(app.name):
                if p.node_id:
                    out.setdefault(p.node_id, []).append(
                        (app.name, p.labels["paas.process"], int(p.labels["paas.index"])))
        return out

    def list(self) -> list[NodeView]:
        swarm = self._on()
        placed = self._placement()
        return sorted((NodeView(n.id, n.hostname, n.addr, n.role, n.state, n.availability,
                                n.leader, len(placed.get(n.id, [])), n.memory, n.cpus)
                       for n in swarm.nodes()), key=lambda v: (v.role != "manager", v.address, v.id))

    def find(self, ref: str):
        """A node by id, unique id prefix, or unique hostname."""
        if not ref or len(ref) > 64 or not set(ref.lower()) <= NODE_RE_CHARS:
            raise InvalidInput(f"invalid node {ref[:40]!r}: give its id (see paas nodes)")
        nodes = self._on().nodes()
        exact = [n for n in nodes if n.id == ref]
        found = exact or [n for n in nodes if n.id.startswith(ref)] or [
            n for n in nodes if n.hostname == ref]
        if not found:
            raise NotFound(f"no such node: {ref}")
        if len(found) > 1:
            raise InvalidInput(f"{ref!r} names {len(found)} nodes: give more of the id")
        return found[0]

    def join_command(self) -> str:
        swarm = self._on()
        host, ca = swarm.registry_ca()
        manager = swarm.manager_addr()
        lines = []
        if host:
            folder = f"/etc/docker/certs.d/{host}"
            lines += [f"mkdir -p {shlex.quote(folder)}",
                      f"cat > {shlex.quote(folder + '/ca.crt')} <<'EOF'\n{ca.strip()}\nEOF"]
        lines.append(f"docker swarm join --token {shlex.quote(swarm.join_token('worker'))} "
                     f"{shlex.quote(manager)}:2377")
        return "\n".join(lines)

    def drain(self, ref: str, on_line: LineWriter) -> NodeView:
        swarm = self._on()
        node = self.find(ref)
        others = [n for n in swarm.nodes() if n.id != node.id and n.state == "ready"
                  and n.availability == "active"]
        if not others:
            raise Conflict(f"{node.id[:12]} is the only active node: nothing could take its processes")
        swarm.set_availability(node.id, "pause")
        try:
            moved = 0
            for app, slots in self._by_app(self._placement().get(node.id, [])).items():
                with self.deployer.lock(app):
                    release = self.store.current_release(app)
                    if release is None:
                        continue
                    on_line(f"-----> Moving {app}'s {', '.join(f'{p}.{i}' for p, i in slots)}")
                    for slot in slots:  # one at a time: capacity never drops
                        self.deployer.apply(release, on_line, restart={slot})
                        moved += 1
        except Exception:
            swarm.set_availability(node.id, "active")
            raise
        swarm.set_availability(node.id, "drain")
        on_line(f"-----> {node.id[:12]} drained: {moved} process(es) moved")
        return self._view(node.id)

    def activate(self, ref: str) -> NodeView:
        node = self.find(ref)
        self._on().set_availability(node.id, "active")
        return self._view(node.id)

    def remove(self, ref: str) -> str:
        node = self.find(ref)
        if node.role == "manager":
            raise Conflict(f"{node.id[:12]} is a manager: demote it first (docker node demote)")
        if node.state == "ready" and node.availability != "drain":
            raise Conflict(f"{node.id[:12]} still runs: drain it first (paas nodes:drain {node.id[:12]})")
        self._on().remove_node(node.id, force=True)
        return node.id

    def _view(self, node_id: str) -> NodeView:
        return next(v for v in self.list() if v.id == node_id)

    @staticmethod
    def _by_app(placed: list[tuple[str, str, int]]) -> dict[str, list[tuple[str, int]]]:
        out: dict[str, list[tuple[str, int]]] = {}
        for app, process, index in sorted(placed):
            out.setdefault(app, []).append((process, index))
        return out
