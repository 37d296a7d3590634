"""App lifecycle use cases: create, list, describe and destroy an app."""
from __future__ import annotations

from dataclasses import dataclass
from threading import Lock
from typing import Callable

from paas.domain.models import App, Release
from paas.domain.names import validate_app_name
from paas.errors import Conflict, NotFound
from paas.ports import Engine, Events, Repos, Store
from paas.render.container import cache_volume, labels, legacy_cache_volume, network_name
from paas.services.router import Router
from paas.services.scheduler import Process, Scheduler
from paas.settings import Settings


@dataclass(frozen=True)
class AppInfo:
    app: App
    url: str
    git_url: str
    release: Release | None
    processes: list[Process]
    formation: dict[str, int]


class Apps:
    def __init__(self, settings: Settings, store: Store, repos: Repos, engine: Engine,
                 scheduler: Scheduler, router: Router, lock: Callable[[str], Lock],
                 events: Events, forget_certs: Callable[[str], None] = lambda app: None,
                 forget_data: Callable[[str], list[str] | None] = lambda app: None) -> None:
        self.settings = settings
        self.store = store
        self.repos = repos
        self.engine = engine
        self.scheduler = scheduler
        self.router = router
        self.lock = lock
        self.events = events
        self.forget_certs = forget_certs
        # Removes the app's volumes and unlinks its datastores (never destroys one).
        self.forget_data = forget_data

    def create(self, name: str) -> App:
        validate_app_name(name)
        host = f"{name}.{self.settings.domain}"
        owner = self.store.domain_owner(host)
        if owner is not None:  # claimed before squatting was refused: its traffic is owner's
            raise Conflict(f"app name {name} refused: its default host {host} is a domain of "
                           f"app {owner} (remove it there first)")
        app = self.store.add_app(name)
        self.repos.init(name)
        return app

    def list(self) -> list[App]:
        return self.store.list_apps()

    def get(self, name: str) -> App:
        validate_app_name(name)
        app = self.store.get_app(name)
        if app is None:
            raise NotFound(f"no such app: {name}")
        return app

    def info(self, name: str) -> AppInfo:
        app = self.get(name)
        return AppInfo(
            app=app,
            url=self.settings.app_url(name),
            git_url=f"{self.settings.public_api_url}/git/{name}.git",
            release=self.store.current_release(name),
            processes=self.scheduler.processes(name),
            formation=self.store.get_formation(name),
        )

    def destroy(self, name: str) -> list[str]:
        """Remove everything the app had: route, containers, images, volumes, network, cache,
        repo, records; its datastores are unlinked, never destroyed (returned: they remain).
        Under the app's lock, so neither a deploy nor convergence starts anything."""
        self.get(name)
        with self.lock(name):
            self.router.unroute(name)
            mine = labels(self.settings.instance, name)
            for container in self.engine.list_containers(mine):
                self.engine.remove_container(container.id)
            # App images first: Docker keeps a dependency layer while images are built on it.
            for kind in ("image", "deps", None):
                for ref, _ in self.engine.find_images({**mine, "paas.kind": kind} if kind else mine):
                    self.engine.remove_image(ref)
            # Before the network: linked datastores are endpoints on it until unlinked.
            remaining = self.forget_data(name) or []
            self.engine.remove_network(network_name(self.settings.instance, name))
            self.engine.remove_volume(cache_volume(self.settings.instance, name))
            self.engine.remove_volume(legacy_cache_volume(self.settings.instance, name))
            self.repos.remove(name)
            self.events.remove(name)
            self.forget_certs(name)
            self.store.delete_app(name)
        return remaining
