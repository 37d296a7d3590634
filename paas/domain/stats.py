"""Container figures as data (issue 15): Docker stats documents → CPU % and memory, and the
per-minute row of one process type. Pure functions, no I/O."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sample:
    """One container's figures at one instant."""
    app: str
    process: str
    at: float
    cpu_percent: float | None  # of one core (200 = two cores busy); None on the first sample
    mem_used: int
    mem_limit: int


@dataclass(frozen=True)
class ProcessMinute:
    """One process type of one app in one minute: CPU summed over sampling instants (average =
    cpu_sum / samples), memory's peak, restarts and OOM kills counted."""
    app: str
    minute: int
    process: str
    cpu_sum: float
    samples: int
    mem_max: int
    mem_limit: int
    restarts: int = 0
    oom_kills: int = 0


def cpu_percent(doc: dict) -> float | None:
    """CPU use between the two readings a stats document carries, in % of one core, as
    `docker stats` computes it."""
    cpu, pre = doc.get("cpu_stats") or {}, doc.get("precpu_stats") or {}
    try:
        used = cpu["cpu_usage"]["total_usage"] - pre["cpu_usage"]["total_usage"]
        system = cpu["system_cpu_usage"] - pre["system_cpu_usage"]
    except (KeyError, TypeError):
        return None
    cores = cpu.get("online_cpus") or len(cpu["cpu_usage"].get("percpu_usage") or []) or 1
    if system <= 0 or used < 0:
        return None
    return round(used / system * cores * 100.0, 2)


def memory(doc: dict) -> tuple[int, int]:
    """(used, limit) in bytes: usage without the page cache the kernel can drop, as `docker
    stats` shows (cgroup v2: inactive_file; v1: total_inactive_file)."""
    mem = doc.get("memory_stats") or {}
    stats = mem.get("stats") or {}
    cache = stats.get("inactive_file", stats.get("total_inactive_file", 0))
    usage = int(mem.get("usage") or 0)
    return max(usage - int(cache), 0), int(mem.get("limit") or 0)


def process_minutes(samples: list[Sample], restarts: dict[tuple[str, str, int], int] | None = None,
                    ooms: dict[tuple[str, str, int], int] | None = None,
                    minute: int = 0) -> list[ProcessMinute]:
    """One row per (app, process) of the samples taken in `minute`, and one per (app, process,
    minute) of the restarts and OOM kills, in the minute each happened (after a control-plane
    restart, replayed events belong to earlier minutes). A type's containers are summed at
    each instant (web=2 uses twice one's memory and CPU), then CPU is summed over instants for
    an average and memory's peak is kept."""
    restarts, ooms = restarts or {}, ooms or {}
    keys = sorted({(s.app, s.process, minute) for s in samples} | set(restarts) | set(ooms))
    rows = []
    for app, process, at in keys:
        instants: dict[float, list[Sample]] = {}
        for s in samples:
            if (s.app, s.process, minute) == (app, process, at):
                instants.setdefault(s.at, []).append(s)
        cpus = [sum(s.cpu_percent for s in group) for group in instants.values()
                if all(s.cpu_percent is not None for s in group)]
        peak = (max((sum(s.mem_used for s in g) for g in instants.values()), default=0),
                max((sum(s.mem_limit for s in g) for g in instants.values()), default=0))
        rows.append(ProcessMinute(
            app=app, minute=at, process=process, cpu_sum=sum(cpus), samples=len(cpus),
            mem_max=peak[0], mem_limit=peak[1], restarts=restarts.get((app, process, at), 0),
            oom_kills=ooms.get((app, process, at), 0)))
    return rows
