"""The Docker Swarm adapter: services, their tasks, nodes, overlay networks and the push to
the platform's registry, through the manager's Engine API (the daemon DOCKER_HOST names).
Executes specs rendered by `paas.render.swarm`; decides nothing about apps, releases or routing.

It is the Docker adapter too (builds and one-off containers run on the manager), and answers
for services where the use cases ask about containers by label or id: an app's destroy removes
its services, `logs` reads them from every node.
"""
from __future__ import annotations

from dataclasses import dataclass

import docker
from docker.errors import APIError, DockerException, NotFound

from paas.adapters.docker_engine import ContainerInfo, DockerEngine, create_network
from paas.errors import PaasError

# Swarm marks a node down after three missed heartbeats: 15 s at its default period (5 s),
# half of issue 16's 30 s for the router to follow a dead node. At 2 s it is 6 s, still many
# round trips on a LAN or within a cloud region.
HEARTBEAT_NS = 2_000_000_000
DEFAULT_HEARTBEAT_NS = 5_000_000_000


class SwarmError(PaasError):
    id = "swarm_error"
    status = 502


@dataclass(frozen=True)
class ServiceInfo:
    id: str
    name: str
    labels: dict[str, str]
    created: str


@dataclass(frozen=True)
class TaskInfo:
    id: str
    service_id: str
    node_id: str
    state: str  # new, pending, preparing, starting, running, failed, rejected, shutdown, ...
    desired: str  # running, shutdown
    error: str
    exit_code: int
    published_port: int | None
    container_id: str
    timestamp: str


@dataclass(frozen=True)
class NodeInfo:
    id: str
    hostname: str
    addr: str
    role: str  # manager, worker
    state: str  # ready, down, unknown
    availability: str  # active, pause, drain
    leader: bool
    memory: int  # bytes
    cpus: float


