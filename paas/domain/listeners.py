"""Which addresses a container listens on, read from its /proc/net/tcp{,6}: to say *why* a web
process does not answer (bound to 127.0.0.1, or to another port)."""
from __future__ import annotations

import ipaddress

LISTEN = "0A"
# Docker's embedded DNS server listens inside every container on a user-defined network (each
# app's own): it is the daemon's, not the app's, and must not read as "listens on another port".
DOCKER_DNS = "127.0.0.11"


def parse_listeners(text: str) -> set[tuple[str, int]]:
    found = set()
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 4 or fields[3] != LISTEN or ":" not in fields[1]:
            continue
        addr_hex, port_hex = fields[1].rsplit(":", 1)
        try:
            raw = bytes.fromhex(addr_hex)
        except ValueError:
            continue
        # /proc prints each 32-bit word in host (little-endian) order.
        words = [raw[i:i + 4][::-1] for i in range(0, len(raw), 4)]
        ip = ipaddress.ip_address(b"".join(words))
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        found.add((str(ip), int(port_hex, 16)))
    return found


def why_not_answering(listeners: set[tuple[str, int]], port: int) -> str | None:
    """A hint when the listeners explain a silent web process, else None."""
    listeners = {(ip, p) for ip, p in listeners if ip != DOCKER_DNS}
    on_port = {ip for ip, p in listeners if p == port}
    if on_port and on_port <= {"127.0.0.1", "::1"}:
        return f"it listens on {sorted(on_port)[0]}:{port}, which only the container itself can reach: bind 0.0.0.0:$PORT instead"
    if not on_port and listeners:
        ports = ", ".join(str(p) for p in sorted({p for _, p in listeners}))
        return f"it listens on port {ports}, not on $PORT ({port}): bind 0.0.0.0:$PORT"
    return None
