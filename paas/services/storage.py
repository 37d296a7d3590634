"""An app's named volumes: list, mount, unmount, destroy, and making sure a release's volumes
exist (owned by the app's user) before its containers start.

A mount or unmount is a new release through the usual zero-downtime swap, like a config
change, so it rolls back like one: each release records the mounts it ran with.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from paas.domain.models import Release
from paas.domain.volumes import parse_mount, validate_volume_name, with_mount, without_mount
from paas.errors import Conflict, InvalidInput, NotFound
from paas.ports import DataEngine, Engine, LineWriter, Store
from paas.render.container import ImageFacts
from paas.render.volumes import owner_spec, volume_labels, volume_name
from paas.services.deploy import Deployer
from paas.settings import Settings


@dataclass(frozen=True)
class Volume:
    name: str
    path: str  # '' when unmounted
    created_at: float
    docker_name: str
    node: str = ""  # the swarm node (address) it lives on; "" on one host


class Storage:
    def __init__(self, settings: Settings, store: Store, engine: Engine, data: DataEngine,
                 deployer: Deployer) -> None:
        self.settings = settings
        self.store = store
        self.engine = engine
        self.data = data
        self.deployer = deployer

    def list(self, app: str) -> list[Volume]:
        found = self.store.list_volumes(app)
        node = self.deployer.scheduler.data_node() if found else ""
        return [Volume(n, p, t, volume_name(self.settings.instance, app, n), node)
                for n, p, t in found]

    def mount(self, app: str, text: str, created_by: str, on_line: LineWriter) -> Release | None:
        name, path = parse_mount(text)
        with self.deployer.lock(app):
            mounts = with_mount(self.store.get_mounts(app), name, path)
            return self._change(app, mounts, f"Mount {name} at {path}", created_by, on_line)

    def unmount(self, app: str, name: str, created_by: str, on_line: LineWriter) -> Release | None:
        validate_volume_name(name)
        with self.deployer.lock(app):
            current = self.store.get_mounts(app)
            if name not in current:
                raise NotFound(f"volume {name} is not mounted in {app}")
            return self._change(app, without_mount(current, name), f"Unmount {name}",
                                created_by, on_line)

    def _change(self, app: str, mounts: dict[str, str], description: str, created_by: str,
                on_line: LineWriter) -> Release | None:
        current = self.store.current_release(app)
        if current is None:  # applies from the first deploy on
            self.store.replace_mounts(app, mounts)
            return None
        return self.deployer.release_and_deploy(
            app, image=current.image, processes=current.processes, commit=current.commit,
            description=description, created_by=created_by, on_line=on_line,
            healthchecks=current.healthchecks, mounts=mounts)

    def destroy(self, app: str, name: str, confirm: str | None) -> None:
        """Remove a volume and its data. Refused while mounted; stopped containers of older
        releases that still name it are removed first (Docker keeps a volume they use)."""
        validate_volume_name(name)
        if confirm != app:
            raise InvalidInput(f"destroying volume {name} deletes its data: confirm with "
                               f"--confirm {app}")
        with self.deployer.lock(app):
            if name not in {v.name for v in self.list(app)}:
                raise NotFound(f"{app} has no volume {name}")
            if name in self.store.get_mounts(app):
                raise Conflict(f"volume {name} is mounted: run storage:unmount {name} first")
            self._remove(app, name)
            self.store.delete_volume(app, name)

    def _remove(self, app: str, name: str) -> None:
        docker_name = volume_name(self.settings.instance, app, name)
        if self.data.remove_volume(docker_name):
            return
        for c in self.engine.list_containers({"paas.instance": self.settings.instance,
                                              "paas.app": app}):
            if c.status not in ("running", "restarting"):
                self.engine.remove_container(c.id)
        if not self.data.remove_volume(docker_name):
            raise Conflict(f"volume {name} is still in use by a running container of {app}")

    def forget(self, app: str) -> None:
        """apps:destroy: every volume of the app goes (its containers are gone by then)."""
        for docker_name in self.data.find_volumes({"paas.instance": self.settings.instance,
                                                   "paas.app": app, "paas.kind": "volume"}):
            self.data.remove_volume(docker_name)

    def ensure(self, release: Release, facts: ImageFacts) -> None:
        """Each volume the release mounts exists; a new one is given to the release's user by a
        short-lived helper (root with CAP_CHOWN only, no network)."""
        for name in sorted(release.mounts):
            docker_name = volume_name(self.settings.instance, release.app, name)
            if not self.data.create_volume(docker_name, volume_labels(
                    self.settings.instance, release.app, name)):
                continue
            spec = owner_spec(instance=self.settings.instance, app=release.app, name=name,
                              image=self.settings.stack_image, owner=facts.user,
                              nonce=secrets.token_hex(3))
            lines: list[str] = []
            if self.engine.run_once(spec, lines.append) != 0:
                self.data.remove_volume(docker_name)
                raise Conflict(f"could not prepare volume {name}: {' '.join(lines)[:200]}")
