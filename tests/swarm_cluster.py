"""A Docker Swarm of throwaway engines for the swarm tests: each node is a `dockerd` of its own
in a network namespace of its own, on one bridge, with its own data-root and socket. The host's
shared daemon is never touched (it is not made a swarm member).

As found on this machine (DESIGN.md): `nsenter --net=` (not `ip netns exec`, which hides the
cgroup mounts), and a FORWARD accept rule for the bridge (the host's policy is DROP), removed
on teardown, with the NAT that lets builds on a node reach package indexes.
"""
from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

BRIDGE = "paassw0"
SUBNET = "10.213.7"  # .1 is the host's side of the bridge
# (table, rule): nodes reach each other, and the outside (package indexes for builds on the
# manager) through NAT, as a host on a LAN would.
RULES = [
    ("filter", ["FORWARD", "-i", BRIDGE, "-o", BRIDGE, "-j", "ACCEPT"]),
    ("filter", ["FORWARD", "-i", BRIDGE, "!", "-o", BRIDGE, "-j", "ACCEPT"]),
    ("filter", ["FORWARD", "-o", BRIDGE, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED",
                "-j", "ACCEPT"]),
    ("nat", ["POSTROUTING", "-s", f"{SUBNET}.0/24", "!", "-o", BRIDGE, "-j", "MASQUERADE"]),
]
ROOT = Path("/var/lib/paas-test-swarm")


def sh(*argv: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(list(argv), check=check, capture_output=True, text=True, **kw)


@dataclass
class Node:
    name: str  # netns and node hostname
    addr: str
    proc: subprocess.Popen | None = None

    @property
    def socket(self) -> str:
        return f"/run/paas-test-swarm/{self.name}.sock"

    @property
    def host(self) -> str:
        return f"unix://{self.socket}"

    def docker(self, *args: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
        return sh("docker", "-H", self.host, *args, check=check, **kw)


@dataclass
class Cluster:
    nodes: list[Node] = field(default_factory=list)
    host_addr: str = f"{SUBNET}.1"

    @property
    def manager(self) -> Node:
        return self.nodes[0]

    def start(self, count: int = 2, images: tuple[str, ...] = ()) -> "Cluster":
        self.stop()  # whatever a killed earlier run left
        sh("ip", "link", "add", BRIDGE, "type", "bridge")
        sh("ip", "addr", "add", f"{self.host_addr}/24", "dev", BRIDGE)
        sh("ip", "link", "set", BRIDGE, "up")
        for table, rule in RULES:
            sh("iptables", "-t", table, "-I", *rule)
        Path("/run/paas-test-swarm").mkdir(parents=True, exist_ok=True)
        for i in range(count):
            node = Node(f"paas-sw{i}", f"{SUBNET}.{10 + i}")
            self.nodes.append(node)
            self._netns(node, i)
            self.start_engine(node)
        for image in images:
            self.load(image, self.manager)
        m = self.manager
        m.docker("swarm", "init", "--advertise-addr", m.addr, "--listen-addr", f"{m.addr}:2377")
        token = m.docker("swarm", "join-token", "-q", "worker").stdout.strip()
        for node in self.nodes[1:]:
            node.docker("swarm", "join", "--token", token, f"{m.addr}:2377")
        self.wait_nodes_ready(count)
        return self

    def _netns(self, node: Node, i: int) -> None:
        veth = f"paassw{i}h"
        sh("ip", "netns", "add", node.name)
        sh("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", node.name)
        sh("ip", "link", "set", veth, "master", BRIDGE, "up")
        ns = ("ip", "-n", node.name)
        sh(*ns, "addr", "add", f"{node.addr}/24", "dev", "eth0")
        sh(*ns, "link", "set", "eth0", "up")
        sh(*ns, "link", "set", "lo", "up")
        sh(*ns, "route", "add", "default", "via", self.host_addr)

    def start_engine(self, node: Node) -> None:
        data = ROOT / node.name
        data.mkdir(parents=True, exist_ok=True)
        log = open(ROOT / f"{node.name}.log", "ab")
        node.proc = subprocess.Popen(
            ["nsenter", f"--net=/run/netns/{node.name}", "dockerd", "--data-root", str(data),
             "--exec-root", f"/run/paas-test-swarm/{node.name}-exec",
             "--pidfile", f"/run/paas-test-swarm/{node.name}.pid", "-H", node.host,
             "--storage-driver", "overlay2",
             # The node's default bridge must not clash with the host's docker0 routes.
             "--bip", f"10.214.{10 + int(node.name[-1])}.1/24"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while node.docker("info", check=False).returncode != 0:
            if node.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"dockerd of {node.name} did not start: see {ROOT}/{node.name}.log")
            time.sleep(0.2)

    def stop_engine(self, node: Node, graceful: bool = False) -> None:
        """A node going away. Graceful: its engine is stopped (SIGTERM: it stops its containers,
        which finish what they serve) and then the node drops off the network. Otherwise its
        containers and engine are killed at once, then it drops off."""
        if node.proc and node.proc.poll() is None:
            if graceful:
                node.proc.terminate()
                try:
                    node.proc.wait(60)
                except subprocess.TimeoutExpired:
                    pass
            else:
                ids = node.docker("ps", "-q", check=False).stdout.split()
                pids = node.docker("inspect", "--format", "{{.State.Pid}}", *ids,
                                   check=False).stdout.split() if ids else []
                # Each container's init is PID 1 of its namespace: killing it ends them all.
                for pid in pids:
                    sh("kill", "-9", pid, check=False)
            if node.proc.poll() is None:
                node.proc.kill()
                node.proc.wait(30)
        # containerd and its shims live in the node's netns too.
        for pid in sh("ip", "netns", "pids", node.name, check=False).stdout.split():
            sh("kill", "-9", pid, check=False)
        sh("ip", "-n", node.name, "link", "set", "eth0", "down", check=False)
        Path(f"/run/paas-test-swarm/{node.name}.pid").unlink(missing_ok=True)

    def load(self, image: str, node: Node) -> None:
        saved = subprocess.Popen(["docker", "save", image], stdout=subprocess.PIPE)
        subprocess.run(["docker", "-H", node.host, "load", "-q"], stdin=saved.stdout, check=True,
                       capture_output=True)
        saved.wait()

    def wait_nodes_ready(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = self.manager.docker("node", "ls", "--format", "{{.Status}}", check=False).stdout
            if out.split().count("Ready") >= count:
                return
            time.sleep(0.3)
        raise RuntimeError(f"swarm nodes not ready: {out}")

    def stop(self) -> None:
        names = [n.name for n in self.nodes] or [
            n for n in sh("ip", "netns", "list", check=False).stdout.split() if n.startswith("paas-sw")]
        for name in names:
            self.stop_engine(next((n for n in self.nodes if n.name == name), Node(name, "")))
            sh("ip", "netns", "del", name, check=False)
            # Mounts left by a killed daemon keep the data-root busy.
            mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()
                      if f"{ROOT}/{name}" in line.split()[1] or f"paas-test-swarm/{name}-exec" in line.split()[1]]
            for mount in sorted(mounts, key=len, reverse=True):
                sh("umount", "-l", mount, check=False)
            shutil.rmtree(ROOT / name, ignore_errors=True)
        self.nodes = []
        sh("ip", "link", "del", BRIDGE, check=False)
        for table, rule in RULES:
            while sh("iptables", "-t", table, "-C", *rule, check=False).returncode == 0:
                sh("iptables", "-t", table, "-D", *rule)
