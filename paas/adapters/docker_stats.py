"""Container figures from the Docker API (issue 15): one stats stream per running process
container of this instance, and one event stream for restarts and OOM kills.

Each stream runs in a thread that only keeps the latest document; `samples()` (called every
10 s by the collector) turns those into figures. Docker sends a stats document about once a
second per stream; nothing here polls a container. It works through the client the Docker
adapter made (`DockerEngine.client`), so `docker` stays imported in one module only.
"""
from __future__ import annotations

import logging
import threading
import time

from paas.domain.stats import Sample, cpu_percent, memory

log = logging.getLogger("paas.metrics")
REPLAY = 300  # seconds of events read again on resuming (for a restart's die and start)


class DockerStats:
    def __init__(self, client, instance: str) -> None:
        self.api = client.api
        self.instance = instance
        self._latest: dict[str, tuple[str, str, dict]] = {}  # id → (app, process, doc)
        self._streams: set[str] = set()
        self._died: set[str] = set()
        self._restarts: dict[tuple[str, str], int] = {}
        self._ooms: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        self._events: threading.Thread | None = None
        self._seen: int | None = None    # timeNano of the last event read
        self._handed: int | None = None  # ... as of the counts `events()` last handed out

    def _filters(self) -> dict:
        return {"label": [f"paas.instance={self.instance}", "paas.kind=process"]}

    def samples(self) -> list[Sample]:
        self._ensure_events()
        running = self.api.containers(filters=self._filters())  # one call, no inspect each
        now = time.time()
        out = []
        with self._lock:
            for c in running:
                labels = c.get("Labels") or {}
                key = (labels.get("paas.app", ""), labels.get("paas.process", ""))
                if c["Id"] not in self._streams:
                    self._streams.add(c["Id"])
                    threading.Thread(target=self._follow, args=(c["Id"], key), daemon=True,
                                     name=f"stats-{c['Id'][:12]}").start()
                found = self._latest.get(c["Id"])
                if found:
                    used, limit = memory(found[2])
                    out.append(Sample(app=key[0], process=key[1], at=now,
                                      cpu_percent=cpu_percent(found[2]), mem_used=used,
                                      mem_limit=limit))
        return out

    def events(self) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], int]]:
        self._ensure_events()
        with self._lock:
            restarts, ooms = self._restarts, self._ooms
            self._restarts, self._ooms = {}, {}
            self._handed = self._seen
        return restarts, ooms

    def resume(self, position: int | None) -> None:
        """Count only events after `position` (a timeNano the stored counts end at; None: from
        now). The stream starts REPLAY seconds earlier: those events are read again, uncounted,
        so that a die before the position and its start after it still make a restart."""
        with self._lock:
            self._seen = self._handed = time.time_ns() if position is None else position

    def position(self) -> int | None:
        """The timeNano that the counts `events()` last returned end at."""
        with self._lock:
            return self._handed

    def _follow(self, container_id: str, key: tuple[str, str]) -> None:
        try:
            for doc in self.api.stats(container_id, decode=True, stream=True):
                with self._lock:
                    self._latest[container_id] = (key[0], key[1], doc)
        except Exception:  # the container went away: its stream ends
            pass
        finally:
            with self._lock:
                self._latest.pop(container_id, None)
                self._streams.discard(container_id)

    def _ensure_events(self) -> None:
        if self._events is None or not self._events.is_alive():
            self._events = threading.Thread(target=self._watch, daemon=True, name="stats-events")
            self._events.start()

    def _watch(self) -> None:
        filters = {**self._filters(), "type": ["container"], "event": ["oom", "die", "start", "destroy"]}
        with self._lock:  # a stream that ended resumes where it was: nothing in between lost
            if self._seen is None:
                self._seen = self._handed = time.time_ns()
            start = self._seen - REPLAY * 10**9
        try:
            for event in self.api.events(decode=True, filters=filters,
                                         since=f"{start // 10**9}.{start % 10**9:09d}"):
                self._count(event)
        except Exception:
            log.exception("the Docker event stream ended; it restarts at the next sample")

    def _count(self, event: dict) -> None:
        attrs = (event.get("Actor") or {}).get("Attributes") or {}
        key = (attrs.get("paas.app", ""), attrs.get("paas.process", ""))
        cid, action = event.get("id", ""), event.get("Action") or event.get("status")
        at = int(event.get("timeNano") or 0)
        with self._lock:
            # Events up to the last one read (replayed after a restart) only update the state.
            new = self._seen is None or at > self._seen
            if new and at:
                self._seen = at
            if action == "oom" and new:
                self._ooms[key] = self._ooms.get(key, 0) + 1
            elif action == "destroy":
                self._died.discard(cid)
            elif action == "die":
                self._died.add(cid)
            elif action == "start" and cid in self._died:  # Docker's restart policy at work
                self._died.discard(cid)
                if new:
                    self._restarts[key] = self._restarts.get(key, 0) + 1
