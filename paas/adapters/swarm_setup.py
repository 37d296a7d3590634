"""Bringing up the `swarm` scheduler's outside world at start: this host's daemon becomes a
Swarm manager (or is one already), the platform's registry runs, and the manager trusts it.
Returns the SwarmEngine the use cases get.
"""
from __future__ import annotations

import os
from pathlib import Path

from paas.adapters import registry
from paas.adapters.swarm_engine import SwarmEngine, SwarmError
from paas.settings import Settings

CERTS_D = Path("/etc/docker/certs.d")


def swarm_engine(settings: Settings, certs_d: Path = CERTS_D) -> SwarmEngine:
    engine = SwarmEngine()
    if not engine.is_manager():
        if engine.swarm_state() != "inactive":
            raise SwarmError("PAAS_SCHEDULER=swarm: this host's Docker engine is in a swarm but "
                             "not a manager; promote it (docker node promote) or leave the swarm")
        engine.init(settings.swarm_addr)
    else:
        engine.quicken_heartbeat()
    addr = settings.swarm_addr or engine.manager_addr()
    reg, proc = registry.ensure(settings.home / "registry", addr, settings.registry_port)
    if proc is not None:
        (settings.home / "registry" / "registry.pid").write_text(str(proc.pid))
    trust(certs_d, reg)
    engine.registry, engine.registry_auth = reg.host, (reg.user, reg.password)
    engine.registry_ca_pem = reg.ca_pem
    return engine


def trust(certs_d: Path, reg: registry.Registry) -> None:
    """Docker's per-registry CA file, read at each pull and push (no daemon restart)."""
    folder = certs_d / reg.host
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ca.crt"
    if not path.exists() or path.read_text() != reg.ca_pem:
        tmp = folder / f".ca.crt.{os.getpid()}"
        tmp.write_text(reg.ca_pem)
        tmp.replace(path)
