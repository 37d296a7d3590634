"""Per-app metrics (issue 15): the collector loop and the series the API, CLI and dashboard show.

Every `interval` (10 s) the collector reads each app's access log from where it was counted up
to, folds the new lines into per-minute rows and stores rows and read position in one
transaction; then it records a sample of each container's figures (from the stats streams the
`ContainerStats` source keeps, one per container) and drops what is older than 24 h.

Seams: `access_log_dir(settings)` is where the router writes the logs (and the collector reads
them); `reopen` (given to the `AccessLogs` adapter) tells the router to reopen them. On Swarm,
`CombinedStats` of one `ContainerStats` per node feeds the same `record_processes`; the request
logs stay the router's.
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Callable, Protocol

from paas.domain import metric_series
from paas.domain.metrics import RETENTION, MinuteRow, aggregate, minute_of
from paas.domain.stats import ProcessMinute, Sample, process_minutes
from paas.errors import InvalidInput
from paas.settings import Settings

log = logging.getLogger("paas.metrics")
INTERVAL = 10.0
EVENTS_CURSOR = "docker_events"  # the stats source's event stream, in metrics_cursors
RATE_WINDOW = 300  # the apps list's request and error rates: the last 5 minutes


def access_log_dir(settings: Settings) -> Path:
    """Where the router writes each app's JSON access log."""
    return settings.nginx_dir / "logs"


class Chunk(Protocol):
    lines: list[bytes]
    position: tuple[int, int]


class AccessLogs(Protocol):
    def read(self, app: str, position: tuple[int, int] | None) -> Chunk: ...
    def tidy(self, app: str, position: tuple[int, int]) -> None: ...
    def remove_others(self, apps: set[str]) -> list[str]: ...


class MetricsStore(Protocol):
    def log_position(self, app: str) -> tuple[int, int] | None: ...
    def log_positions(self) -> dict[str, tuple[int, int]]: ...
    def add_requests(self, app: str, rows: dict[int, MinuteRow],
                     position: tuple[int, int]) -> None: ...
    def add_requests_batch(self, batch: list[tuple[str, dict[int, MinuteRow],
                                                   tuple[int, int]]]) -> None: ...
    def requests(self, app: str, since: int) -> dict[int, MinuteRow]: ...
    def request_totals(self, since: int, apps: list[str] | None = None
                       ) -> dict[str, tuple[int, int]]: ...
    def cursor(self, name: str) -> int | None: ...
    def add_processes(self, rows: list[ProcessMinute],
                      cursor: tuple[str, int] | None = None) -> None: ...
    def processes(self, app: str, since: int) -> list[ProcessMinute]: ...
    def prune(self, before: int, apps: set[str]) -> int: ...


class ContainerStats(Protocol):
    """The latest figures of each running process container of this instance, and the
    restarts and OOM kills seen since the last call, keyed by (app, process)."""
    def samples(self) -> list[Sample]: ...
    def events(self) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], int]]: ...


class ResumableStats(ContainerStats, Protocol):
    """A source whose events can resume where the last stored count ended (one event stream,
    such as one Docker engine's)."""
    def resume(self, position: int | None) -> None: ...
    def position(self) -> int | None: ...


class CombinedStats:
    """Several hosts' figures as one source (Swarm: a `ContainerStats` per node). It is not
    resumable: each node's event stream has a position of its own, so resuming needs one
    stored position per node (`metrics_cursors` takes a name per stream) before this can
    offer `resume` and `position`."""

    def __init__(self, sources: list[ContainerStats]) -> None:
        self.sources = sources

    def samples(self) -> list[Sample]:
        return [s for source in self.sources for s in source.samples()]

    def events(self) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], int]]:
        restarts: dict[tuple[str, str], int] = {}
        ooms: dict[tuple[str, str], int] = {}
        for source in self.sources:
            more_restarts, more_ooms = source.events()
            for total, more in ((restarts, more_restarts), (ooms, more_ooms)):
                for key, count in more.items():
                    total[key] = total.get(key, 0) + count
        return restarts, ooms