class SwarmEngine(DockerEngine):
    def __init__(self, client: docker.DockerClient | None = None, registry: str = "",
                 registry_auth: tuple[str, str] | None = None) -> None:
        super().__init__(client)
        self.api = self.client.api
        self.registry = registry  # host:port of the platform's registry; "": images stay local
        self.registry_auth = registry_auth
        self.registry_ca_pem = ""
        self._published: dict[str, str] = {}  # image id -> reference by digest

    # images reach the nodes through the registry
    def publish(self, ref: str) -> str:
        """The image as every node pulls it: pushed to the registry, named by digest. Without
        a registry, the local reference (a one-node swarm)."""
        if not self.registry:
            return ref
        image = self.client.images.get(ref)
        if image.id in self._published:
            return self._published[image.id]
        repo = f"{self.registry}/{ref.rsplit(':', 1)[0]}"
        tag = ref.rsplit(":", 1)[1] if ":" in ref.split("/")[-1] else "latest"
        image.tag(repo, tag)
        auth = ({"username": self.registry_auth[0], "password": self.registry_auth[1]}
                if self.registry_auth else None)
        digest = ""
        for event in self.api.push(repo, tag, auth_config=auth, stream=True, decode=True):
            if event.get("error"):
                raise SwarmError(f"pushing {ref} to {self.registry}: {event['error']}")
            digest = (event.get("aux") or {}).get("Digest", digest)
        if not digest:
            raise SwarmError(f"pushing {ref} to {self.registry}: no digest in the answer")
        self._published[image.id] = f"{repo}@{digest}"
        return self._published[image.id]

    def registry_ca(self) -> tuple[str, str]:
        return self.registry, self.registry_ca_pem

    def registry_header(self) -> dict | None:
        """X-Registry-Auth for a service, so that every node can pull from the registry."""
        if not (self.registry and self.registry_auth):
            return None
        return {"username": self.registry_auth[0], "password": self.registry_auth[1],
                "serveraddress": self.registry}

    # what the use cases ask of containers, answered for services too
    def list_containers(self, labels: dict[str, str]) -> list[ContainerInfo]:
        found = super().list_containers(labels)
        return found + [ContainerInfo(s.id, s.name, "running", s.labels, s.created, 0, False, 0,
                                      s.created, "") for s in self.services(labels)]

    def count_containers(self, labels: dict[str, str]) -> int:
        return super().count_containers(labels) + len(self.services(labels))

    def remove_container(self, container_id: str) -> None:
        if self._is_service(container_id):
            self.remove_service(container_id)
        else:
            super().remove_container(container_id)

    def log_lines(self, container_id: str, since: float | None = None,
                  tail: int | None = None) -> list[tuple[str, str]]:
        if self._is_service(container_id):
            return self.service_logs(container_id, since, tail)
        return super().log_lines(container_id, since, tail)

    def _is_service(self, some_id: str) -> bool:
        try:
            self.api.inspect_service(some_id)
            return True
        except (NotFound, APIError):
            return False

    # the swarm itself
    def swarm_state(self) -> str:
        """inactive, active, pending, ...; and whether this daemon is a manager."""
        info = self.api.info().get("Swarm") or {}
        return info.get("LocalNodeState", "inactive")

    def is_manager(self) -> bool:
        return bool((self.api.info().get("Swarm") or {}).get("ControlAvailable"))

    def init(self, advertise_addr: str) -> None:
        spec = self.api.create_swarm_spec(dispatcher_heartbeat_period=HEARTBEAT_NS)
        self.api.init_swarm(advertise_addr=advertise_addr or None,
                            listen_addr=f"{advertise_addr}:2377" if advertise_addr else "0.0.0.0:2377",
                            swarm_spec=spec)

    def quicken_heartbeat(self) -> bool:
        """A swarm at Docker's default heartbeat (5 s) gets the platform's (2 s); one an
        operator set otherwise is left as it is. Whether it changed."""
        swarm = self.api.inspect_swarm()
        period = (swarm["Spec"].get("Dispatcher") or {}).get("HeartbeatPeriod")
        if period != DEFAULT_HEARTBEAT_NS:
            return False
        # The whole spec goes back (as `docker swarm update` does): a partial one resets the rest.
        spec = dict(swarm["Spec"], Dispatcher={**swarm["Spec"]["Dispatcher"],
                                               "HeartbeatPeriod": HEARTBEAT_NS})
        self.api.update_swarm(version=swarm["Version"]["Index"], swarm_spec=spec)
        return True

    def join_token(self, role: str = "worker") -> str:
        return self.api.inspect_swarm()["JoinTokens"]["Worker" if role == "worker" else "Manager"]

    def manager_addr(self) -> str:
        info = self.api.info().get("Swarm") or {}
        return info.get("NodeAddr", "")

    def local_node(self) -> str:
        return (self.api.info().get("Swarm") or {}).get("NodeID", "")

    # nodes
    def nodes(self) -> list[NodeInfo]:
        return [_node(n) for n in self.api.nodes()]

    def set_availability(self, node_id: str, availability: str) -> None:
        node = self.api.inspect_node(node_id)
        spec = dict(node["Spec"], Availability=availability)
        self.api.update_node(node["ID"], node["Version"]["Index"], spec)

    def remove_node(self, node_id: str, force: bool = False) -> None:
        try:
            self.api.remove_node(node_id, force=force)
        except APIError as exc:
            raise SwarmError(str(exc.explanation or exc)) from None

    # services
    def create_service(self, spec: dict) -> str:
        """The new service's id; the spec is a ServiceSpec as `paas.render.swarm` renders it."""
        headers = {}
        auth = self.registry_header()
        if auth:
            headers["X-Registry-Auth"] = docker.auth.encode_header(auth)
        # The SDK sends the auth only for registries in the client's config file: post it here.
        url = self.api._url("/services/create")
        created = self.api._result(self.api._post_json(url, data=spec, headers=headers), True)
        return created["ID"]

    def label_nodes(self, node_ids: list[str], key: str, value: str | None) -> None:
        """Set a label on these nodes; value None: remove it from every node having it."""
        for listed in self.api.nodes():
            has = key in ((listed.get("Spec") or {}).get("Labels") or {})
            if (value is None and not has) or (value is not None and listed["ID"] not in node_ids):
                continue
            try:
                node = self.api.inspect_node(listed["ID"])
                labels = {k: v for k, v in (node["Spec"].get("Labels") or {}).items() if k != key}
                if value is not None:
                    labels[key] = value
                self.api.update_node(node["ID"], node["Version"]["Index"], dict(node["Spec"], Labels=labels))
            except NotFound:
                pass

    def services(self, labels: dict[str, str]) -> list[ServiceInfo]:
        found = self.api.services(filters={"label": [f"{k}={v}" for k, v in labels.items()]})
        return [ServiceInfo(s["ID"], s["Spec"]["Name"], s["Spec"].get("Labels") or {},
                            s.get("CreatedAt", "")) for s in found]

    def tasks(self, service_ids: list[str]) -> list[TaskInfo]:
        if not service_ids:
            return []
        return [_task(t) for t in self.api.tasks(filters={"service": list(service_ids)})]

    def remove_service(self, service_id: str) -> None:
        try:
            self.api.remove_service(service_id)
        except NotFound:
            pass

    def service_logs(self, service_id: str, since: float | None = None,
                     tail: int | None = None) -> list[tuple[str, str]]:
        """(timestamp, line) of every task of the service, from whichever node it ran on."""
        kwargs: dict = {"stdout": True, "stderr": True, "timestamps": True, "follow": False}
        if since is not None:
            kwargs["since"] = int(since)
        if tail is not None:
            kwargs["tail"] = tail
        try:
            raw = b"".join(self.api.service_logs(service_id, **kwargs))
        except (NotFound, APIError):
            return []
        out = []
        for line in raw.decode(errors="replace").splitlines():
            stamp, _, text = line.partition(" ")
            out.append((stamp, text))
        return out

    # networks
    def create_overlay(self, name: str, labels: dict[str, str], subnet: str) -> bool:
        """False when the subnet was taken meanwhile; True when the network exists now.
        Attachable, so a one-off container (`paas run`, release phase) on the manager joins it.
        Not encrypted: this machine's kernel has no ESP transform for IPsec (tried here)."""
        return create_network(self.client, name, labels, subnet, driver="overlay",
                              attachable=True, scope="swarm")


