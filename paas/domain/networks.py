"""Which subnet an app's own Docker network gets. Pure: stdlib `ipaddress` only.

Docker's default address pools hold about 30 bridge networks, so a platform with one network
per app stops at the 31st app ("could not find an available, non-overlapping IPv4 address
pool"). paas hands out subnets itself from its own pool (`PAAS_NETWORK_POOL`, cut into
`/PAAS_NETWORK_SIZE` pieces), skipping every subnet that Docker or the host already uses.
"""
from __future__ import annotations

import ipaddress
from typing import Iterable

from paas.errors import InvalidInput

DEFAULT_POOL = "10.200.0.0/16"
DEFAULT_SIZE = 24  # 254 addresses an app: room for any formation and its one-off containers


def parse_pool(pool: str, size: int) -> ipaddress.IPv4Network:
    """The pool as a network; a clear error when it cannot be cut into /size subnets."""
    try:
        if "/" not in pool:
            raise ValueError("no /prefix length")
        network = ipaddress.ip_network(pool.strip(), strict=True)
    except ValueError as exc:
        raise InvalidInput(f"PAAS_NETWORK_POOL={pool!r} is not an IPv4 network in CIDR form "
                           f"(e.g. {DEFAULT_POOL}): {exc}") from None
    if not isinstance(network, ipaddress.IPv4Network):
        raise InvalidInput(f"PAAS_NETWORK_POOL={pool!r} must be an IPv4 network")
    if not network.prefixlen <= size <= 29:
        raise InvalidInput(f"PAAS_NETWORK_SIZE={size} must be between the pool's prefix "
                           f"({network.prefixlen}) and 29")
    return network


def free_subnet(pool: str, size: int, taken: Iterable[str]) -> str | None:
    """The first /size subnet of the pool that overlaps none of `taken`, or None when full."""
    used = []
    for text in taken:
        try:
            used.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            continue  # Docker reports IPv6 and odd entries too; they cannot collide with ours
    used = [u for u in used if isinstance(u, ipaddress.IPv4Network)]
    for candidate in parse_pool(pool, size).subnets(new_prefix=size):
        if not any(candidate.overlaps(u) for u in used):
            return str(candidate)
    return None
