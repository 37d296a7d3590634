"""An app's state at a glance, as the dashboard lists it: running, deploying, crashed, failed
deploy (or new, stopped), the current release, process counts and the last deploy time.

`summarize` decides from records alone (pure); `Status` gathers the records.
"""
from __future__ import annotations

from dataclasses import dataclass

from paas.domain.models import Build, Release
from paas.ports import Store
from paas.render.plan import runnable
from paas.services.deploy import Deployer
from paas.services.processes import Processes
from paas.services.scheduler import Process
from paas.settings import Settings


@dataclass(frozen=True)
class AppSummary:
    name: str
    state: str  # new, deploying, running, crashed, failed deploy, stopped
    reason: str  # one line saying why, shown beside the state
    release: int | None  # the version serving now
    url: str
    processes: dict[str, tuple[int, int]]  # type -> (running, wanted)
    last_deploy: float | None  # when the newest release was made


def summarize(name: str, url: str, *, deploying: bool, current: Release | None,
              latest: Release | None, build: Build | None, processes: list[Process],
              formation: dict[str, int]) -> AppSummary:
    """`latest` is the newest release whatever its status, `build` the newest build."""
    wanted = {p: formation.get(p, 0) for p in sorted(runnable(current.processes))} if current else {}
    live = [p for p in processes if p.state != "draining"]
    counts = {p: (sum(1 for x in live if x.process == p and x.state == "running"), n)
              for p, n in wanted.items()}
    state, reason = _state(deploying, current, latest, build, live, counts)
    return AppSummary(name=name, state=state, reason=reason,
                      release=current.version if current else None, url=url, processes=counts,
                      last_deploy=latest.created_at if latest else None)


def _state(deploying: bool, current: Release | None, latest: Release | None, build: Build | None,
           live: list[Process], counts: dict[str, tuple[int, int]]) -> tuple[str, str]:
    if deploying or (build and build.status == "pending") or (latest and latest.status == "pending"):
        return "deploying", "a deploy is under way"
    failed = _failed_attempt(current, latest, build)
    if current is None:
        return ("failed deploy", failed) if failed else ("new", "never deployed: git push paas main")
    broken = [p for p in live if p.state != "running" or p.oom_killed]
    short = [f"{t} {up}/{n}" for t, (up, n) in counts.items() if up < n]
    if broken or short:
        why = [f"{p.name} {'OOM-killed' if p.oom_killed else p.state}" for p in broken][:3]
        return "crashed", ", ".join(why or short) + (" running" if not why else "")
    if failed:
        return "failed deploy", failed + f"; v{current.version} still serving"
    if not any(n for _, n in counts.values()):
        return "stopped", "scaled to zero"
    return "running", f"v{current.version} serving"


def _failed_attempt(current: Release | None, latest: Release | None, build: Build | None) -> str:
    """Why the newest deploy attempt failed, when it came after the release now serving."""
    after = current.created_at if current else 0.0
    if latest and latest.status == "failed" and (current is None or latest.version > current.version):
        return f"v{latest.version} failed"
    if build and build.status == "failed" and build.started_at >= after:
        return f"build {build.id} failed"
    return ""


@dataclass(frozen=True)
class AppPage:
    """What an app's page shows that changes by itself: the summary and the lists behind it."""
    summary: AppSummary
    processes: list[Process]
    releases: list[Release]
    builds: list[Build]


class Status:
    def __init__(self, settings: Settings, store: Store, processes: Processes,
                 deployer: Deployer) -> None:
        self.settings = settings
        self.store = store
        self.processes = processes
        self.deployer = deployer

    def of(self, app: str, containers: list | None = None) -> AppSummary:
        return self.page(app, listed=1, containers=containers).summary

    def page(self, app: str, listed: int, containers: list | None = None) -> AppPage:
        """The summary, with the newest `listed` releases and builds it was decided from."""
        releases = self.store.list_releases(app, limit=listed)
        builds = self.store.list_builds(app, limit=listed)
        processes = self.processes.ps(app, containers)
        # Polled every few seconds: the store is asked for the current release only when none
        # of the newest `listed` succeeded (the newest succeeded one is the current release).
        current = next((r for r in releases if r.status == "succeeded"), None) \
            or self.store.current_release(app)
        summary = summarize(
            app, self.settings.app_url(app), deploying=self.deployer.lock(app).locked(),
            current=current, latest=releases[0] if releases else None,
            build=builds[0] if builds else None, processes=processes,
            formation=self.store.get_formation(app),
        )
        return AppPage(summary, processes, releases, builds)

    def all(self) -> list[AppSummary]:
        listed = self.processes.ps_all()  # one Docker listing for every app, not one each
        return [self.of(a.name, listed.get(a.name, [])) for a in self.store.list_apps()]
