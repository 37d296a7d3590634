"""The host firewall that keeps code from a push away from the host: pure, iptables arguments out.

Every app and build network takes its subnet from the platform's pool (PAAS_NETWORK_POOL), so
one chain, `PAAS-<instance>`, jumped to from INPUT for packets from the pool, covers every
container paas runs, whatever network it is on. A packet from a container to any address of
the host (its gateway on any bridge, docker0, the host's LAN address) is INPUT traffic; the
chain lets through replies to connections the host opened (nginx to a container, the API to a
health check) and new connections to a router's public ports only, and rejects everything
else at once (a reset, so a probe fails fast instead of hanging).

Several platforms may run side by side on one host, each with its own chain, and their pools
may overlap: a packet traverses every chain whose jump matches, the first one that ends in
REJECT decides. So no instance chain opens ports of its own; each one consults the shared chain
`PAAS-ROUTERS` first, which holds one ACCEPT per router port of every live instance (tagged with
a comment naming the instance, so each platform adds and removes only its own rules). Containers
thus reach every live platform's router ports, and still no other host port (not any
platform's API). Traffic leaving the host
(egress to package registries) is FORWARD traffic and is not touched; Docker's own rules keep
one bridge from another.
"""
from __future__ import annotations

from dataclasses import dataclass

HOOK = "INPUT"
MAX_CHAIN = 28  # iptables' limit on a chain name
ROUTERS = "PAAS-ROUTERS"  # shared by every instance on the host: the router ports of them all


@dataclass(frozen=True)
class FirewallPlan:
    chain: str
    jumps: list[list[str]]  # rule specs for HOOK (without -A/-I HOOK)
    rules: list[list[str]]  # the chain's rule specs, in order (without -A CHAIN)
    instance: str
    routers: list[list[str]]  # this instance's rules in ROUTERS


def chain_name(instance: str) -> str:
    name = f"PAAS-{instance}"
    if len(name) > MAX_CHAIN:
        raise ValueError(f"instance name {instance!r} makes an iptables chain name longer than "
                         f"{MAX_CHAIN} characters")
    return name


def tag(instance: str) -> str:
    """The comment on every rule of `instance` outside its own chain."""
    return f"paas {instance}"


def plan(instance: str, sources: list[str], open_ports: list[int]) -> FirewallPlan:
    """Containers from `sources` (the pool) may open connections to `open_ports` of the host
    (the router's HTTP and HTTPS ports), or to those of another live instance (in ROUTERS), and
    to nothing else on it. The ROUTERS rules are written the way `iptables -S` prints them."""
    chain = chain_name(instance)
    jumps = [["-s", source, "-m", "comment", "--comment", tag(instance), "-j", chain]
             for source in sources]
    rules = [["-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "RETURN"],
             ["-j", ROUTERS],
             ["-p", "tcp", "-j", "REJECT", "--reject-with", "tcp-reset"],
             ["-j", "REJECT", "--reject-with", "icmp-port-unreachable"]]
    routers = [["-p", "tcp", "-m", "tcp", "--dport", str(port), "-m", "comment", "--comment",
                tag(instance), "-j", "ACCEPT"] for port in sorted(set(open_ports))]
    return FirewallPlan(chain=chain, jumps=jumps, rules=rules, instance=instance,
                        routers=routers)