class Metrics:
    def __init__(self, settings: Settings, store, metrics: MetricsStore, logs: AccessLogs,
                 stats: ContainerStats | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.store = store  # the platform's: apps and releases
        self.metrics = metrics
        self.logs = logs
        self.stats = stats
        self.clock = clock
        self._pruned: int | None = None  # the cutoff of the last prune, and the apps then
        self._apps: set[str] = set()
        self._resumed = False  # the event stream told where the stored counts end

    # collecting
    def collect_requests(self, app: str) -> int:
        """Count what the app's log gained since the last call; returns the lines read."""
        chunk = self.logs.read(app, self.metrics.log_position(app))
        self.metrics.add_requests(app, aggregate(chunk.lines), chunk.position)
        self.logs.tidy(app, chunk.position)
        return len(chunk.lines)

    def record_processes(self) -> int:
        if self.stats is None:
            return 0
        resumable = hasattr(self.stats, "resume")
        if resumable and not self._resumed:
            # Before the first count: the events since the last stored one are replayed.
            self.stats.resume(self.metrics.cursor(EVENTS_CURSOR))
            self._resumed = True
        restarts, ooms = self.stats.events()
        rows = process_minutes(self.stats.samples(), restarts, ooms, minute_of(self.clock()))
        position = self.stats.position() if resumable else None
        self.metrics.add_processes(rows, None if position is None else (EVENTS_CURSOR, position))
        return len(rows)

    def collect_all(self, apps: list[str]) -> int:
        """Every app's new lines, stored in one transaction (one commit per pass, whatever
        the number of apps); returns the lines read."""
        positions = self.metrics.log_positions()
        batch = []
        for app in apps:
            try:
                chunk = self.logs.read(app, positions.get(app))
            except OSError:
                log.exception("reading the access log of %s failed; trying again", app)
                continue
            if chunk.lines or chunk.position != positions.get(app):
                batch.append((app, aggregate(chunk.lines), chunk.position, len(chunk.lines)))
        self.metrics.add_requests_batch([(app, rows, pos) for app, rows, pos, _ in batch])
        for app, _, position, _ in batch:
            self.logs.tidy(app, position)
        return sum(n for *_, n in batch)

    def collect_once(self) -> None:
        apps = [a.name for a in self.store.list_apps()]
        self.collect_all(apps)
        self.record_processes()
        # Dropping old minutes scans the table: once a minute is enough (rows are per minute).
        cutoff = minute_of(self.clock() - RETENTION)
        if cutoff != self._pruned or set(apps) != self._apps:
            self.metrics.prune(cutoff, set(apps))
            self.logs.remove_others(set(apps))
            self._pruned, self._apps = cutoff, set(apps)

    def forget(self, app: str) -> None:
        """A destroyed app's access logs and rows go now, not at the next pass (an app created
        again under the same name starts from nothing)."""
        apps = {a.name for a in self.store.list_apps()} - {app}
        self.logs.remove_others(apps)
        self.metrics.prune(minute_of(self.clock() - RETENTION), apps)

    def run_forever(self, stop: threading.Event, interval: float = INTERVAL) -> None:
        while not stop.wait(interval):
            try:
                self.collect_once()
            except Exception:  # the loop must outlive a passing disk or Docker failure
                log.exception("metrics collection failed; trying again")

    # reading
    def series(self, app: str, since: str = "1h") -> dict:
        seconds = parse_since(since)
        now = self.clock()
        start = minute_of(now - seconds)
        markers = [{"version": r.version, "at": r.created_at, "description": r.description}
                   for r in self.store.list_releases(app)
                   if r.created_at >= start and r.status == "succeeded"]
        return metric_series.build(
            app, since=seconds, now=now, requests=self.metrics.requests(app, start),
            processes=self.metrics.processes(app, start), markers=sorted(
                markers, key=lambda m: m["at"]))

    def recent_rates(self, apps: list[str] | None = None,
                     window: int = RATE_WINDOW) -> dict[str, dict]:
        """Per app (`apps`, or every app): requests per minute and 5xx share over the last
        `window` seconds, from one query for all of them (the apps list shows it)."""
        names = [a.name for a in self.store.list_apps()] if apps is None else apps
        totals = self.metrics.request_totals(minute_of(self.clock() - window) + 60, names)
        return {name: metric_series.rates(totals.get(name), window) for name in names}


def parse_since(text: str) -> int:
    if text not in metric_series.SINCE:
        raise InvalidInput(f"since must be one of {', '.join(metric_series.SINCE)}")
    return metric_series.SINCE[text]
