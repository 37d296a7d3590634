"""Releases and config vars: list and describe releases, change config, roll back.

Heroku's rules: every config change and rollback is a new numbered release deployed through
the same swap as a push; a rollback brings back both the image and the config of vN.
"""
from __future__ import annotations

from paas.domain.config import apply_changes
from paas.domain.models import Release
from paas.domain.releases import ReleaseDiff, diff, parse_version
from paas.errors import Conflict, InvalidInput, NotFound
from paas.ports import Engine, LineWriter, Store
from paas.services.deploy import Deployer


class Releases:
    def __init__(self, store: Store, engine: Engine, deployer: Deployer) -> None:
        self.store = store
        self.engine = engine
        self.deployer = deployer

    def list(self, app: str, limit: int | None = None) -> list[Release]:
        return self.store.list_releases(app, limit)

    def get(self, app: str, version: object) -> Release:
        number = parse_version(version)
        release = self.store.get_release(app, number)
        if release is None:
            raise NotFound(f"no release v{number} of {app}")
        return release

    def info(self, app: str, version: object) -> tuple[Release, ReleaseDiff]:
        release = self.get(app, version)
        previous = self.store.get_release(app, release.version - 1) if release.version > 1 else None
        return release, diff(previous, release)

    def change_config(self, app: str, set_: dict[str, str], unset: list[str], created_by: str,
                      on_line: LineWriter) -> Release | None:
        """Apply a config change as one release, or store it for the first deploy when the app
        has never been deployed. Invalid input raises before anything changes."""
        if not set_ and not unset:
            raise InvalidInput("nothing to change: give KEY=VALUE pairs or keys to unset")
        with self.deployer.lock(app):
            new = apply_changes(self.store.get_config(app), set_, unset)
            current = self.store.current_release(app)
            if current is None:
                self.store.replace_config(app, new)
                return None
            verb = "Set" if set_ else "Unset"
            keys = ", ".join(sorted(set_) if set_ else sorted(unset))
            if set_ and unset:
                keys += "; unset " + ", ".join(sorted(unset))
            return self.deployer.release_and_deploy(
                app, image=current.image, processes=current.processes, commit=current.commit,
                description=f"{verb} {keys} config vars", created_by=created_by,
                on_line=on_line, config=new, healthchecks=current.healthchecks,
            )

    def rollback(self, app: str, version: object | None, created_by: str,
                 on_line: LineWriter) -> Release:
        with self.deployer.lock(app):
            target = self._rollback_target(app, version)
            if not self.engine.image_exists(target.image):
                raise Conflict(f"cannot roll back to v{target.version}: its image was removed by "
                               "image retention; push that commit again instead")
            return self.deployer.release_and_deploy(
                app, image=target.image, processes=target.processes, commit=target.commit,
                description=f"Rollback to v{target.version}", created_by=created_by,
                on_line=on_line, config=target.config, healthchecks=target.healthchecks,
                mounts=target.mounts,
            )

    def _rollback_target(self, app: str, version: object | None) -> Release:
        current = self.store.current_release(app)
        if current is None:
            raise Conflict(f"{app} has no release to roll back from")
        if version is None:
            earlier = [r for r in self.store.list_releases(app)
                       if r.status == "succeeded" and r.version < current.version]
            if not earlier:
                raise Conflict(f"{app} has no earlier release to roll back to")
            return earlier[0]
        target = self.get(app, version)
        if target.status != "succeeded":
            raise Conflict(f"cannot roll back to v{target.version}: that release {target.status}")
        return target
