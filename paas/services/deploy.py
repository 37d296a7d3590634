"""The deploy flow, in one place: build → release vN → start → check → route → retire.

Every path that changes what runs (push, config change, rollback; restart and scale later)
makes its release through `release_and_deploy`, so all get the same new-before-old swap, and
a failure anywhere leaves the previous release serving and its config in force.
"""
from __future__ import annotations

import threading
import time
from collections import defaultdict
from datetime import datetime, timezone
from typing import Callable
from dataclasses import replace

from paas.domain.appjson import initial_formation
from paas.domain.healthchecks import from_json
from paas.domain.models import Release
from paas.domain.releases import runs_alike
from paas.domain.resources import check_app_containers
from paas.errors import DeployFailed, PaasError
from paas.ports import AppLock, Events, LineWriter, Store
from paas.services.builder import Builder
from paas.services.disk import require_free, space_errors_fail_the_deploy
from paas.services.images import ImageCollector
from paas.services.router import Router
from paas.render.plan import PHASES, Plan, plan, runnable, wanted_web
from paas.services.scheduler import Scheduler, Started
from paas.settings import Settings


# Printed after the swap; bench/deploys.py reads it back to break a deploy's time down.
KEPT_OUTPUT = 1500  # lines of a release phase kept for `paas logs --release vN`
TIMINGS = "started in {:.2f}s, healthy {:.2f}s later, routed in {:.2f}s"


