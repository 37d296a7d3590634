"""Swarm service specs, decided here and run by `paas.adapters.swarm_engine`: pure functions.

A process of a release is one Swarm service of one replica, made from the same container spec
as on one host (`paas.render.container.process_spec`), so the hardening is the same. A spec is
the Engine API's ServiceSpec as JSON, so tests assert it exactly.

Publishing, as found on this kind of machine (no IPVS): endpoint mode `dnsrr` and a port
published in `host` mode, which Docker picks on the task's node; the router goes to the node's
address and that port. A service per process (and per release) is swapped by the deploy
algorithm, never rolled by Swarm: Swarm's own rolling update SIGTERMs a task before the router
has moved away from it.
"""
from __future__ import annotations

STOP_GRACE_NS = 30 * 1_000_000_000  # SIGTERM, then SIGKILL after this, as on one host
RESTART_DELAY_NS = 1_000_000_000
NNP_WRAPPER = ["/usr/bin/setpriv", "--no-new-privs", "--"]


def spread_node(eligible: list[str], holding: list[str]) -> str | None:
    """The node for the next slot of a process type: of the `eligible` nodes (ready, active, in
    order), the one holding fewest of the type's tasks (`holding`: a node id per running or
    placed task), the first on a tie. None with fewer than two eligible nodes: Swarm picks.

    Swarm's own spread counts a service's tasks, and a process slot is a service of one
    replica, so the scheduler spreads a process type's slots itself."""
    if len(eligible) < 2:
        return None
    return min(eligible, key=lambda node: (holding.count(node), eligible.index(node)))


def avoid_label(service_name: str) -> str:
    """The node label that keeps a new service's task off the nodes it is set on (to "1"):
    removed from them once the task runs, so that Swarm may still move it anywhere when its
    node drains or dies (Swarm 20.10 crashes updating a service's constraints instead)."""
    return f"paas.avoid.{service_name}"


def service_spec(container: dict, *, port: int | None, avoid: str | None = None,
                 pin: str | None = None, wrap_nnp: bool = False) -> dict:
    """The ServiceSpec of a process container spec; `port`: the web port to publish, if any;
    `avoid`: a node label (`avoid_label`) the task is placed only on nodes without; `pin`: the
    node id the task must run on (an app with named volumes: its volumes live on that node).

    The hardening of one host: a non-root user, every capability dropped, an init, a pids
    limit, and no-new-privileges. The last has a ServiceSpec field only from Engine API 1.46
    (`Privileges.NoNewPrivileges`, sent anyway: older engines ignore it), so on Docker 20.10
    `wrap_nnp` (buildpack images: the stack has util-linux) starts the command under
    `setpriv --no-new-privs`, which sets the irrevocable bit for the process and its children."""
    spec: dict = {
        "Image": container["image"],
        "Env": [f"{k}={v}" for k, v in sorted(container["environment"].items())],
        "Labels": dict(container["labels"]),
        "User": container["user"],
        "Hostname": container["hostname"],
        "Init": True,
        "CapabilityDrop": ["ALL"],
        "Privileges": {"NoNewPrivileges": True},
        "StopGracePeriod": STOP_GRACE_NS,
    }
    if container.get("command"):
        args = list(container["command"])  # CMD: the image's ENTRYPOINT stays
        spec["Args"] = NNP_WRAPPER + args if wrap_nnp else args
    if container.get("working_dir"):
        spec["Dir"] = container["working_dir"]
    if container.get("volumes"):
        spec["Mounts"] = [{"Type": "volume", "Source": source, "Target": v["bind"],
                           "ReadOnly": v.get("mode") == "ro"}
                          for source, v in sorted(container["volumes"].items())]
    limits = {}
    if "mem_limit" in container:
        limits["MemoryBytes"] = memory_bytes(container["mem_limit"])
    if "nano_cpus" in container:
        limits["NanoCPUs"] = container["nano_cpus"]
    if "pids_limit" in container:
        limits["Pids"] = container["pids_limit"]  # Resources.Limits.Pids, Engine API 1.41
    log = container["log_config"]
    endpoint: dict = {"Mode": "dnsrr"}
    if port is not None:
        endpoint["Ports"] = [{"Protocol": "tcp", "TargetPort": port, "PublishMode": "host"}]
    template: dict = {
        "ContainerSpec": spec,
        "Resources": {"Limits": limits} if limits else {},
        # Restarted in place when it crashes, as `unless-stopped` does on one host.
        "RestartPolicy": {"Condition": "any", "Delay": RESTART_DELAY_NS},
        "Networks": [{"Target": container["network"]}],
        "LogDriver": {"Name": log["type"], "Options": dict(log["config"])},
    }
    constraints = ([f"node.id=={pin}"] if pin else []) + (
        [f"node.labels.{avoid}!=1"] if avoid else [])
    if constraints:
        template["Placement"] = {"Constraints": constraints}
    return {
        "Name": container["name"].replace(".", "-"),  # service names take no dots
        "Labels": dict(container["labels"]),
        "TaskTemplate": template,
        "Mode": {"Replicated": {"Replicas": 1}},
        "EndpointSpec": endpoint,
    }


def memory_bytes(value: str | int) -> int:
    """Docker's memory notation (512m, 1g, 1048576) in bytes."""
    if isinstance(value, int):
        return value
    text = value.strip().lower().removesuffix("b")
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)

