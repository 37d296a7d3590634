"""The host firewall that keeps code from a push away from the host: pure, iptables arguments out.

Every app and build network takes its subnet from the platform's pool (PAAS_NETWORK_POOL), so
one chain, `PAAS-<instance>`, jumped to from INPUT for packets from the pool, covers every
container paas runs, whatever network it is on. A packet from a container to any address of
the host (its gateway on any bridge, docker0, the host's LAN address) is INPUT traffic; the
chain lets through replies to connections the host opened (nginx to a container, the API to a
health check) and new connections to the router's public ports only, and rejects everything
else at once (a reset, so a probe fails fast instead of hanging). Traffic leaving the host
(egress to package registries) is FORWARD traffic and is not touched; Docker's own rules keep
one bridge from another.
"""
from __future__ import annotations

from dataclasses import dataclass

HOOK = "INPUT"
MAX_CHAIN = 28  # iptables' limit on a chain name


@dataclass(frozen=True)
class FirewallPlan:
    chain: str
    jumps: list[list[str]]  # rule specs for HOOK (without -A/-I HOOK)
    rules: list[list[str]]  # the chain's rule specs, in order (without -A CHAIN)


def chain_name(instance: str) -> str:
    name = f"PAAS-{instance}"
    if len(name) > MAX_CHAIN:
        raise ValueError(f"instance name {instance!r} makes an iptables chain name longer than "
                         f"{MAX_CHAIN} characters")
    return name


def plan(instance: str, sources: list[str], open_ports: list[int]) -> FirewallPlan:
    """Containers from `sources` (the pool) may open connections to `open_ports` of the host
    (the router's HTTP and HTTPS ports) and to nothing else on it."""
    chain = chain_name(instance)
    jumps = [["-s", source, "-m", "comment", "--comment", f"paas {instance}", "-j", chain]
             for source in sources]
    rules = [["-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "RETURN"]]
    for port in sorted(set(open_ports)):
        rules.append(["-p", "tcp", "--dport", str(port), "-j", "RETURN"])
    rules += [["-p", "tcp", "-j", "REJECT", "--reject-with", "tcp-reset"],
              ["-j", "REJECT", "--reject-with", "icmp-port-unreachable"]]
    return FirewallPlan(chain=chain, jumps=jumps, rules=rules)
