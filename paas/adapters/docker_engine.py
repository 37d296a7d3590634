"""The Docker Engine adapter: the only module that imports `docker`.

It executes container specs rendered by `paas.render.container` and reports what Docker says;
it decides nothing about apps, releases or routing.
"""
from __future__ import annotations

import io
import logging
import os
import socket
import struct
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import docker
import requests
from docker.errors import APIError, DockerException, ImageNotFound, NotFound
from urllib3.exceptions import ReadTimeoutError

from paas.errors import PaasError
from paas.render.image import layered_image

log = logging.getLogger("paas.docker")


class EngineError(PaasError):
    id = "docker_error"
    status = 502


@dataclass(frozen=True)
class ContainerInfo:
    id: str
    name: str
    status: str  # created, running, exited, ...
    labels: dict[str, str]
    created: str
    exit_code: int
    oom_killed: bool
    restart_count: int
    started_at: str
    finished_at: str
    # Network name -> IPv4 address, and $PORT: where the router reaches the container.
    addresses: dict[str, str] = field(default_factory=dict)
    port: int | None = None


TIMED_OUT = 124  # the exit code of a one-off stopped at its timeout, as timeout(1) says

INSPECT_THREADS = 8
_POOL_LOCK = threading.Lock()


class DockerEngine:
    def __init__(self, client: docker.DockerClient | None = None) -> None:
        try:
            self.client = client or docker.from_env(timeout=600)
            self.client.ping()
        except DockerException as exc:
            raise EngineError(f"cannot reach the Docker daemon: {exc}") from None

    # images
    def image_exists(self, ref: str) -> bool:
        try:
            self.client.images.get(ref)
            return True
        except ImageNotFound:
            return False

    def remove_image(self, ref: str) -> bool:
        """False when Docker keeps it because other images are built on it."""
        try:
            self.client.images.remove(ref, force=True)
        except ImageNotFound:
            pass
        except APIError as exc:
            if exc.status_code == 409:
                return False
            raise
        return True

    # builds
    def run_build(self, spec: dict, archives: Iterable[tuple[str, bytes]],
                  on_line: Callable[[str], None], timeout: float) -> tuple[str, int, bool]:
        """Create the build container, unpack each (directory, tar) archive into that directory
        (a volume: the root file system is read-only), run it while streaming its output line
        by line. Returns the container id (the caller reads and removes it), the exit code, and
        whether the timeout killed it."""
        self.client.images.get(spec["image"])  # fail early with a clear NotFound
        container = self.client.containers.create(**spec)
        for path, data in archives:
            container.put_archive(path, data)
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            try:
                container.kill()
            except (APIError, NotFound):
                pass

        timer = threading.Timer(timeout, kill)
        container.start()
        timer.start()
        try:
            _stream_lines(container.logs(stream=True, follow=True), on_line)
            exit_code = int(container.wait().get("StatusCode", 1))
        finally:
            timer.cancel()
        return container.id, exit_code, timed_out.is_set()

    def build_image(self, context: bytes, *, tag: str, labels: dict[str, str],
                    buildargs: dict[str, str], memory: int, on_line: Callable[[str], None],
                    timeout: float, network: str | None = None) -> tuple[str | None, str, bool]:
        """`docker build` of a tar context with the classic builder, streaming its output.
        Returns (image id, "", False), or (None, the reason it failed, whether it timed out).

        The HTTP read timeout stops a step that is silent for `timeout`; the deadline, one
        that keeps printing. Either way the connection goes, and the daemon then cancels the
        build and removes its container (tried here with `RUN sleep 40` and a 5 s timeout)."""
        deadline = time.monotonic() + timeout
        stream = self.client.api.build(
            fileobj=io.BytesIO(context), custom_context=True, tag=tag, labels=labels,
            buildargs=buildargs, rm=True, forcerm=True, decode=True, pull=False, timeout=timeout,
            container_limits={"memory": memory, "memswap": memory}, network_mode=network,
        )
        image_id = None
        try:
            for chunk in stream:
                if "error" in chunk:
                    return None, str(chunk["error"]).strip(), False
                for line in (chunk.get("stream") or "").splitlines():
                    if line.strip():
                        on_line(line)
                image_id = (chunk.get("aux") or {}).get("ID", image_id)
                if time.monotonic() > deadline:
                    return None, "", True
        except (ReadTimeoutError, requests.exceptions.ReadTimeout):
            return None, "", True
        finally:
            stream.close()
        return image_id or self.client.images.get(tag).id, "", False

    def read_tree(self, container_id: str, path: str, limit: int | None = None) -> bytes | None:
        """A tar of `path` in a (stopped) container, read through the Docker API (links in it
        stay links: nothing is followed on the host). None when it is larger than `limit`."""
        stream, _ = self.client.containers.get(container_id).get_archive(path)
        chunks, size = [], 0
        try:
            for chunk in stream:
                size += len(chunk)
                if limit is not None and size > limit:
                    return None
                chunks.append(chunk)
        finally:
            close = getattr(stream, "close", None)
            if close:
                close()
        return b"".join(chunks)

    def read_image_file(self, image: str, path: str, labels: dict[str, str],
                        limit: int) -> bytes | None:
        """A tar of `path` in an image, through a container that is created, never started,
        and removed (links stay links). None when larger than `limit` or missing."""
        holder = self.client.containers.create(image, command=["true"], labels=labels,
                                               network_mode="none")
        try:
            return self.read_tree(holder.id, path, limit)
        except NotFound:
            return None
        finally:
            holder.remove(force=True, v=True)

    def layer_image(self, base_image: str, archive: bytes, *, repository: str, tag: str,
                    labels: dict[str, str], workdir: str, env: dict[str, str]) -> str:
        """A new image: `base_image` plus the archive unpacked at `/`, as one layer."""
        ref = f"{repository}:{tag}"
        base = self.client.images.get(base_image).attrs
        try:
            loaded = self.client.images.load(layered_image(base, archive, ref=ref, labels=labels,
                                                           workdir=workdir, env=env))
            if loaded:
                return loaded[0].id
        except DockerException as exc:
            log.info("docker load of %s failed (%s); committing a container instead", ref, exc)
        return self._commit_layer(base_image, archive, repository=repository, tag=tag,
                                  labels=labels, workdir=workdir, env=env)

    def _commit_layer(self, base_image: str, archive: bytes, *, repository: str, tag: str,
                      labels: dict[str, str], workdir: str, env: dict[str, str]) -> str:
        """The slower way, for image stores that cannot load an archive without its base
        layers (containerd's). Not `docker commit` of a build container: that would carry the
        build's environment, command, labels, volume declarations and mount points along."""
        holder = self.client.containers.create(base_image, command=["true"], labels=labels)
        changes = [f"WORKDIR {workdir}", *(f"ENV {k}={v}" for k, v in env.items())]
        try:
            holder.put_archive("/", archive)
            return holder.commit(repository=repository, tag=tag, changes=changes).id
        finally:
            holder.remove(force=True)

    def image_id(self, ref: str) -> str:
        return self.client.images.get(ref).id

    def find_images(self, labels: dict[str, str]) -> list[tuple[str, dict[str, str]]]:
        """(reference, labels) of the images with these labels, newest first."""
        images = self.client.images.list(filters={"label": _label_filter(labels)})
        images.sort(key=lambda i: i.attrs.get("Created", ""), reverse=True)
        return [(i.tags[0] if i.tags else i.id, dict(i.labels or {})) for i in images]

    def run_once(self, spec: dict, on_line: Callable[[str], None],
                 timeout: float | None = None) -> int:
        """Run a container to its end, streaming its output; remove it; return its exit code.
        After `timeout` seconds it is killed and the code is TIMED_OUT (124, as timeout(1))."""
        container = self.client.containers.create(**spec)
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            try:
                container.kill()
            except (APIError, NotFound):
                pass

        timer = threading.Timer(timeout, kill) if timeout else None
        try:
            container.start()
            if timer is not None:
                timer.start()
            _stream_lines(container.logs(stream=True, follow=True), on_line)
            code = int(container.wait().get("StatusCode", 1))
            return TIMED_OUT if timed_out.is_set() else code
        finally:
            if timer is not None:
                timer.cancel()
            container.remove(force=True)

    # networks and volumes
    def network_exists(self, name: str) -> bool:
        # Docker's name filter matches parts of names too: "app" would find "app2"'s network.
        return any(n.name == name for n in self.client.networks.list(names=[name]))

    def subnets_in_use(self) -> list[str]:
        """Every subnet of a Docker network or of a route of this host."""
        used = [cfg["Subnet"] for n in self.client.networks.list()
                for cfg in (n.attrs.get("IPAM") or {}).get("Config") or [] if cfg.get("Subnet")]
        return used + _host_routes()

    def create_network(self, name: str, labels: dict[str, str], subnet: str) -> bool:
        """False when the subnet was taken meanwhile (pick another); True when the network
        exists now, made by us or by a concurrent call."""
        return create_network(self.client, name, labels, subnet, driver="bridge")

    def remove_network(self, name: str) -> None:
        for network in self.client.networks.list(names=[name]):
            if network.name != name:
                continue
            try:
                network.remove()
            except (APIError, NotFound):
                pass

    def remove_volume(self, name: str) -> None:
        try:
            self.client.volumes.get(name).remove(force=True)
        except NotFound:
            pass

    # containers
    def start(self, spec: dict) -> str:
        container = self.client.containers.create(**spec)
        container.start()
        return container.id

    def image_config(self, ref: str) -> dict:
        """The parts of an image's config that decide how its containers run."""
        config = self.client.images.get(ref).attrs.get("Config") or {}
        return {"labels": config.get("Labels") or {}, "exposed": sorted(config.get("ExposedPorts") or {}),
                "user": config.get("User") or "", "cmd": config.get("Cmd") or [],
                "entrypoint": config.get("Entrypoint") or []}

    def inspect(self, container_id: str) -> ContainerInfo | None:
        try:
            return _info(self.client.containers.get(container_id))
        except NotFound:
            return None

    def list_containers(self, labels: dict[str, str]) -> list[ContainerInfo]:
        # docker-py's containers.list() inspects each listed container and fails whole with
        # NotFound when one goes between the listing and its inspection (another app's build
        # or one-off container ending during ten deploys at once): skip those instead.
        # The listing lacks what an inspection tells (restarts, OOM kills, start time, $PORT),
        # and one inspection after another took 1-3 s with 100 apps, in every deploy and every
        # dashboard list (issue 14): they run side by side, in the listing's order.
        rows = self.client.api.containers(all=True, filters={"label": _label_filter(labels)})
        if len(rows) < 2:
            return [i for i in map(self._inspected, rows) if i is not None]
        return [i for i in self._inspections().map(self._inspected, rows) if i is not None]

    def count_containers(self, labels: dict[str, str]) -> int:
        return len(self.client.api.containers(all=True, filters={"label": _label_filter(labels)}))

    def _inspected(self, row: dict) -> ContainerInfo | None:
        try:
            return _info(self.client.containers.get(row["Id"]))
        except NotFound:
            return None

    def _inspections(self) -> ThreadPoolExecutor:
        """Threads for inspections (fewer than docker-py's pool of 10 connections), made anew
        in a forked child (gunicorn's workers): threads do not survive a fork."""
        with _POOL_LOCK:
            pool, pid = getattr(self, "_pool", None), getattr(self, "_pool_pid", None)
            if pool is None or pid != os.getpid():
                pool = self._pool = ThreadPoolExecutor(INSPECT_THREADS,
                                                       thread_name_prefix="docker-inspect")
                self._pool_pid = os.getpid()
            return pool

    def exec_output(self, container_id: str, argv: list[str]) -> str:
        try:
            result = self.client.containers.get(container_id).exec_run(argv, demux=False)
        except (APIError, NotFound):
            return ""
        return (result.output or b"").decode("utf-8", "replace")

    def log_lines(self, container_id: str, since: float | None = None,
                  tail: int | None = None) -> list[tuple[str, str]]:
        """(RFC 3339 timestamp, text) pairs of the container's output."""
        kwargs: dict = {"timestamps": True, "tail": tail if tail is not None else "all"}
        if since is not None:
            kwargs["since"] = since
        try:
            raw = self.client.containers.get(container_id).logs(**kwargs)
        except (APIError, NotFound):
            return []
        pairs = []
        for line in raw.decode("utf-8", "replace").splitlines():
            stamp, _, text = line.partition(" ")
            pairs.append((stamp, text))
        return pairs

    def logs(self, container_id: str, tail: int = 20) -> str:
        try:
            out = self.client.containers.get(container_id).logs(tail=tail, timestamps=False)
        except NotFound:
            return ""
        return out.decode("utf-8", "replace")

    def stop(self, container_id: str, timeout: int = 10) -> None:
        try:
            self.client.containers.get(container_id).stop(timeout=timeout)
        except NotFound:
            pass

    def pause(self, container_id: str) -> bool:
        try:
            self.client.api.pause(container_id)
        except (APIError, NotFound):
            return False
        return True

    def unpause(self, container_id: str) -> bool:
        try:
            self.client.api.unpause(container_id)
        except (APIError, NotFound):
            return False
        return True

    def remove_container(self, container_id: str) -> None:
        try:
            self.client.containers.get(container_id).remove(force=True, v=True)
        except NotFound:
            pass


