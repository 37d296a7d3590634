"""Docker objects that hold data: named volumes (and the datastores' containers, images and
backups). Executes what `paas.render.volumes` and `paas.render.datastores` decide."""
from __future__ import annotations

import io
import socket
import tarfile
import threading
from typing import BinaryIO, Callable

import docker
from docker.errors import APIError, NotFound
from docker.models.containers import _create_container_args

from paas.adapters.docker_engine import create_network
from paas.errors import PaasError
from paas.render.app_move import VOLUME_ROOT
from paas.render.image import layered_image


class DockerData:
    def __init__(self, client: docker.DockerClient | None = None) -> None:
        self.client = client or docker.from_env(timeout=600)

    # volumes
    def create_volume(self, name: str, labels: dict[str, str]) -> bool:
        try:
            self.client.volumes.get(name)
            return False
        except NotFound:
            pass
        self.client.volumes.create(name=name, labels=labels)
        return True

    def remove_volume(self, name: str) -> bool:
        try:
            self.client.volumes.get(name).remove()
        except NotFound:
            return True
        except APIError as exc:
            if exc.status_code == 409:  # in use by a container
                return False
            raise
        return True

    def find_volumes(self, labels: dict[str, str]) -> list[str]:
        found = self.client.volumes.list(filters={"label": [f"{k}={v}" for k, v in labels.items()]})
        return sorted(v.name for v in found)

    # datastore images
    def build_image(self, files: dict[str, str], tag: str, labels: dict[str, str],
                    on_line: Callable[[str], None]) -> None:
        """Build with the classic builder from a context of these files; raise with the last
        lines of output when it fails."""
        context = io.BytesIO()
        with tarfile.open(fileobj=context, mode="w") as tar:
            for name, text in files.items():
                data = text.encode()
                info = tarfile.TarInfo(name)
                info.size, info.mode = len(data), 0o644
                tar.addfile(info, io.BytesIO(data))
        context.seek(0)
        tail: list[str] = []
        try:
            for chunk in self.client.api.build(fileobj=context, custom_context=True, tag=tag,
                                               labels=labels, rm=True, forcerm=True, decode=True):
                text = (chunk.get("stream") or "").rstrip()
                if text:
                    tail = (tail + [text])[-15:]
                    on_line(text)
                if chunk.get("error"):
                    raise DataError(f"building {tag} failed: {chunk['error'].strip()}")
        except APIError as exc:
            raise DataError(f"building {tag} failed: {exc.explanation or exc}") from None

    def tag_image(self, ref: str, repository: str, tag: str) -> None:
        self.client.images.get(ref).tag(repository, tag)

    def run_output(self, image: str, argv: list[str]) -> str:
        """Output of a short command in a throwaway container of the image (no network)."""
        out = self.client.containers.run(image, argv, remove=True, network_mode="none",
                                         user="65534:65534", labels={"paas.kind": "probe"})
        return out.decode("utf-8", "replace").strip()

    # moving apps (paas.services.app_moves)
    def save_images(self, refs: list[str]) -> bytes:
        """One `docker save` archive of these images; layers they share are in it once. (The
        SDK saves one image per call, so the endpoint is called directly.)"""
        api = self.client.api
        resp = api._get(api._url("/images/get"), params={"names": refs}, stream=True)
        api._raise_for_status(resp)
        return b"".join(api._stream_raw_result(resp, 1 << 20, False))

    def load_images(self, archive: bytes) -> None:
        self.client.images.load(archive)

    def relabel_image(self, image_id: str, ref: str, labels: dict[str, str]) -> str:
        """A child of `image_id` tagged `ref` with `labels` added (an empty layer on top, made
        without running anything); its ID."""
        base = self.client.images.get(image_id).attrs
        workdir = (base.get("Config") or {}).get("WorkingDir") or "/"
        loaded = self.client.images.load(layered_image(base, _EMPTY_TAR, ref=ref, labels=labels,
                                                       workdir=workdir, env={}))
        return loaded[0].id if loaded else self.client.images.get(ref).id

    def image_present(self, ref: str) -> bool:
        try:
            self.client.images.get(ref)
            return True
        except NotFound:
            return False

    def remove_image(self, ref: str) -> None:
        try:
            self.client.images.remove(ref)
        except (NotFound, APIError):
            pass

    def read_volume(self, volume: str, image: str, labels: dict[str, str]) -> bytes:
        """The volume's contents as a tar (top directory `v`), through a container that is
        created with the volume mounted and never started: nothing of the app runs."""
        holder = self._holder(volume, image, labels, read_only=True)
        try:
            stream, _stat = holder.get_archive(f"/{VOLUME_ROOT}")
            return b"".join(stream)
        finally:
            holder.remove(force=True)

    def fill_volume(self, volume: str, image: str, labels: dict[str, str], archive: bytes) -> None:
        """Unpack a checked tar (top directory `v`) into the volume, owners and modes kept."""
        holder = self._holder(volume, image, labels, read_only=False)
        try:
            if not holder.put_archive("/", archive):
                raise DataError(f"could not fill volume {volume}")
        finally:
            holder.remove(force=True)

    def _holder(self, volume: str, image: str, labels: dict[str, str], read_only: bool):
        return self.client.containers.create(
            image, ["true"], network_mode="none", user="65534:65534", labels=labels,
            volumes={volume: {"bind": f"/{VOLUME_ROOT}", "mode": "ro" if read_only else "rw"}})

    def run_with_input(self, spec: dict, stdin: bytes, on_line: Callable[[str], None],
                       timeout: float) -> int:
        """Run a one-off container with `stdin` as its standard input (closed after it), its
        output streamed line by line; removed at the end; its exit status (124 at `timeout`)."""
        container = self._create_stdin_once(spec)
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            _kill(container)
        timer = threading.Timer(timeout, kill)
        try:
            sock = container.attach_socket(params={"stdin": 1, "stream": 1})
            container.start()
            timer.start()
            raw = getattr(sock, "_sock", sock)
            try:
                raw.sendall(stdin)
                raw.shutdown(socket.SHUT_WR)  # with StdinOnce: the program's input ends here
            finally:
                sock.close()
            pending = b""
            for chunk in container.logs(stream=True, follow=True):
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    on_line(line.decode("utf-8", "replace"))
            if pending:
                on_line(pending.decode("utf-8", "replace"))
            code = int(container.wait().get("StatusCode", 1))
            return 124 if timed_out.is_set() else code
        finally:
            timer.cancel()
            container.remove(force=True)

    def _create_stdin_once(self, spec: dict):
        """containers.create, plus StdinOnce (which the SDK does not pass): the container's
        stdin closes when the attached client hangs up, so psql sees the end of its input."""
        api = self.client.api
        args = _create_container_args({k: v for k, v in spec.items() if k != "stdin_once"}
                                      | {"version": api._version})
        name = args.pop("name", None)
        config = api.create_container_config(**args)
        config["StdinOnce"] = bool(spec.get("stdin_once"))
        return self.client.containers.get(api.create_container_from_config(config, name)["Id"])

    # datastore networks
    def create_internal_network(self, name: str, labels: dict[str, str], subnet: str) -> bool:
        """Like DockerEngine.create_network, but without a way out: the server needs none."""
        return create_network(self.client, name, labels, subnet, driver="bridge", internal=True)

    def connect(self, network: str, container: str) -> None:
        try:
            self.client.networks.get(network).connect(container)
        except APIError as exc:
            if "already exists" not in str(exc.explanation or exc):
                raise

    def disconnect(self, network: str, container: str) -> None:
        try:
            self.client.networks.get(network).disconnect(container, force=True)
        except (APIError, NotFound):
            pass

    # datastore containers
    def start_container(self, container: str) -> None:
        self.client.containers.get(container).start()

    def exec_status(self, container: str, argv: list[str], user: str,
                    env: dict[str, str] | None = None) -> tuple[int, str]:
        """Exit status and combined output of a command in a running container."""
        try:
            result = self.client.containers.get(container).exec_run(
                argv, user=user, environment=env or {}, demux=False)
        except NotFound:
            return 127, "no such container"
        except APIError as exc:
            return 126, str(exc.explanation or exc)
        return int(result.exit_code or 0), (result.output or b"").decode("utf-8", "replace")

    def exec_to_file(self, container: str, argv: list[str], user: str, env: dict[str, str],
                     out: BinaryIO, limit: int) -> tuple[int, str]:
        """Run a command, its stdout into `out` (at most `limit` bytes); its status and stderr."""
        api = self.client.api
        exec_id = api.exec_create(container, argv, user=user, environment=env, stdout=True,
                                  stderr=True)["Id"]
        err = b""
        written = 0
        for stdout, stderr in api.exec_start(exec_id, stream=True, demux=True):
            if stdout:
                written += len(stdout)
                if written > limit:
                    raise DataError(f"the backup is over {limit} bytes")
                out.write(stdout)
            if stderr:
                err = (err + stderr)[-4000:]
        code = api.exec_inspect(exec_id).get("ExitCode")
        return int(code if code is not None else 1), err.decode("utf-8", "replace")

    def put_file(self, container: str, path: str, source: BinaryIO, size: int, owner: str) -> None:
        """Copy a host file into the container (running or stopped) as `owner` ("uid:gid"), 0600."""
        directory, _, name = path.rpartition("/")
        uid, _, gid = owner.partition(":")
        stream = _TarOfOne(name, source, size, int(uid), int(gid or uid))
        self.client.api.put_archive(container, directory or "/", stream)

    def remove_path(self, container: str, path: str, user: str) -> None:
        self.exec_status(container, ["rm", "-f", path], user)

    def user_ids(self, container: str, user: str) -> str:
        """uid:gid of a user name inside a container's image."""
        code, out = self.exec_status(container, ["sh", "-c", f"echo $(id -u {user}):$(id -g {user})"],
                                     "root")
        if code != 0:
            raise DataError(f"cannot find user {user} in {container}: {out.strip()}")
        return out.strip()


