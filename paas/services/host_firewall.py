"""Walling containers off from the host: the firewall plan of this platform, applied or removed.

`paas.server.control` calls `protect` at `up` and `unprotect` when the platform is uninstalled
(`control uninstall`); `down` leaves it, since the app containers keep running.
"""
from __future__ import annotations

from typing import Protocol

from paas.render.firewall import FirewallPlan, plan
from paas.settings import Settings


class Firewall(Protocol):
    def available(self) -> bool: ...
    def apply(self, plan: FirewallPlan) -> None: ...
    def remove_all(self, instance: str) -> None: ...


def platform_plan(settings: Settings) -> FirewallPlan:
    """Every container paas runs has an address of the pool; it may reach the router's public
    ports on the host and nothing else there (not the API, git, the dashboard, SSH...)."""
    return plan(settings.instance, [settings.network_pool],
                [settings.http_port, settings.https_port])


def protect(settings: Settings, firewall: Firewall) -> str:
    """Apply the plan; the line `up` prints about it."""
    if not settings.firewall:
        return "Firewall:    off (PAAS_FIREWALL=off): containers can reach every host port"
    if not firewall.available():
        return "Firewall:    NOT applied: iptables is missing; containers can reach host ports"
    applied = platform_plan(settings)
    firewall.apply(applied)
    return (f"Firewall:    chain {applied.chain}: containers reach only ports "
            f"{settings.http_port}, {settings.https_port} of this host")


def unprotect(settings: Settings, firewall: Firewall) -> None:
    if firewall.available():
        firewall.remove_all(settings.instance)