class Deployer:
    def __init__(self, settings: Settings, store: Store, builder: Builder, scheduler: Scheduler,
                 router: Router, images: ImageCollector, events: Events,
                 locks: Callable[[str], AppLock] | None = None) -> None:
        self.settings = settings
        self.store = store
        self.builder = builder
        self.scheduler = scheduler
        self.router = router
        self.images = images
        self.events = events
        # One change per app at a time; others wait their turn rather than interleave swaps.
        # Production passes locks that also hold across processes (paas.adapters.app_locks).
        self._locks = locks or defaultdict(threading.Lock).__getitem__
        # Where a release phase's output is kept for `paas logs --release vN` (its one-off
        # container is removed when it ends): bootstrap wires the log archive.
        self.keep_output: Callable[[str, int, str, list[tuple[str, str, str]]], None] = \
            lambda app, version, process, lines: None

    def lock(self, app: str) -> AppLock:
        return self._locks(app)

    def deploy_push(self, app: str, sha: str, on_line: LineWriter, created_by: str = "admin") -> Release:
        started = time.monotonic()
        with self.lock(app):
            try:
                with space_errors_fail_the_deploy(self.settings.home):
                    require_free(self.settings.home)
                    release = self._deploy_push(app, sha, on_line, created_by)
            except DeployFailed:
                self._fail_leftovers(app)
                raise
        on_line(f"-----> Released v{release.version} in {time.monotonic() - started:.1f}s")
        on_line(f"       {self.settings.app_url(app)} deployed")
        return release

    def _fail_leftovers(self, app: str) -> None:
        """A deploy that failed on a full disk may not have recorded it: under the app's lock,
        whatever of this app is still pending is this deploy's."""
        try:
            self.store.fail_interrupted(app)
        except OSError:
            pass  # still full: recovery at the next start records it

    def _deploy_push(self, app: str, sha: str, on_line: LineWriter, created_by: str) -> Release:
        outcome = self.builder.build(app, sha, on_line)
        stored = self.store.get_formation(app)
        first = self.store.current_release(app) is None
        formation = initial_formation(stored, outcome.formation, first)
        self.store.set_formation(app, formation)
        if not any(n > 0 for p, n in formation.items() if p in runnable(outcome.processes)):
            others = sorted(runnable(outcome.processes))
            on_line(f"-----> Nothing will run: no web process, and no other type is scaled up; "
                    f"start one with: paas ps:scale {others[0]}=1")
        try:
            release = self.release_and_deploy(
                app, image=outcome.image, processes=outcome.processes, commit=sha,
                description=f"Deploy {sha[:7]}", created_by=created_by,
                build_id=outcome.build.id, on_line=on_line, healthchecks=outcome.healthchecks,
            )
        except DeployFailed:
            self.store.set_formation(app, stored)
            raise
        return release

    def release_and_deploy(self, app: str, *, image: str, processes: dict[str, str], commit: str,
                           description: str, created_by: str, on_line: LineWriter,
                           build_id: int | None = None, config: dict[str, str] | None = None,
                           healthchecks: dict | None = None,
                           mounts: dict[str, str] | None = None) -> Release:
        """Record release vN and make it the running one; returns it as stored then (succeeded).
        The caller holds `lock(app)`. With `config`, that becomes the app's config; with
        `mounts`, the app's volume mounts; either is restored if the deploy fails."""
        config_before = self.store.get_config(app)
        mounts_before = self.store.get_mounts(app)
        release = self.store.create_release(
            app, image=image, processes=processes, commit=commit, description=description,
            created_by=created_by, build_id=build_id, config=config, healthchecks=healthchecks,
            mounts=mounts,
        )
        try:
            self._release_phase(release, on_line)
            self._swap(release, on_line)
        except DeployFailed:
            if config is not None:
                self.store.replace_config(app, config_before)
            if mounts is not None:
                self.store.replace_mounts(app, mounts_before)
            raise
        self.images.collect(app)
        return replace(release, status="succeeded")

    def _release_phase(self, release: Release, on_line: LineWriter) -> None:
        """app.json's predeploy, then the Procfile's `release` command, run once each before
        any traffic moves to the release."""
        for phase in PHASES:
            command = release.processes.get(phase)
            if not command:
                continue
            what = "predeploy script (app.json)" if phase == "predeploy" else "release command"
            on_line(f"-----> Running {what}: {command}")
            output: list[tuple[str, str, str]] = []

            def line(text: str, phase: str = phase) -> None:
                on_line(f"       {text}")
                stamp = datetime.now(timezone.utc).isoformat(timespec="microseconds")
                output.append((stamp.replace("+00:00", "Z"), f"{phase}.1", text.rstrip("\n")))
                del output[:-KEPT_OUTPUT]

            try:
                status = self.scheduler.run_once(release, command, line,
                                                 self.store.get_resources(release.app))
            finally:  # a failed one most of all: its lines say why the deploy failed
                self.keep_output(release.app, release.version, phase, output)
            if status != 0:
                self.store.set_release_status(release.app, release.version, "failed")
                self.events.write(release.app, "release", f"v{release.version} {what} failed ({status})")
                raise DeployFailed(f"v{release.version} failed: the {what} exited with status "
                                   f"{status}; the running release is unchanged")

    def _swap(self, release: Release, on_line: LineWriter) -> None:
        app, name = release.app, f"v{release.version}"
        on_line(f"-----> Launching {name} ({', '.join(sorted(release.processes)) or 'no processes'})")
        self.events.write(app, "deploy", f"{name} ({release.description}) by {release.created_by}: starting")
        try:
            self.apply(release, on_line, restart=None, replacing=True)
        except DeployFailed as exc:
            self.store.set_release_status(app, release.version, "failed")
            self.events.write(app, "deploy", f"{name} failed: {exc.message}")
            raise DeployFailed(f"{name} failed: {exc.message}") from exc
        self.store.set_release_status(app, release.version, "succeeded")
        self.events.write(app, "deploy", f"{name} is live")

    def apply(self, release: Release, on_line: LineWriter, restart: set[str] | None = frozenset(),
              formation: dict[str, int] | None = None, replacing: bool = False) -> Plan:
        """The one deploy algorithm: plan, start new containers, check them all, point nginx
        at the web ones, then drain and retire the old. Anything failing before the swap stops
        the new containers and leaves the old ones serving and routed. Caller holds the lock.
        nginx is reloaded only when the app's file changes: a worker restarted after its crash
        loop's backoff must not reload the router that every other app's requests go through."""
        app = release.app
        formation = self.store.get_formation(app) if formation is None else formation
        check_app_containers(app, formation, runnable(release.processes))
        same = self.same_as(release)
        resumed: list[Started] = []
        started: list[Started] = []
        try:
            at = [time.monotonic()]
            if replacing and len(same) > 1:  # a rollback: its containers may be in standby
                resumed = self.scheduler.resume(app, same, wanted_web(release.processes, formation))
                for item in resumed:
                    on_line(f"       resuming {item.process}.{item.index} from standby")
            running = self.scheduler.running(app)
            p = plan(release.version, release.processes, formation, running,
                     frozenset() if resumed else restart, same=same)
            started = self.scheduler.start(release, p.start, on_line, self.store.get_resources(app))
            at.append(time.monotonic())
            self.scheduler.wait_answering(resumed + started, from_json(release.healthchecks))
            at.append(time.monotonic())
            addresses = self.scheduler.web_addresses(list(p.keep)) + [
                s.address for s in started if s.process == "web" and s.address]
            if self.scheduler.settle_left(started) > 0 and addresses:
                # Overlap the settle with nginx's test and reload: the new containers take the
                # traffic, the old ones stay behind them as backups, so a request that finds a
                # new container dead is still answered; if one dies, the old route comes back.
                old = self.scheduler.web_addresses([c for c in running if c.id in p.retire])
                self.router.ensure(app, addresses, backups=old)
                at.append(time.monotonic())
                try:
                    self.scheduler.wait_settled(resumed + started)
                except DeployFailed:
                    self.router.ensure(app, self.scheduler.web_addresses(
                        [c for c in running if c.process == "web"]))
                    raise
                self.router.ensure(app, addresses)
            else:
                self.scheduler.wait_settled(resumed + started)
                self.router.ensure(app, addresses)
                at.append(time.monotonic())
        except Exception as exc:
            self.scheduler.remove([s.container_id for s in resumed])
            if isinstance(exc, DeployFailed):
                # Kept stopped, so `paas logs --release vN` shows why it failed (dokku#3241);
                # convergence removes them after PAAS_KEEP_STOPPED_SECONDS, their lines archived.
                self.scheduler.keep_stopped([s.container_id for s in started])
            else:
                self.scheduler.remove([s.container_id for s in started])
            if isinstance(exc, DeployFailed) and exc.detail:
                for line in exc.detail.splitlines():
                    on_line(f"       {line}")
            if isinstance(exc, DeployFailed):
                raise
            reason = exc.message if isinstance(exc, PaasError) else f"{type(exc).__name__}: {exc}"
            raise DeployFailed(reason) from exc
        if started or resumed:  # where a deploy's time goes, for users and for `make bench`
            on_line(f"       {TIMINGS.format(*(b - a for a, b in zip(at, at[1:])))}")
        if p.retire:
            standby = [c.id for c in running if c.id in p.retire and c.process == "web"
                       and replacing and self.settings.standby_seconds > 0]
            if standby:  # only the release just replaced waits in standby
                self.scheduler.expire_standby(app, everything=True)
                on_line(f"       keeping {len(standby)} old web container(s) in standby for "
                        f"{self.settings.standby_seconds:.0f}s (a rollback resumes them)")
            on_line(f"       draining {len(p.retire)} old container(s), then stopping them")
            self.scheduler.retire(p.retire, standby)
        return p

    def same_as(self, release: Release) -> set[int]:
        """Versions whose containers run exactly like `release`'s (itself included)."""
        return {release.version} | {r.version for r in self.store.list_releases(release.app, 50)
                                    if runs_alike(r, release)}