class DataError(PaasError):
    id = "datastore_error"
    status = 502


class _TarOfOne(io.RawIOBase):
    """A tar stream of one file read from `source`, made as it is read: a large backup is never
    held in memory."""

    def __init__(self, name: str, source: BinaryIO, size: int, uid: int, gid: int) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.uid, info.gid = size, 0o600, uid, gid
        self._parts = iter([info.tobuf(format=tarfile.GNU_FORMAT), None,
                            b"\0" * ((512 - size % 512) % 512) + b"\0" * 1024])
        self._source = source
        self._buffer = b""
        self._reading = False

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = 65536 if n is None or n < 0 else n
        while len(self._buffer) < n:
            if self._reading:
                chunk = self._source.read(65536)
                if chunk:
                    self._buffer += chunk
                    continue
                self._reading = False
            part = next(self._parts, StopIteration)
            if part is StopIteration:
                break
            if part is None:
                self._reading = True
            else:
                self._buffer += part
        out, self._buffer = self._buffer[:n], self._buffer[n:]
        return out

    def __iter__(self):
        while True:
            chunk = self.read(65536)
            if not chunk:
                return
            yield chunk


def _empty_tar() -> bytes:
    out = io.BytesIO()
    tarfile.open(fileobj=out, mode="w").close()
    return out.getvalue()


_EMPTY_TAR = _empty_tar()


def _kill(container) -> None:
    try:
        container.kill()
    except (APIError, NotFound):
        pass
