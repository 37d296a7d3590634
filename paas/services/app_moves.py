"""Moving a whole app between platforms (`apps:export` / `apps:import`): the use case.

Export writes one archive (paas.services.app_export for the recorded state) with everything the
app needs to serve elsewhere: the git repository, the images of its kept releases (one `docker
save`), each volume's contents and a fresh backup of every linked service. Import verifies the
whole archive before creating anything, then recreates the services that the new platform
lacks (restoring their backups), the app's records under the same release numbers, its
repository, images, volumes and links, and deploys the current release, so the app serves on
the new host as it did on the old. A failure part-way removes what the import made.
"""
from __future__ import annotations

import io
import os
from dataclasses import dataclass, field

from paas.domain.releases import images_to_keep
from paas.errors import Conflict, InvalidInput, NotFound
from paas.ports import DataEngine, LineWriter, Repos, Store
from paas.render import app_move
from paas.render.container import labels
from paas.render.volumes import volume_labels, volume_name
from paas.services import app_export
from paas.services.apps import Apps
from paas.services.backups import Backups
from paas.services.certs import Certs
from paas.services.datastores import Datastores, validate_kind, validate_name
from paas.services.deploy import Deployer
from paas.settings import Settings


@dataclass
class Imported:
    app: str
    releases: int
    current_release: int | None
    services: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    images: int = 0


