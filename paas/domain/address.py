"""Where a web process answers when it is not on this host's loopback: a swarm task's node
address and published port. The router and health checks take it where they take a port."""
from __future__ import annotations

from typing import NamedTuple


class Address(NamedTuple):
    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def upstream(target: "int | Address", bind_host: str) -> str:
    """nginx's `server` for a port on bind_host (one host) or an Address (a swarm node)."""
    return str(target) if isinstance(target, Address) else f"{bind_host}:{target}"


def order(target: "int | Address") -> tuple[str, int]:
    return (target.host, target.port) if isinstance(target, Address) else ("", target)
