"""Processes of an app: list them, scale the formation, restart, set resource limits.

Each change goes through the deploy algorithm (`Deployer.apply`) against the current release,
so it is zero-downtime in the same way a push is; none of them makes a release (as on Heroku).
"""
from __future__ import annotations

import re
import shlex

from paas.domain.models import Release
from paas.domain.procfile import MAX_SCALE, TYPE_RE
from paas.domain.resources import parse as parse_resources
from paas.render.plan import ONE_OFF_TYPES
from paas.errors import Conflict, InvalidInput
from paas.ports import LineWriter, Store
from paas.services.deploy import Deployer
from paas.services.scheduler import Process, Scheduler

SCALE_RE = re.compile(rf"({TYPE_RE.pattern})=([0-9]{{1,3}})")
RUN_TIMEOUT = 3600  # seconds a one-off may run unless `paas run --timeout` says otherwise
MAX_RUN_TIMEOUT = 24 * 3600
TIMED_OUT = 124  # the exit status of a one-off stopped at its timeout (as timeout(1))


class Processes:
    def __init__(self, store: Store, scheduler: Scheduler, deployer: Deployer) -> None:
        self.store = store
        self.scheduler = scheduler
        self.deployer = deployer

    def ps(self, app: str, containers: list | None = None) -> list[Process]:
        return self.scheduler.processes(app, containers)

    def ps_all(self) -> dict[str, list]:
        """Every app's containers in one Docker listing, to pass back to `ps` app by app."""
        return self.scheduler.processes_by_app()

    def _current(self, app: str) -> Release:
        release = self.store.current_release(app)
        if release is None:
            raise Conflict(f"{app} has no release yet: push it first (git push paas main)")
        return release

    def scale(self, app: str, changes: dict[str, int], on_line: LineWriter) -> dict[str, int]:
        if not changes:
            raise InvalidInput("nothing to scale: give TYPE=N, e.g. web=2")
        with self.deployer.lock(app):
            release = self._current(app)
            once = sorted(set(changes) & ONE_OFF_TYPES)
            if once:
                raise InvalidInput(f"{once[0]!r} runs once per release, before traffic moves; "
                                   "it cannot be scaled")
            unknown = sorted(set(changes) - set(release.processes))
            if unknown:
                raise InvalidInput(f"no such process type {unknown[0]!r} in v{release.version} "
                                   f"(it has: {', '.join(sorted(release.processes)) or 'none'})")
            before = self.store.get_formation(app)
            formation = {**before, **changes}
            self.store.set_formation(app, formation)
            try:
                self.deployer.apply(release, on_line, formation=formation)
            except Exception:
                self.store.set_formation(app, before)
                raise
        self.deployer.events.write(app, "scale", "formation " + " ".join(
            f"{k}={v}" for k, v in sorted(formation.items())))
        return formation

    def restart(self, app: str, process: str | None, on_line: LineWriter) -> None:
        """Rolling: one container at a time is replaced new-before-old, so capacity never drops
        and at most one extra container runs."""
        with self.deployer.lock(app):
            release = self._current(app)
            if process is not None and process not in release.processes:
                raise InvalidInput(f"no such process type {process!r} in v{release.version}")
            slots = sorted({(c.process, c.index) for c in self.scheduler.running(app)
                            if process is None or c.process == process})
            for slot in slots:
                self.deployer.apply(release, on_line, restart={slot})
        self.deployer.events.write(app, "restart", f"restarted {process or 'all processes'}")

    def run(self, app: str, argv: list[str], on_line: LineWriter,
            timeout: float = RUN_TIMEOUT) -> int:
        """A one-off container of the current release with its config; its exit status. It is
        stopped after `timeout` seconds (exit status 124), so no one-off runs forever."""
        if not argv or not all(isinstance(a, str) for a in argv):
            raise InvalidInput("give the command to run, e.g. paas run -- python manage.py migrate")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) \
                or not 1 <= timeout <= MAX_RUN_TIMEOUT:
            raise InvalidInput(f"timeout must be a number of seconds from 1 to {MAX_RUN_TIMEOUT}")
        release = self._current(app)
        self.deployer.events.write(app, "run", f"one-off: {shlex.join(argv)[:200]}")
        status = self.scheduler.run_once(release, shlex.join(argv), on_line,
                                         self.store.get_resources(app), timeout=timeout)
        if status == TIMED_OUT:
            on_line(f" !     stopped after {timeout:g} s (paas run --timeout)")
        return status

    def set_resources(self, app: str, process: str | None, args: list[str],
                      on_line: LineWriter) -> dict[str, dict[str, str]]:
        if process is not None and not TYPE_RE.fullmatch(process):
            raise InvalidInput(f"invalid process type {process[:40]!r}: use the Procfile's names")
        values = parse_resources(args)
        if not values:
            raise InvalidInput("nothing to set: give e.g. memory=512m cpus=0.5 pids=256")
        with self.deployer.lock(app):
            self.store.set_resources(app, process or "*", values)
            release = self.store.current_release(app)
            if release is not None:
                self.deployer.apply(release, on_line,
                                    restart=None if process is None else {process})
        return self.store.get_resources(app)


def parse_scale(args: list[str]) -> dict[str, int]:
    changes = {}
    for arg in args:
        match = SCALE_RE.fullmatch(arg)
        if not match or int(match.group(2)) > MAX_SCALE:
            raise InvalidInput(f"invalid scale {arg[:40]!r}: use TYPE=N with N from 0 to {MAX_SCALE}")
        changes[match.group(1)] = int(match.group(2))
    return changes
