"""The deploy plan: which containers to keep, start and retire. Pure, and the only place that
decides it, for every path: push, config change, rollback, restart, scale and convergence.

Desired state is a release and a formation; actual state is the app's running containers.
"""
from __future__ import annotations

from dataclasses import dataclass


# Run once per release before traffic moves, not as processes: the Procfile's `release` and
# app.json's `scripts.dokku.predeploy` (which runs first).
ONE_OFF_TYPES = frozenset({"predeploy", "release"})
PHASES = ("predeploy", "release")


def runnable(processes: dict[str, str]) -> set[str]:
    """The process types that run as processes (not once per release)."""
    return set(processes) - ONE_OFF_TYPES


def wanted_web(processes: dict[str, str], formation: dict[str, int]) -> set[tuple[str, int]]:
    """The web slots a formation asks for."""
    return {("web", i) for i in range(1, formation.get("web", 0) + 1)} if "web" in processes else set()


@dataclass(frozen=True)
class Running:
    id: str
    process: str
    index: int
    release: int
    address: str | None = None  # host:port the router reaches a web process at


@dataclass(frozen=True)
class Plan:
    keep: tuple[Running, ...]
    start: tuple[tuple[str, int], ...]  # (process type, index)
    retire: tuple[str, ...]  # container ids

    @property
    def changes(self) -> bool:
        return bool(self.start or self.retire)


def plan(release: int, processes: dict[str, str], formation: dict[str, int],
         running: list[Running], restart: set | frozenset | None = frozenset(),
         same: set[int] | frozenset[int] = frozenset()) -> Plan:
    """Keep containers that already run `release` at a wanted (type, index) unless they are
    being restarted; start what is missing; retire everything else. `restart` holds process
    types and/or (type, index) slots; `None` restarts everything (a new release does the same
    by having no containers of its own yet). Containers of the releases in `same` (ones that
    run alike: a rollback's standby) count as `release`'s own."""
    wanted = {(p, i) for p, n in formation.items() if p in runnable(processes)
              for i in range(1, n + 1)}
    keep: dict[tuple[str, int], Running] = {}
    for c in sorted(running, key=lambda c: c.id):
        slot = (c.process, c.index)
        restarting = restart is None or c.process in restart or slot in restart
        if (c.release == release or c.release in same) and slot in wanted and slot not in keep and not restarting:
            keep[slot] = c
    kept_ids = {c.id for c in keep.values()}
    start = sorted(wanted - set(keep), key=lambda s: (s[0] != "web", s))
    return Plan(
        keep=tuple(sorted(keep.values(), key=lambda c: (c.process, c.index))),
        start=tuple(start),
        retire=tuple(sorted(c.id for c in running if c.id not in kept_ids)),
    )
