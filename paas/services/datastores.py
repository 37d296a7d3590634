"""Datastores (`paas services:*`): create, list, describe, link to apps, unlink, destroy.

A datastore is one hardened server container (Postgres or Redis from an image built on the
stack), its data in a labelled volume, on a network of its own without a way out. Linking joins
it to the app's network (and no other app's), and sets DATABASE_URL / REDIS_URL as a config
change: a new release through the usual swap, so it rolls back like one.
"""
from __future__ import annotations

import re
import secrets
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable

from paas.domain.models import Datastore, Link, Release
from paas.domain.names import APP_NAME_RE
from paas.domain.networks import free_subnet
from paas.errors import Conflict, InvalidInput, NotFound, PaasError
from paas.ports import DataEngine, Engine, LineWriter, Store
from paas.render import datastores as r
from paas.render.container import network_name as app_network
from paas.services.releases import Releases
from paas.services.scheduler import Scheduler
from paas.settings import Settings

READY_TIMEOUT = 90.0
CONNECT_TIMEOUT = 600.0
MAX_CONNECT_INPUT = 512 * 1024
VAR_RE = re.compile(r"[A-Z][A-Z0-9_]{0,62}")


class DatastoreFailed(PaasError):
    id = "service_failed"
    status = 502


@dataclass(frozen=True)
class DatastoreInfo:
    datastore: Datastore
    state: str  # Docker's: running, restarting, exited... or missing
    links: list[Link]
    size_bytes: int | None
    url: str | None  # only for callers allowed on a linked app (see credentials_visible)
    node: str = ""  # the swarm node (address) its server and data are on; "" on one host


def credentials_visible(allowed_apps: set[str] | None, links: list[Link]) -> bool:
    """The one rule for who sees a datastore's URL and password: an admin (allowed_apps None)
    or a token allowed on an app linked to it. App-scoped tokens pass their apps here."""
    return allowed_apps is None or any(link.app in allowed_apps for link in links)


def validate_name(name: object) -> str:
    if not isinstance(name, str) or not APP_NAME_RE.fullmatch(name):
        shown = name[:40] if isinstance(name, str) else repr(name)
        raise InvalidInput(f"invalid service name {shown!r}: use 1 to 30 characters, lowercase "
                           "letters, digits and '-', starting with a letter")
    return name


def validate_kind(kind: object) -> str:
    if kind not in r.KINDS:
        raise InvalidInput(f"unknown service kind {str(kind)[:30]!r}: use one of "
                           f"{', '.join(sorted(r.KINDS))}")
    return str(kind)


def ensure_image(engine: Engine, data: DataEngine, stack_image: str, kind: str,
                 on_line: LineWriter) -> tuple[str, str]:
    """The image new datastores of this kind get, built on the stack if missing; named by the
    server's version, which pins it for each datastore made from it. (ref, version)."""
    tag = r.build_tag(kind)
    if not engine.image_exists(tag):
        on_line(f"-----> Building the {kind} image on {stack_image}")
        data.build_image(r.build_context(kind, stack_image), tag,
                         {"paas.datastore-image": kind}, lambda line: on_line(f"       {line}"))
    version = data.run_output(tag, ["sh", "-c", r.KINDS[kind].version_cmd])
    if not re.fullmatch(r"[0-9][0-9.]{0,15}", version):
        raise DatastoreFailed(f"the {kind} image reports no version ({version[:60]!r})")
    ref = r.pinned_ref(kind, version)
    if not engine.image_exists(ref):
        data.tag_image(tag, r.image_repo(kind), version)
    return ref, version