def _node(n: dict) -> NodeInfo:
    spec, desc, status = n.get("Spec") or {}, n.get("Description") or {}, n.get("Status") or {}
    resources = desc.get("Resources") or {}
    return NodeInfo(
        id=n["ID"], hostname=(desc.get("Hostname") or ""), addr=status.get("Addr", ""),
        role=spec.get("Role", ""), state=status.get("State", ""),
        availability=spec.get("Availability", ""),
        leader=bool((n.get("ManagerStatus") or {}).get("Leader")),
        memory=int(resources.get("MemoryBytes") or 0),
        cpus=int(resources.get("NanoCPUs") or 0) / 1e9)


def _task(t: dict) -> TaskInfo:
    status = t.get("Status") or {}
    ports = (status.get("PortStatus") or {}).get("Ports") or []
    container = status.get("ContainerStatus") or {}
    return TaskInfo(
        id=t["ID"], service_id=t["ServiceID"], node_id=t.get("NodeID", ""),
        state=status.get("State", ""), desired=t.get("DesiredState", ""),
        error=status.get("Err", ""), exit_code=int(container.get("ExitCode") or 0),
        published_port=next((p["PublishedPort"] for p in ports if p.get("PublishedPort")), None),
        container_id=container.get("ContainerID", ""), timestamp=status.get("Timestamp", ""))