class AppMoves:
    def __init__(self, settings: Settings, store: Store, repos: Repos, apps: Apps,
                 deployer: Deployer, data: DataEngine | None, datastores: Datastores | None,
                 backups: Backups | None, certs: Certs | None = None) -> None:
        self.settings = settings
        self.store = store
        self.repos = repos
        self.apps = apps
        self.deployer = deployer
        self.data = data
        self.datastores = datastores
        self.backups = backups
        self.certs = certs

    # export
    def export(self, app: str) -> bytes:
        self.apps.get(app)
        with self.deployer.lock(app):  # no deploy changes the app while it is read
            members = app_export.repo_members(self.settings.repos_dir / f"{app}.git")
            if self.data is not None:
                members.update(self._bulk(app))
            return app_export.export(self.store, app, members)

    def _bulk(self, app: str) -> dict[str, bytes]:
        assert self.data is not None
        out: dict[str, bytes] = {}
        kept = images_to_keep(self.store.list_releases(app), self.settings.keep_releases)
        refs = sorted(ref for ref in kept if self.data.image_present(ref))
        if refs:
            out[app_move.IMAGES] = self.data.save_images(refs)
        existing = set(self.data.find_volumes({"paas.instance": self.settings.instance,
                                               "paas.app": app, "paas.kind": "volume"}))
        for name, _path, _at in self.store.list_volumes(app):
            docker_name = volume_name(self.settings.instance, app, name)
            if docker_name in existing:
                out[app_move.volume_member(name)] = self.data.read_volume(
                    docker_name, self.settings.stack_image,
                    labels(self.settings.instance, app, kind="volume-export"))
        out.update(self._certs(app))
        if self.backups is not None:
            for link in self.store.list_links(app=app):
                made = self.backups.backup(link.datastore, "export")
                out[app_move.service_member(link.datastore)] = made.path.read_bytes()
        return out

    def _certs(self, app: str) -> dict[str, bytes]:
        """The app's manual certificates (chain, key), read from the platform's own files
        without following a link."""
        out: dict[str, bytes] = {}
        seen: set[tuple[str, str]] = set()
        for cert in self.store.list_certs(app):
            if cert.source != "manual" or (cert.cert_path, cert.key_path) in seen:
                continue
            seen.add((cert.cert_path, cert.key_path))
            try:
                chain, key = _read_private(cert.cert_path), _read_private(cert.key_path)
            except OSError:
                continue
            pem, key_name = app_move.cert_members(len(seen))
            out[pem], out[key_name] = chain, key
        return out

    # import
    def import_app(self, target: str, data: bytes, on_line: LineWriter) -> Imported:
        doc, others = app_export.parse(data)
        links, volumes, images, loadable = self._check(target, doc, others)
        created: list[str] = []
        try:
            urls = self._services(links, others, created, on_line)
            refs = self._image_refs(target, images)
            for rel in doc["releases"]:
                rel["image"] = refs.get(rel["image"], rel["image"])
                rel["config"] = app_move.url_rewrites(rel["config"], links, urls)
            doc["config"] = app_move.url_rewrites(doc["config"], links, urls)
            with self.deployer.lock(target):  # convergence waits until it all is in place
                current = app_export.restore(self.store, target, doc)
                self._fill(target, loadable, images, refs, volumes, links, on_line)
                restored = app_export.restore_repo(self.repos.init(target), others)
                on_line(f"-----> Restored the git repository ({restored} files)")
                if current is not None:
                    release = self.store.get_release(target, current)
                    on_line(f"-----> Deploying v{current} of {target}")
                    self.deployer.apply(release, on_line, restart=None, replacing=True)
            self._install_certs(target, others, on_line)
        except BaseException:
            self._undo(target, created, on_line)
            raise
        return Imported(target, len(doc["releases"]), current, [l["service"] for l in links],
                        sorted(volumes), len(refs))

    def _check(self, target: str, doc: dict, others: dict[str, bytes]):
        """Everything that can be refused is refused here, before anything is created."""
        app_export.check_target(self.store, target, doc)
        links = doc.get("links") or []
        volumes: dict[str, bytes] = {}
        images: dict[str, str] = {}
        loadable = b""
        for name, body in others.items():
            kind = app_move.member_kind(name)
            if kind is None:
                continue
            if kind[0] == "images":
                images = app_move.image_ids(body)
                loadable = app_move.untagged(body)
            elif kind[0] == "volume":
                if kind[1] not in (doc.get("volumes") or []):
                    raise InvalidInput(f"archive member {name!r} is no volume of the app")
                app_move.check_volume_tar(body)
                volumes[kind[1]] = body
            elif kind[0] == "cert":
                pem, key = app_move.cert_members(int(kind[1]))
                if pem not in others or key not in others:
                    raise InvalidInput(f"archive member {name!r} lacks its certificate or key")
            elif kind[1] not in {l["service"] for l in links}:
                raise InvalidInput(f"archive member {name!r} is no linked service of the app")
        if (volumes or images or links) and self.data is None:
            raise Conflict("this platform has no Docker data adapter: it cannot take images, "
                           "volumes or services")
        for link in links:
            validate_name(link["service"])
            validate_kind(link.get("kind"))
            found = self.store.get_datastore(link["service"])
            if found is not None and found.kind != link["kind"]:
                raise Conflict(f"a {found.kind} service named {found.name!r} exists here; the "
                               f"app links a {link['kind']} service of that name")
        return links, volumes, images, loadable

    def _services(self, links: list[dict], others: dict[str, bytes], created: list[str],
                  on_line: LineWriter) -> dict[str, str]:
        """Each linked service on this platform (made and restored when missing); its URL."""
        urls: dict[str, str] = {}
        for link in links:
            name = link["service"]
            assert self.datastores is not None and self.backups is not None
            ds = self.store.get_datastore(name)
            if ds is None:
                ds = self.datastores.create(link["kind"], name, on_line)
                created.append(name)
                body = others.get(app_move.service_member(name))
                if body is not None:
                    made = self.backups.import_(name, io.BytesIO(body))
                    self.backups.restore(name, made.id, on_line)
            else:
                on_line(f"-----> {name} exists here: linking to it, its data unchanged")
            urls[name] = self.datastores.url(ds)
        return urls

    def _image_refs(self, target: str, images: dict[str, str]) -> dict[str, str]:
        """Old image ref -> the ref it gets here (tagged for this app and platform)."""
        refs = {}
        for index, old in enumerate(sorted(images), start=1):
            repository, tag = app_move.imported_ref(target, self.settings.instance, index)
            refs[old] = f"{repository}:{tag}"
        return refs

    def _fill(self, target: str, loadable: bytes, images: dict[str, str],
              refs: dict[str, str], volumes: dict[str, bytes], links: list[dict],
              on_line: LineWriter) -> None:
        if images:
            assert self.data is not None
            ids = set(images.values())
            present = {i for i in ids if self.data.image_present(i)}
            self.data.load_images(loadable)
            for old, new in refs.items():
                self.data.relabel_image(images[old], new, labels(
                    self.settings.instance, target, kind="image"))
            for image_id in ids - present:  # the untagged originals; the relabelled stay
                self.data.remove_image(image_id)
            on_line(f"-----> Loaded {len(refs)} release image(s)")
        for name, body in sorted(volumes.items()):
            assert self.data is not None
            docker_name = volume_name(self.settings.instance, target, name)
            self.data.create_volume(docker_name, volume_labels(self.settings.instance, target, name))
            self.data.fill_volume(docker_name, self.settings.stack_image,
                                  labels(self.settings.instance, target, kind="volume-import"),
                                  body)
            on_line(f"-----> Restored volume {name}")
        for link in links:
            assert self.datastores is not None
            self.datastores.attach(link["service"], target, link["as"])
            on_line(f"-----> Linked {link['service']} as {link['as']}")

    def _install_certs(self, target: str, others: dict[str, bytes], on_line: LineWriter) -> None:
        """After the deploy (installing one reroutes the app, under its lock)."""
        if self.certs is None:
            return
        for name in sorted(others):
            kind = app_move.member_kind(name)
            if kind is None or kind[0] != "cert" or not name.endswith(".pem"):
                continue
            pem, key = app_move.cert_members(int(kind[1]))
            domains = self.certs.add_manual(target, others[pem], others[key])
            on_line(f"-----> Installed the certificate for {', '.join(domains)}")

    def _undo(self, target: str, created: list[str], on_line: LineWriter) -> None:
        try:
            self.apps.get(target)
        except NotFound:
            pass
        else:
            self.apps.destroy(target)
        for name in created:
            assert self.datastores is not None
            self.datastores.destroy(name, name, True, "import", on_line, lambda ds: None)


def _read_private(path: str) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as f:
        return f.read(1 << 20)
