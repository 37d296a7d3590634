"""Convergence: keep what runs equal to what should run, with no manual step.

Every few seconds: nginx must be running; every app's formation must run its current release
(containers that died are replaced, extras retired); nginx must point at the containers' current
addresses on their app networks (they can change when dockerd restarts them); stopped containers
older than PAAS_KEEP_STOPPED_SECONDS (an hour) go, their last lines copied to the log archive
first (`keep_logs`). An app whose lock is held (a deploy is running) is left alone until the
next pass. A process that keeps crashing is stopped once Docker has restarted it
CRASH_RESTARTS times, and its slot is started again only when paas/domain/backoff.py says
(1 s doubling to 5 min). A pass lists the platform's containers once; an app is listed again, under its lock,
only when that first look says something must change (with 100 apps, one Docker listing every
two seconds instead of a hundred).
"""
from __future__ import annotations

import logging
import threading
from collections import defaultdict
from datetime import datetime, timezone
from typing import Callable

from paas.errors import DeployFailed
from paas.ports import Engine, Proxy, Store
from paas.render.plan import plan
from paas.services.deploy import Deployer
from paas.services.router import Router
from paas.services.scheduler import STOPPED_STATUSES, Scheduler

log = logging.getLogger("paas.converge")
KEEP_STOPPED_SECONDS = 3600  # the default of PAAS_KEEP_STOPPED_SECONDS


class Converger:
    def __init__(self, store: Store, engine: Engine, scheduler: Scheduler, deployer: Deployer,
                 router: Router, proxy: Proxy,
                 keep_logs: Callable[[list], None] = lambda containers: None) -> None:
        self.store = store
        self.engine = engine
        self.scheduler = scheduler
        self.deployer = deployer
        self.router = router
        self.proxy = proxy
        self.keep_logs = keep_logs

    @property
    def _keep_stopped(self) -> float:
        return self.deployer.settings.keep_stopped_seconds

    def once(self) -> list[str]:
        actions = []
        if not self.proxy.is_running():
            self.proxy.ensure_running()
            actions.append("started nginx")
        if self.router.ensure_control():
            actions.append("routed the control plane")
        seen: dict[str, list] = defaultdict(list)
        for c in self.scheduler.processes_of(None):
            seen[c.labels.get("paas.app", "")].append(c)
        for app in self.store.list_apps():
            lock = self.deployer.lock(app.name)
            if not lock.acquire(blocking=False):
                continue
            try:
                actions += self._app(app.name, seen[app.name])
            except DeployFailed as exc:
                # A crash-looping slot started again after its backoff that crashes once more:
                # kept stopped (its next, longer wait follows), and the other apps of this pass
                # still get their turn.
                self.deployer.events.write(app.name, "converge", f"restart failed: {exc}"[:500])
                actions.append(f"{app.name}: restart failed")
            finally:
                lock.release()
        return actions

    def _needs_work(self, app: str, release, seen: list) -> bool:
        """Whether the pass's first look (maybe older than a deploy that has just finished)
        shows anything to do; the work itself is decided again from a fresh listing."""
        if self._old_stopped(release.version, seen):
            return True
        if any(c.status == "paused" and self.scheduler.standby_due(c.id) for c in seen):
            return True
        if self.scheduler.crash_looping(seen):
            return True
        wanted = plan(release.version, release.processes, self.store.get_formation(app),
                      self.scheduler.running(app, seen), same=self.deployer.same_as(release))
        return wanted.changes or self.proxy.read_app(app) != self.router.render(
            app, self.scheduler.web_addresses(list(wanted.keep)))

    def _app(self, app: str, seen: list) -> list[str]:
        release = self.store.current_release(app)
        if release is None or not self._needs_work(app, release, seen):
            return []
        containers = self.scheduler.processes_of(app)  # fresh, under the app's lock
        self._remove_old_stopped(app, release.version, containers)
        self.scheduler.expire_standby(app, containers=containers)
        looping = self.scheduler.crash_looping(containers)
        if looping:  # stopped, so Docker's restarts end; the slot then waits its backoff
            self.scheduler.keep_stopped(looping)
            self.deployer.events.write(app, "converge", f"stopped {len(looping)} crash-looping "
                                       "container(s); restarting them with backoff")
            containers = self.scheduler.processes_of(app)
        wanted = plan(release.version, release.processes, self.store.get_formation(app),
                      self.scheduler.running(app, containers), same=self.deployer.same_as(release))
        if wanted.changes:
            self.deployer.apply(release, lambda line: log.info("%s: %s", app, line.strip()))
            action = f"started {len(wanted.start)}, retired {len(wanted.retire)}"
        elif self.router.ensure(app, self.scheduler.web_addresses(list(wanted.keep))):
            action = "routed to current addresses"
        else:
            return []
        self.deployer.events.write(app, "converge", action)
        return [f"{app}: {action}"]

    def _old_stopped(self, current: int, containers) -> list:
        """Stopped containers kept long enough. A crash of the current release stays at least
        KEEP_STOPPED_SECONDS whatever the setting: its slot's backoff counts its crashes
        (paas/domain/backoff.py), and forgetting them would restart a crash loop hot."""
        now = datetime.now(timezone.utc).timestamp()
        old = []
        for c in containers:
            if c.status != "exited":
                continue
            keep = self._keep_stopped
            if ((c.exit_code not in STOPPED_STATUSES or c.oom_killed)
                    and c.labels.get("paas.release") == str(current)):
                keep = max(keep, KEEP_STOPPED_SECONDS)
            if now - _finished(c) > keep:
                old.append(c)
        return old

    def _remove_old_stopped(self, app: str, current: int, containers) -> None:
        old = self._old_stopped(current, containers)
        self.keep_logs(old)
        for c in old:
            self.engine.remove_container(c.id)
        if old:  # a failed release's image was kept only for its stopped containers' logs
            self.deployer.images.collect(app)

    def run_forever(self, stop: threading.Event, interval: float = 2.0) -> None:
        while not stop.wait(interval):
            try:
                for action in self.once():
                    log.warning("converged: %s", action)
            except Exception:  # the loop must outlive a passing Docker or nginx failure
                log.exception("convergence pass failed; trying again")


def _finished(container) -> float:
    stamp = getattr(container, "finished_at", "") or container.started_at
    try:
        return datetime.fromisoformat(stamp[:26].rstrip("Z") + "+00:00").timestamp()
    except ValueError:
        return 0.0
