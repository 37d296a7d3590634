"""In-memory fakes of the DataEngine port (volumes, datastores), for unit tests. A FakeData
shares the FakeEngine's images, networks and containers (Docker is one daemon)."""
from __future__ import annotations

from tests.fakes import FakeEngine


class NamedEngine(FakeEngine):
    """Docker takes a container's name where it takes its id; datastores use names."""

    def _id(self, ref):
        return next((c.id for c in self.containers.values() if ref in (c.id, c.name)), ref)

    def inspect(self, container_id):
        return super().inspect(self._id(container_id))

    def remove_container(self, container_id):
        super().remove_container(self._id(container_id))

    def stop(self, container_id, timeout=10):
        super().stop(self._id(container_id), timeout)

    def logs(self, container_id, tail=20):
        return "server log line\n" if self._id(container_id) in self.containers else ""


class FakeData:
    def __init__(self, engine: FakeEngine | None = None) -> None:
        self.engine = engine
        self.volumes: dict[str, dict[str, str]] = {}
        self.in_use: set[str] = set()  # volume names Docker refuses to remove
        self.built: list[str] = []
        self.connections: set[tuple[str, str]] = set()
        self.execs: list[tuple[str, list[str], str, dict]] = []
        self.backup_status = 0
        self.backup_bytes = b"PGDMP fake dump"
        self.put: list[tuple[str, str, bytes, str]] = []
        self.restore_status = 0

    def create_volume(self, name, labels):
        if name in self.volumes:
            return False
        self.volumes[name] = dict(labels)
        return True

    def remove_volume(self, name):
        if name in self.in_use:
            return False
        self.volumes.pop(name, None)
        return True

    def find_volumes(self, labels):
        return sorted(n for n, l in self.volumes.items() if labels.items() <= l.items())

    def build_image(self, files, tag, labels, on_line):
        assert "Dockerfile" in files
        self.built.append(tag)
        self.engine.images[tag] = dict(labels)
        on_line("Step 1/7 : FROM paas/stack:trixie")

    def tag_image(self, ref, repository, tag):
        self.engine.images[f"{repository}:{tag}"] = dict(self.engine.images[ref])

    def run_output(self, image, argv):
        return "17" if "postgres" in image else "8.0"

    def create_internal_network(self, name, labels, subnet):
        return self.engine.create_network(name, {**labels, "internal": "true"}, subnet)

    def connect(self, network, container):
        self.connections.add((network, container))

    def disconnect(self, network, container):
        self.connections.discard((network, container))

    def start_container(self, container):
        self.engine.containers[self.engine._id(container)].status = "running"

    def exec_status(self, container, argv, user, env=None):
        self.execs.append((container, list(argv), user, dict(env or {})))
        if argv[0] == "du":
            return 0, "4096\t/var/lib/paas\n"
        if argv[0] == "pg_restore":
            return self.restore_status, "" if self.restore_status == 0 else "pg_restore: error: boom"
        return 0, ""

    def exec_to_file(self, container, argv, user, env, out, limit):
        self.execs.append((container, list(argv), user, dict(env)))
        out.write(self.backup_bytes)
        return self.backup_status, "" if self.backup_status == 0 else "pg_dump: error: boom"

    def put_file(self, container, path, source, size, owner):
        data = source.read()
        assert len(data) == size
        self.put.append((container, path, data, owner))

    def remove_path(self, container, path, user):
        self.execs.append((container, ["rm", "-f", path], user, {}))

    def user_ids(self, container, user):
        return "101:103"

    # moving apps: images as labels in the FakeEngine, volumes' contents as bytes here
    def image_present(self, ref):
        return ref in self.engine.images or ref in getattr(self, "loaded", {})

    def save_images(self, refs):
        from tests.unit.test_render_app_move import image_archive
        return image_archive({ref: f"{i + 1:064x}" for i, ref in enumerate(sorted(refs))})

    def load_images(self, archive):
        from paas.render.app_move import image_ids, _manifest
        assert image_ids(archive) == {}, "tags must be stripped before a load"
        self.loaded = {f"sha256:{e['Config'].removesuffix('.json')}": True
                       for e in _manifest(archive)}

    def relabel_image(self, image_id, ref, labels):
        assert image_id in self.loaded
        self.engine.images[ref] = dict(labels)
        return ref

    def remove_image(self, ref):
        getattr(self, "loaded", {}).pop(ref, None)

    def read_volume(self, volume, image, labels):
        from tests.unit.test_render_app_move import volume_archive
        return self.__dict__.setdefault("contents", {}).get(volume) or volume_archive({})

    def fill_volume(self, volume, image, labels, archive):
        assert volume in self.volumes
        self.__dict__.setdefault("contents", {})[volume] = archive

    def run_with_input(self, spec, stdin, on_line, timeout):
        self.__dict__.setdefault("runs", []).append((spec, stdin))
        on_line(" ?column? ")
        on_line("        1")
        return 0
