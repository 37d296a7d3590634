"""`paas logs`: every container of the app (retired ones too, while they are kept) and the
platform's events, merged in time order as Heroku prints them: `<time> app[web.1]: line`.
`paas logs --release vN`: only the containers of that release, including the stopped ones a
failed deploy kept (their lines say why it failed), without the events."""
from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Iterator

from paas.ports import Engine, Events
from paas.services.scheduler import Scheduler

FOLLOW_POLL = 0.5
FOLLOW_MAX_SECONDS = 3600


def _epoch(stamp: str) -> float:
    try:
        return datetime.fromisoformat(stamp[:26].rstrip("Z") + "+00:00").timestamp()
    except ValueError:
        return 0.0


def _iso(when: float) -> str:
    return datetime.fromtimestamp(when, timezone.utc).isoformat(timespec="microseconds")


class Logs:
    def __init__(self, engine: Engine, scheduler: Scheduler, events: Events) -> None:
        self.engine = engine
        self.scheduler = scheduler
        self.events = events

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
