"""`paas logs`: every container of the app (retired ones too, while they are kept) and the
platform's events, merged in time order as Heroku prints them: `<time> app[web.1]: line`.
`paas logs --release vN`: only the containers of that release, including the stopped ones a
failed deploy kept (their lines say why it failed), without the events, and the lines that the
log archive kept of its removed containers: `keep` copies a container's last lines there just
before it is removed, so the newest releases stay readable after redeploys (dokku#3241)."""
from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Iterator

from paas.ports import ContainerState, Engine, Events, LogArchive
from paas.services.scheduler import Scheduler

FOLLOW_POLL = 0.5
FOLLOW_MAX_SECONDS = 3600
KEEP_LINES = 1500  # per process type of a release, as the archive keeps them


def _epoch(stamp: str) -> float:
    try:
        return datetime.fromisoformat(stamp[:26].rstrip("Z") + "+00:00").timestamp()
    except ValueError:
        return 0.0


def _iso(when: float) -> str:
    return datetime.fromtimestamp(when, timezone.utc).isoformat(timespec="microseconds")


class Logs:
    def __init__(self, engine: Engine, scheduler: Scheduler, events: Events,
                 archive: LogArchive | None = None) -> None:
        self.engine = engine
        self.scheduler = scheduler
        self.events = events
        self.archive = archive

    def keep(self, containers: list[ContainerState]) -> None:
        """Copy the last lines of app containers about to be removed into the archive. Never
        raises: a container's removal must not wait on its logs."""
        if self.archive is None:
            return
        groups: dict[tuple[str, int, str], list[tuple[str, str, str]]] = {}
        for c in containers:
            app, process = c.labels.get("paas.app", ""), c.labels.get("paas.process", "")
            release = c.labels.get("paas.release", "")
            if not (app and process and release.isdigit()):
                continue
            name = f"{process}.{c.labels.get('paas.index', '0')}"
            try:
                lines = self.engine.log_lines(c.id, tail=KEEP_LINES)
            except Exception:  # a passing Docker failure: the container goes without them
                continue
            groups.setdefault((app, int(release), process), []).extend(
                (stamp, name, text) for stamp, text in lines)
        for (app, release, process), lines in groups.items():
            self.keep_output(app, release, process, lines)

    def keep_output(self, app: str, release: int, process: str,
                    lines: list[tuple[str, str, str]]) -> None:
        """Archive (time, `type.index`, text) lines of a release's `process` (e.g. its
        release phase, whose one-off container is removed when it ends)."""
        if self.archive is None or not lines:
            return
        try:
            self.archive.add(app, release, process, lines)
        except OSError:  # a full disk: the lines are lost, the platform goes on
            pass

    def _entries(self, app: str, since: dict[str, float], tail: int | None,
                 release: int | None = None) -> list[tuple[float, str]]:
        """(time, formatted line) of everything newer than `since` (per source), updating it;
        with `release`, only that release's containers."""
        entries = []
        for c in self.scheduler.processes_of(app):
            if release is not None and c.labels.get("paas.release") != str(release):
                continue
            name = f"{c.labels.get('paas.process')}.{c.labels.get('paas.index')}"
            last = since.get(c.id)
            for stamp, text in self.engine.log_lines(c.id, since=last, tail=tail):
                when = _epoch(stamp)
                if last is not None and when <= last:
                    continue
                entries.append((when, f"{_iso(when)} app[{name}]: {text}"))
                since[c.id] = max(since.get(c.id, 0.0), when)
        if release is not None and self.archive is not None:
            live = {line for _, line in entries}
            for stamp, name, text in self.archive.read(app, release):
                when = _epoch(stamp)
                line = f"{_iso(when)} app[{name}]: {text}"
                if line not in live:  # archived, and still in Docker when removing it failed
                    entries.append((when, line))
        for when, source, message in ([] if release is not None else
                                      self.events.read(app, since.get("events", 0.0))):
            entries.append((when, f"{_iso(when)} paas[{source}]: {message}"))
            since["events"] = max(since.get("events", 0.0), when)
        return sorted(entries)

    def recent(self, app: str, lines: int = 100, release: int | None = None) -> list[str]:
        return [text for _, text in self._entries(app, {}, tail=lines, release=release)][-lines:]

    def follow(self, app: str, lines: int = 100) -> Iterator[str]:
        for batch in self.polls(app, lines):
            yield from batch

    def polls(self, app: str, lines: int = 100,
              max_seconds: float = FOLLOW_MAX_SECONDS) -> Iterator[list[str]]:
        """`follow` one poll at a time: the last `lines` lines, then every FOLLOW_POLL seconds
        the new ones, an empty batch when there are none, so that a streaming caller gets the
        turn to check that its client is still there."""
        since: dict[str, float] = {}
        yield [text for _, text in self._entries(app, since, tail=lines)[-lines:]]
        deadline = time.monotonic() + max_seconds
        while time.monotonic() < deadline:
            time.sleep(FOLLOW_POLL)
            yield [text for _, text in self._entries(app, since, tail=None)]