class Datastores:
    def __init__(self, settings: Settings, store: Store, engine: Engine, data: DataEngine,
                 releases: Releases, scheduler: Scheduler) -> None:
        self.settings = settings
        self.store = store
        self.engine = engine
        self.data = data
        self.releases = releases
        self.scheduler = scheduler
        self._image_lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = defaultdict(threading.Lock)

    def lock(self, name: str) -> threading.Lock:
        return self._locks[name]

    def container(self, ds: Datastore) -> str:
        return r.container_name(self.settings.instance, ds.name)

    def get(self, name: str) -> Datastore:
        ds = self.store.get_datastore(validate_name(name))
        if ds is None:
            raise NotFound(f"no such service: {name}")
        return ds

    # create
    def create(self, kind: str, name: str, on_line: LineWriter) -> Datastore:
        validate_kind(kind)
        validate_name(name)
        if self.store.get_datastore(name):
            raise Conflict(f"a service named {name!r} already exists")
        image, version = self.ensure_image(kind, on_line)
        ds = Datastore(name=name, kind=kind, version=version, image=image,
                       password=secrets.token_hex(24), created_at=time.time())
        with self.lock(name):
            self.store.add_datastore(ds)
            try:
                self._start(ds, on_line)
            except BaseException:
                self._remove_objects(ds)
                self.store.delete_datastore(name)
                raise
        on_line(f"-----> {kind} {version} service {name} is ready")
        return ds

    def ensure_image(self, kind: str, on_line: LineWriter) -> tuple[str, str]:
        with self._image_lock:
            return ensure_image(self.engine, self.data, self.settings.stack_image, kind, on_line)

    def _start(self, ds: Datastore, on_line: LineWriter) -> None:
        instance = self.settings.instance
        on_line(f"-----> Starting {ds.kind} {ds.version} as {self.container(ds)}")
        self._ensure_network(ds)
        self.data.create_volume(r.volume_name(instance, ds.name),
                                r.labels(instance, ds.name, ds.kind, role="data"))
        self.engine.start(r.server_spec(instance=instance, name=ds.name, kind=ds.kind,
                                        image=ds.image, password=ds.password))
        self.wait_ready(ds)

    def _ensure_network(self, ds: Datastore) -> None:
        name = r.network_name(self.settings.instance, ds.name)
        if self.engine.network_exists(name):
            return
        for _ in range(5):
            subnet = free_subnet(self.settings.network_pool, self.settings.network_size,
                                 self.engine.subnets_in_use())
            if subnet is None:
                raise DatastoreFailed(f"no free subnet left in PAAS_NETWORK_POOL for {ds.name}")
            if self.data.create_internal_network(
                    name, r.labels(self.settings.instance, ds.name, ds.kind), subnet):
                return
        raise DatastoreFailed(f"could not create the network of {ds.name}")

    def wait_ready(self, ds: Datastore, timeout: float | None = None) -> None:
        timeout = READY_TIMEOUT if timeout is None else timeout
        deadline = time.monotonic() + timeout
        kind = r.KINDS[ds.kind]
        while True:
            code, out = self.data.exec_status(self.container(ds), r.ready_argv(ds.kind),
                                              kind.user, r.exec_env(ds.kind, ds.password))
            if code == 0:
                return
            if time.monotonic() > deadline:
                tail = self.engine.logs(self.container(ds), tail=10).strip()
                raise DatastoreFailed(f"{ds.name} did not become ready within {timeout:.0f}s: "
                                      f"{(tail or out).splitlines()[-1:] or ''}")
            time.sleep(0.2)

    # describe
    def info(self, name: str, allowed_apps: set[str] | None = None) -> DatastoreInfo:
        ds = self.get(name)
        links = self.store.list_links(datastore=name)
        state = self.engine.inspect(self.container(ds))
        size = self._size(ds) if state is not None and state.status == "running" else None
        url = r.url(self.settings.instance, ds.name, ds.kind, ds.password) \
            if credentials_visible(allowed_apps, links) else None
        return DatastoreInfo(ds, state.status if state else "missing", links, size, url,
                             self.scheduler.data_node())

    def _size(self, ds: Datastore) -> int | None:
        """Bytes of its data directory, as `du` in the server's container counts them."""
        code, out = self.data.exec_status(self.container(ds), ["du", "-sb", r.DATA_DIR],
                                          r.KINDS[ds.kind].user)
        first = out.split()[0] if code == 0 and out.split() else ""
        return int(first) if first.isdigit() else None

    def list(self, allowed_apps: set[str] | None = None) -> list[DatastoreInfo]:
        return [self.info(ds.name, allowed_apps) for ds in self.store.list_datastores()]

    def logs(self, name: str, lines: int = 100) -> str:
        return self.engine.logs(self.container(self.get(name)), tail=lines)

    def connect(self, name: str, script: str, on_line: LineWriter,
                timeout: float = CONNECT_TIMEOUT) -> int:
        """`services:connect`: run `script` through psql / redis-cli in a one-off container on
        the service's network (never a host port); its output goes to `on_line`, its exit
        status is returned."""
        ds = self.get(name)
        if not isinstance(script, str) or len(script) > MAX_CONNECT_INPUT:
            raise InvalidInput(f"input must be text of at most {MAX_CONNECT_INPUT} bytes")
        spec = r.client_spec(instance=self.settings.instance, name=ds.name, kind=ds.kind,
                             image=ds.image, password=ds.password, nonce=secrets.token_hex(3))
        return self.data.run_with_input(spec, script.encode(), on_line, timeout)

    # links
    def link(self, name: str, app: str, as_var: str | None, created_by: str,
             on_line: LineWriter) -> tuple[Link, Release | None]:
        ds = self.get(name)
        if self.store.get_app(app) is None:
            raise NotFound(f"no such app: {app}")
        with self.lock(name):
            if any(l.app == app for l in self.store.list_links(datastore=name)):
                raise Conflict(f"{name} is already linked to {app}")
            var = self._var_for(ds, app, as_var)
            link = Link(name, app, var)
            self.store.add_link(link)
            network = app_network(self.settings.instance, app)
            try:
                self.scheduler.ensure_network(app)
                self.data.connect(network, self.container(ds))
                release = self.releases.change_config(
                    app, {var: r.url(self.settings.instance, name, ds.kind, ds.password)}, [],
                    created_by, on_line)
            except BaseException:
                self.store.delete_link(name, app)
                self.data.disconnect(network, self.container(ds))
                raise
        return link, release

    def attach(self, name: str, app: str, var: str) -> None:
        """apps:import: record a link whose variable the imported releases already carry, and
        join the app's network, without a release of its own (the import keeps the numbers)."""
        ds = self.get(name)
        with self.lock(name):
            self.store.add_link(Link(name, app, var))
            self.scheduler.ensure_network(app)
            self.data.connect(app_network(self.settings.instance, app), self.container(ds))

    def url(self, ds: Datastore) -> str:
        return r.url(self.settings.instance, ds.name, ds.kind, ds.password)

    def _var_for(self, ds: Datastore, app: str, as_var: str | None) -> str:
        taken = set(self.store.get_config(app)) | {l.var for l in self.store.list_links(app=app)}
        if as_var is not None:
            if not isinstance(as_var, str) or not VAR_RE.fullmatch(as_var):
                raise InvalidInput(f"invalid variable name {str(as_var)[:40]!r}: use uppercase "
                                   "letters, digits and '_', starting with a letter")
            if as_var in taken:
                raise Conflict(f"{app} already has {as_var}: choose another name with --as")
            return as_var
        default = r.KINDS[ds.kind].env_var
        if default not in taken:
            return default
        second = f"{ds.name.upper().replace('-', '_')}_{default}"
        if second in taken:
            raise Conflict(f"{app} already has {default} and {second}: name one with --as")
        return second

    def unlink(self, name: str, app: str, created_by: str, on_line: LineWriter) -> Release | None:
        ds = self.get(name)
        with self.lock(name):
            link = next((l for l in self.store.list_links(datastore=name, app=app)), None)
            if link is None:
                raise NotFound(f"{name} is not linked to {app}")
            release = None
            if link.var in self.store.get_config(app):
                release = self.releases.change_config(app, {}, [link.var], created_by, on_line)
            self.store.delete_link(name, app)
            self.data.disconnect(app_network(self.settings.instance, app), self.container(ds))
        return release

    def forget_app(self, app: str) -> list[str]:
        """apps:destroy: the app's links go (never a datastore). Returns the datastores that
        were linked and remain."""
        remaining = []
        for link in self.store.list_links(app=app):
            ds = self.store.get_datastore(link.datastore)
            if ds:
                self.data.disconnect(app_network(self.settings.instance, app), self.container(ds))
                remaining.append(ds.name)
            self.store.delete_link(link.datastore, app)
        return remaining

    # destroy
    def destroy(self, name: str, confirm: str | None, unlink: bool, created_by: str,
                on_line: LineWriter, final_backup: Callable[[Datastore], str | None]) -> str | None:
        """Refused while apps are linked (unless `unlink`); a final backup first. Returns the
        final backup's id (its backups stay under PAAS_HOME)."""
        ds = self.get(name)
        if confirm != name:
            raise InvalidInput(f"destroying {name} deletes its data: confirm with --confirm {name}")
        links = self.store.list_links(datastore=name)
        if links and not unlink:
            raise Conflict(f"{name} is linked to {', '.join(l.app for l in links)}: unlink it "
                           "first, or destroy with --unlink")
        for link in links:
            self.unlink(name, link.app, created_by, on_line)
        with self.lock(name):
            state = self.engine.inspect(self.container(ds))
            backup = final_backup(ds) if state is not None and state.status == "running" else None
            if backup:
                on_line(f"-----> Final backup {backup} kept")
            self._remove_objects(ds)
            self.store.delete_datastore(name)
        return backup

    def _remove_objects(self, ds: Datastore) -> None:
        instance = self.settings.instance
        self.engine.remove_container(self.container(ds))
        self.data.remove_volume(r.volume_name(instance, ds.name))
        self.engine.remove_network(r.network_name(instance, ds.name))

