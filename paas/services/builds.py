"""Builds as users see them: list an app's builds, read one with its log, and rebuild the
commit last pushed (Dokku's ps:rebuild) through the same flow as a push."""
from __future__ import annotations

from paas.domain.models import Build, Release
from paas.errors import Conflict, NotFound
from paas.ports import LineWriter, Repos, Store
from paas.services.deploy import Deployer


class Builds:
    def __init__(self, store: Store, repos: Repos, deployer: Deployer) -> None:
        self.store = store
        self.repos = repos
        self.deployer = deployer

    def list(self, app: str, limit: int | None = None) -> list[Build]:
        """Newest first, without their output (`get` has it)."""
        return self.store.list_builds(app, limit)

    def get(self, app: str, build_id: int) -> Build:
        build = self.store.get_build(build_id)
        if build is None or build.app != app:
            raise NotFound(f"no build {build_id} of {app}")
        return build

    def pushed_commit(self, app: str) -> str:
        """The commit of the deployed branch's head: what a rebuild builds."""
        commit = self.repos.head(app)
        if commit is None:
            raise Conflict(f"{app} has no pushed code to build: git push paas main first")
        return commit

    def rebuild(self, app: str, commit: str, created_by: str, on_line: LineWriter) -> Release:
        return self.deployer.deploy_push(app, commit, on_line, created_by=created_by)
