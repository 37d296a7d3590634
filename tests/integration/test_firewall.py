"""The host firewall on the real kernel (issue 9): a container on a network of the platform's
pool reaches the router's port on the host and no other host port, on any host address; after
`remove_all` the chain and its jump are gone. Two instances side by side on one pool let a
container reach both routers' ports and neither API's (the router ports live in the shared chain
PAAS-ROUTERS, so one instance's REJECT does not shut another's router off)."""
from __future__ import annotations

import ipaddress
import socket
import subprocess
import threading

import docker
import pytest

from paas.adapters.iptables import Iptables
from paas.render.firewall import plan
from tests.support import remove_docker_objects

INSTANCE, OTHER = "tfw1", "tfw2"
POOL = "10.236.7.0/24"  # a pool of this test's own: the rules touch no other container


class Listener:
    """A TCP server on every host address that answers "ok" to each connection."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("0.0.0.0", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.sendall(b"ok")
            conn.close()

    def close(self) -> None:
        self.sock.close()


PROBE = """
import socket, sys
for port in sys.argv[2:]:
    try:
        with socket.create_connection((sys.argv[1], int(port)), timeout=3) as s:
            print(port, s.recv(2).decode() or "empty")
    except OSError as e:
        print(port, type(e).__name__)
"""


@pytest.fixture
def walled():
    client = docker.from_env()
    network = client.networks.create(
        f"paas-{INSTANCE}-fw", driver="bridge", labels={"paas.instance": INSTANCE},
        ipam=docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=POOL)]))
    router, api = Listener(), Listener()
    iptables = Iptables()
    iptables.apply(plan(INSTANCE, [POOL], [router.port]))
    yield client, network, router, api, iptables
    router.close()
    api.close()
    iptables.remove_all(INSTANCE)
    remove_docker_objects(INSTANCE)


def probe(client, network, address: str, *ports: int) -> dict[str, str]:
    out = client.containers.run(
        "paas/stack:trixie", ["python3", "-c", PROBE, address, *map(str, ports)],
        network=network.name, labels={"paas.instance": INSTANCE}, remove=True,
        user="1000:1000", cap_drop=["ALL"])
    return dict(line.split(" ", 1) for line in out.decode().split("\n") if line)


def host_addresses(network) -> list[str]:
    """The gateway of the container's own bridge, docker0's, and the host's outward address."""
    def gateway(net) -> str:  # Docker names it only when it was given; else the first host
        net.reload()
        config = net.attrs["IPAM"]["Config"][0]
        return config.get("Gateway") or str(next(ipaddress.ip_network(config["Subnet"]).hosts()))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("192.0.2.1", 9))  # no packet is sent; this picks the outward address
        outward = s.getsockname()[0]
    found = {gateway(network), outward}
    # docker0's, when it is there: on this shared machine a second daemon may have removed it.
    docker0 = subprocess.run(["ip", "-4", "-o", "addr", "show", "docker0"], capture_output=True,
                             text=True).stdout.split()
    if len(docker0) > 3:
        found.add(docker0[3].split("/")[0])
    return [gateway(network), *sorted(found - {gateway(network)})]


def test_containers_reach_the_router_port_and_no_other_host_port(walled):
    client, network, router, api, iptables = walled
    for address in host_addresses(network):
        got = probe(client, network, address, router.port, api.port)
        assert got == {str(router.port): "ok", str(api.port): "ConnectionRefusedError"}, address


def test_apply_is_idempotent_and_remove_all_takes_everything_out(walled):
    client, network, router, api, iptables = walled
    first = iptables.listing(INSTANCE)
    iptables.apply(plan(INSTANCE, [POOL], [router.port]))
    assert iptables.listing(INSTANCE) == first
    assert sum(l.startswith("-A INPUT") for l in first) == 1
    assert sum(l.startswith("-A PAAS-ROUTERS") for l in first) == 1
    iptables.remove_all(INSTANCE)
    assert iptables.listing(INSTANCE) == []
    assert "paas tfw1" not in subprocess.run(["iptables", "-w", "-S"], capture_output=True,
                                             text=True).stdout
    gateway = host_addresses(network)[0]
    assert probe(client, network, gateway, api.port) == {str(api.port): "ok"}


def test_two_instances_side_by_side_each_let_through_the_others_router(walled):
    client, network, router, api, iptables = walled
    other_router, other_api = Listener(), Listener()
    try:
        # The other platform's chain is traversed first (its jump is inserted at the top).
        iptables.apply(plan(OTHER, [POOL], [other_router.port]))
        ours = iptables.listing(INSTANCE)
        ports = (router.port, other_router.port, api.port, other_api.port)
        for address in host_addresses(network):
            got = probe(client, network, address, *ports)
            assert got == {str(router.port): "ok", str(other_router.port): "ok",
                           str(api.port): "ConnectionRefusedError",
                           str(other_api.port): "ConnectionRefusedError"}, address
        # Each removes only its own: ours stays whole and still walls the other's ports off.
        iptables.remove_all(OTHER)
        assert iptables.listing(OTHER) == []
        assert iptables.listing(INSTANCE) == ours
        gateway = host_addresses(network)[0]
        assert probe(client, network, gateway, router.port, other_router.port) == {
            str(router.port): "ok", str(other_router.port): "ConnectionRefusedError"}
    finally:
        iptables.remove_all(OTHER)
        other_router.close()
        other_api.close()