def _host_routes(path: str = "/proc/net/route") -> list[str]:
    """The IPv4 networks this host routes to directly (a LAN, a VPN): a bridge on one of them
    would cut the host off from it. The default route is left out."""
    try:
        rows = Path(path).read_text().splitlines()[1:]
    except OSError:
        return []
    routes = []
    for row in rows:
        fields = row.split()
        if len(fields) < 8 or fields[1] == "00000000":
            continue
        dest, mask = (socket.inet_ntoa(struct.pack("<I", int(f, 16))) for f in (fields[1], fields[7]))
        routes.append(f"{dest}/{mask}")
    return routes


def _label_filter(labels: dict[str, str]) -> list[str]:
    return [f"{k}={v}" for k, v in labels.items()]


def _info(container) -> ContainerInfo:
    state = container.attrs.get("State", {})
    return ContainerInfo(
        id=container.id, name=container.name, status=container.status,
        labels=dict(container.labels), created=container.attrs.get("Created", ""),
        exit_code=int(state.get("ExitCode", 0)), oom_killed=bool(state.get("OOMKilled")),
        restart_count=int(container.attrs.get("RestartCount", 0)),
        started_at=state.get("StartedAt", ""), finished_at=state.get("FinishedAt", ""),
        addresses={name: net["IPAddress"] for name, net in
                   ((container.attrs.get("NetworkSettings") or {}).get("Networks") or {}).items()
                   if (net or {}).get("IPAddress")},
        port=_env_port((container.attrs.get("Config") or {}).get("Env") or []),
    )


