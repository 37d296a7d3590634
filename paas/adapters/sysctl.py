"""The one kernel setting the platform asks for: net.ipv4.tcp_migrate_req (Linux 5.14).

When a listening socket of a SO_REUSEPORT group closes, the kernel resets the connections
still waiting in its accept queue, unless this is 1: then they move to another socket of the
group. The router hands its ports from one nginx to another that way (paas.server.handover),
so an upgrade or a replaced router drops none. It changes nothing for sockets without
SO_REUSEPORT, so it is safe for everything else on the host; it is per network namespace.
"""
from __future__ import annotations

from pathlib import Path

MIGRATE_REQ = Path("/proc/sys/net/ipv4/tcp_migrate_req")


def enable_migrate_req(path: Path = MIGRATE_REQ) -> str | None:
    """Set it to 1. None when it is (now) 1, else why it is not (an older kernel, not root)."""
    try:
        if path.read_text().strip() == "1":
            return None
        path.write_text("1\n")
    except FileNotFoundError:
        return f"{path} is missing (Linux before 5.14)"
    except OSError as exc:
        return f"cannot set {path}: {exc.strerror}"
    return None
