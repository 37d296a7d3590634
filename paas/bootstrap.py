"""The composition root: the one place real adapters meet the use cases.

`build_services(settings)` makes the real adapters; `wire(...)` joins any adapters (real, or the
fakes in tests/) to the use cases, so tests and production share one wiring.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from paas.ports import (Acme, AppLock, CertFiles, DataEngine, Engine, Events, Probe, Proxy, Repos,
                        SelfCheck, Store, X509)
from paas.services.app_moves import AppMoves
from paas.services.platform_backup import PlatformBackups
from paas.services.apps import Apps
from paas.services.auth import Tokens
from paas.services.builder import Builder
from paas.services.builds import Builds
from paas.services.certs import Certs
from paas.services.converge import Converger
from paas.services.deploy import Deployer
from paas.services.domains import Domains
from paas.services.images import ImageCollector
from paas.services.logs import Logs
from paas.services.metrics import ContainerStats, Metrics, access_log_dir
from paas.services.nodes import Nodes
from paas.services.processes import Processes
from paas.services.recovery import Recovery
from paas.services.releases import Releases
from paas.services.router import Router
from paas.services.scheduler import Scheduler
from paas.services.storage import Storage
from paas.services.backups import Backups
from paas.services.datastores import Datastores
from paas.services.swarm_scheduler import SwarmScheduler
from paas.services.status import Status
from paas.settings import Settings


@dataclass
class Services:
    settings: Settings
    store: Store
    tokens: Tokens
    apps: Apps
    deployer: Deployer
    releases: Releases
    processes: Processes
    converger: Converger
    logs: Logs
    domains: Domains
    builds: Builds
    status: Status
    events: Events
    repos: Repos
    proxy: Proxy
    certs: Certs
    recovery: Recovery
    storage: Storage | None = None
    datastores: Datastores | None = None
    backups: Backups | None = None
    metrics: Metrics | None = None
    nodes: Nodes | None = None
    moves: AppMoves | None = None
    platform: PlatformBackups | None = None


def wire(settings: Settings, *, store: Store, engine: Engine, repos: Repos, proxy: Proxy,
         probe: Probe, events: Events, x509: X509 | None = None, cert_files: CertFiles | None = None,
         self_check: SelfCheck | None = None, acme: Acme | None = None,
         locks: Callable[[str], AppLock] | None = None,
         data: DataEngine | None = None,
         stats: ContainerStats | None = None) -> Services:
    """Without `acme` the platform has manual certificates only (as with PAAS_ACME_DIRECTORY
    empty); the certificate adapters default to the real ones (they touch only PAAS_HOME)."""
    from paas.adapters import x509_certs
    from paas.adapters.cert_files import CertFiles as Files
    from paas.adapters.self_check import SelfCheck as Check
    from paas.adapters.access_logs import AccessLogs
    from paas.adapters.metrics_store import MetricsStore
    from paas.adapters.sqlite_backup import online_copy
    from paas.adapters.log_archive import LogArchive

    on = acme is not None and acme.enabled()
    router = Router(settings, proxy, store, (acme.thumbprint if on else lambda: None))
    if settings.scheduler == "swarm":  # the engine is then the Swarm port too
        scheduler = SwarmScheduler(settings, engine, engine, probe)
    else:
        scheduler = Scheduler(settings, engine, probe)
    builder = Builder(settings, store, engine, repos)
    deployer = Deployer(settings, store, builder, scheduler, router,
                        ImageCollector(settings, store, engine), events, locks)
    processes = Processes(store, scheduler, deployer)
    domains = Domains(settings, store, scheduler, router, deployer)
    certs = Certs(settings, store, router, domains.reroute, deployer.lock, acme,
                  x509 or x509_certs, cert_files or Files(settings.certs_dir),
                  self_check or Check(settings.acme_resolver), events)
    domains.changed = certs.wake
    releases = Releases(store, engine, deployer)
    storage = datastores = backups = None
    if data is not None:
        storage = Storage(settings, store, engine, data, deployer)
        scheduler.before_start = storage.ensure
        datastores = Datastores(settings, store, engine, data, releases, scheduler)
        backups = Backups(settings, store, engine, data, datastores)

    def forget_data(app: str) -> list[str]:
        if not (storage and datastores):
            return []
        storage.forget(app)
        return datastores.forget_app(app)

    # Request figures from the router's access logs, container figures from `stats` (none: no
    # container figures, as in tests without Docker).
    metrics = Metrics(settings, store, MetricsStore(settings.db_path),
                      AccessLogs(access_log_dir(settings), proxy.reopen_logs), stats)

    # Lines of removed containers, by release (issue 13): a file store that touches only PAAS_HOME.
    archive = LogArchive(settings.logs_dir / "releases")
    logs = Logs(engine, scheduler, events, archive)
    deployer.keep_output = logs.keep_output

    def forgotten(app: str) -> None:
        metrics.forget(app)
        archive.remove(app)
        if hasattr(locks, "discard"):  # cross-process locks keep a file per app
            locks.discard(app)

    apps = Apps(settings, store, repos, engine, scheduler, router, deployer.lock, events,
                certs.remove_owner, forget_data=forget_data, forgotten=forgotten)
    moves = AppMoves(settings, store, repos, apps, deployer, data, datastores, backups, certs)
    return Services(
        settings=settings, store=store, tokens=Tokens(store), certs=certs,
        apps=apps,
        moves=moves,
        platform=PlatformBackups(settings, online_copy, moves),
        deployer=deployer, releases=releases,
        processes=processes, status=Status(settings, store, processes, deployer),
        repos=repos, proxy=proxy,
        converger=Converger(store, engine, scheduler, deployer, router, proxy, logs.keep),
        logs=logs, events=events,
        domains=domains,
        builds=Builds(store, repos, deployer), storage=storage, datastores=datastores,
        backups=backups,
        recovery=Recovery(settings, store, engine, deployer.images, events, deployer.lock),
        metrics=metrics,
        nodes=Nodes(settings, store, engine if settings.scheduler == "swarm" else None,
                    scheduler, deployer),
    )


def build_services(settings: Settings) -> Services:
    # Adapters are imported here so that importing paas does not import docker or dulwich.
    from paas.adapters.docker_engine import DockerEngine
    from paas.adapters.event_log import EventLog
    from paas.adapters.git_server import GitRepos
    from paas.adapters.http_probe import HttpProbe
    from paas.adapters.nginx_proxy import NginxProxy
    from paas.adapters.sqlite_store import SqliteStore
    from paas.adapters.acme_client import AcmeClient
    from paas.adapters.app_locks import AppLocks
    from paas.adapters.docker_data import DockerData

    from paas.adapters.docker_stats import DockerStats
    from paas.adapters.state_files import make_private

    settings.home.mkdir(mode=0o700, parents=True, exist_ok=True)
    make_private(settings.home)  # secrets at rest, whoever made the files
    engine = _engine(settings) if settings.scheduler == "swarm" else DockerEngine()
    return wire(
        settings,
        store=SqliteStore(settings.db_path),
        engine=engine, stats=DockerStats(engine.client, settings.instance),
        repos=GitRepos(settings.repos_dir),
        proxy=NginxProxy(settings.nginx_dir, settings.http_port, nginx_bin=settings.nginx_bin,
                         may_start=not settings.supervise),
        probe=HttpProbe(),
        events=EventLog(settings.logs_dir / "apps"),
        acme=AcmeClient(settings.acme_directory, settings.acme_email, settings.acme_ca_bundle,
                        settings.certs_dir) if settings.acme_directory else None,
        locks=AppLocks(settings.home / "locks"),
        data=DockerData(),
    )


def _engine(settings: Settings):
    from paas.adapters.swarm_setup import swarm_engine
    return swarm_engine(settings)