def _env_port(env: list[str]) -> int | None:
    """$PORT as the container was created with (only that: the rest of its env is config)."""
    for item in env:
        name, _, value = item.partition("=")
        if name == "PORT":
            return int(value) if value.isdigit() else None
    return None


MAX_LINE = 16 * 1024  # a line without end (hostile build output) is cut, not held in memory


def _stream_lines(chunks: Iterable[bytes], on_line: Callable[[str], None]) -> None:
    # Docker hands out arbitrary chunks; the user must see whole lines as soon as they end.
    pending = b""
    for chunk in chunks:
        pending += chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        *lines, pending = pending.split(b"\n")
        while len(pending) > MAX_LINE:
            lines.append(pending[:MAX_LINE])
            pending = pending[MAX_LINE:]
        for line in lines:
            on_line(line.decode("utf-8", "replace"))
    if pending:
        on_line(pending.decode("utf-8", "replace"))


def create_network(client, name: str, labels: dict[str, str], subnet: str, **options) -> bool:
    """A network on `subnet`: False when the subnet was taken meanwhile (pick another), True
    when the network exists now, made by us or by a concurrent call. `options` name the driver
    and its kind (bridge, internal, overlay)."""
    ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=subnet)])
    try:
        client.networks.create(name, labels=labels, ipam=ipam, check_duplicate=True, **options)
    except APIError as exc:
        if exc.status_code == 409 and client.networks.list(names=[name]):
            return True
        if "overlap" in str(exc.explanation or exc).lower():
            return False
        raise
    return True
