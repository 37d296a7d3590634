"""Recovery at start: put right what a control plane killed mid-deploy left behind.

A deploy is cut off at any step when its process dies (kill -9, OOM, reboot). At the next start,
for each app whose lock is free (an app whose lock is held is being deployed by another live
process and is not touched):
- its pending build and release are marked failed (the push that started them got no answer),
  and the config an interrupted `config:set` stored gives way to the running release's;
- its build containers and the release-phase containers of failed releases are removed;
- images no kept release uses (the interrupted build's) go, as after every deploy;
- build directories under PAAS_HOME/builds of builds no longer pending are removed.
What runs is not decided here: convergence then points nginx at the current release's
containers and retires the interrupted release's (never neither: it starts before it retires).
"""
from __future__ import annotations

import logging
import shutil
from typing import Callable

from paas.ports import AppLock, Engine, Events, Store
from paas.render.container import labels
from paas.services.images import ImageCollector
from paas.settings import Settings

log = logging.getLogger("paas.recovery")


class Recovery:
    def __init__(self, settings: Settings, store: Store, engine: Engine, images: ImageCollector,
                 events: Events, lock: Callable[[str], AppLock]) -> None:
        self.settings = settings
        self.store = store
        self.engine = engine
        self.images = images
        self.events = events
        self.lock = lock

    def run(self) -> list[str]:
        """Returns what was done, one line per app (and one for build directories)."""
        done = []
        for app in self.store.list_apps():
            lock = self.lock(app.name)
            if not lock.acquire(blocking=False):
                continue
            try:
                line = self._app(app.name)
            finally:
                lock.release()
            if line:
                self.events.write(app.name, "recover", line)
                done.append(f"{app.name}: {line}")
        dirs = self._build_dirs()
        if dirs:
            done.append(f"removed {dirs} build director{'y' if dirs == 1 else 'ies'}")
        for line in done:
            log.warning("recovered: %s", line)
        return done

    def _app(self, app: str) -> str:
        failed_now = self.store.fail_interrupted(app)
        current = self.store.current_release(app)
        if failed_now and current is not None and self.store.get_config(app) != current.config:
            # A config:set cut off mid-deploy had stored its config; what runs is the rule.
            self.store.replace_config(app, current.config)
        failed = {str(r.version) for r in self.store.list_releases(app) if r.status == "failed"}
        containers = [c for c in self.engine.list_containers(labels(self.settings.instance, app,
                                                                    kind="build"))]
        containers += [c for c in self.engine.list_containers(labels(self.settings.instance, app,
                                                                     kind="run"))
                       if c.labels.get("paas.release") in failed]
        for c in containers:
            self.engine.remove_container(c.id)
        images = self.images.collect(app)
        parts = [f"{n} {what}" for n, what in ((failed_now, "interrupted build/release marked failed"),
                                                (len(containers), "leftover container(s) removed"),
                                                (len(images), "unused image(s) removed")) if n]
        return "; ".join(parts)

    def _build_dirs(self) -> int:
        root = self.settings.home / "builds"
        if not root.is_dir():
            return 0
        removed = 0
        for path in root.iterdir():
            build = self.store.get_build(int(path.name)) if path.name.isdigit() else None
            if build is not None and build.status == "pending":
                continue  # another process's build, running now
            if path.is_symlink() or not path.is_dir():
                path.unlink()
            else:
                shutil.rmtree(path, ignore_errors=True)
            removed += 1
        return removed
