"""Runs the control plane's own containers (paas.render.supervise renders them): builds their
images from the checkout when their input hash is new, starts, replaces and stops them.

The only module besides docker_engine that speaks to Docker: the engine's job is the apps'
objects, this one's the platform's.
"""
from __future__ import annotations

import io
import tarfile
import time
from pathlib import Path

import docker
from docker.errors import APIError, BuildError, ImageNotFound, NotFound

from paas.errors import PaasError

# What of the checkout the API image holds: the package, the files it reads beside it, and the
# project file for the editable install.
SOURCE_PARTS = ("pyproject.toml", "paas", "buildpacks", "nginx")
SKIP = ("__pycache__", ".pyc", ".egg-info")


class SupervisorError(PaasError):
    id = "supervisor_error"
    status = 500


def source_files(root: Path) -> dict[str, bytes]:
    """The checkout's files that go into the API image, by their path under `root`."""
    out: dict[str, bytes] = {}
    for part in SOURCE_PARTS:
        base = root / part
        paths = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
        for path in paths:
            rel = path.relative_to(root).as_posix()
            if not any(s in rel for s in SKIP):
                out[rel] = path.read_bytes()
    return out


def tar_of(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size = len(files[name])
            info.mode = 0o755 if name.endswith(".sh") or "/bin/" in name else 0o644
            info.mtime = 0  # the build cache goes by content
            tar.addfile(info, io.BytesIO(files[name]))
    return buf.getvalue()


class Supervisor:
    def __init__(self, client: docker.DockerClient | None = None) -> None:
        self.client = client or docker.from_env(timeout=600)

    def image_id(self, ref: str) -> str | None:
        try:
            return self.client.images.get(ref).id
        except ImageNotFound:
            return None

    def ensure_image(self, ref: str, labels: dict[str, str], context: dict[str, bytes],
                     on_line=print) -> bool:
        """Build `ref` from the files of `context` (a Dockerfile among them) unless it exists.
        True when it was built now."""
        if self.image_id(ref):
            return False
        on_line(f"building {ref}")
        try:
            self.client.images.build(fileobj=io.BytesIO(tar_of(context)), custom_context=True,
                                     tag=ref, labels=labels, rm=True, forcerm=True, pull=False,
                                     network_mode="host")  # our own Dockerfile: apt, pip
        except BuildError as exc:
            tail = [str(c.get("stream", c.get("error", ""))).strip() for c in exc.build_log]
            raise SupervisorError(f"building {ref} failed: {exc.msg}; last lines: "
                                  + " | ".join([t for t in tail if t][-5:])) from None
        return True

    def container(self, name: str):
        try:
            return self.client.containers.get(name)
        except NotFound:
            return None

    def ensure(self, spec: dict) -> str:
        """Make the container of `spec` run with its image: 'running' when it already did,
        'started' when it was stopped (make down) or new, 'replaced' when its spec changed
        (its image's inputs, settings, mounts: the paas.spec label)."""
        current = self.container(spec["name"])
        if current is not None:
            same = current.labels.get("paas.spec") == spec["labels"]["paas.spec"]
            if same and current.status == "running":
                return "running"
            if same:
                current.start()
                return "started"
            current.stop(timeout=30)  # SIGTERM: gunicorn finishes its requests, nginx quits
            current.remove(force=True)
        self.client.containers.run(**spec)
        return "replaced" if current is not None else "started"

    def start_beside(self, spec: dict):
        """`ensure`, except that a running container of another spec keeps running beside the
        new one, renamed `<name>-retiring`, and is returned for the caller to retire (the
        router's handover, paas.server.handover); else None. (status, retiring container)"""
        current = self.container(spec["name"])
        if current is None or current.status != "running" \
                or current.labels.get("paas.spec") == spec["labels"]["paas.spec"]:
            return self.ensure(spec), None
        retiring = f"{spec['name']}-retiring"
        left = self.container(retiring)  # of a handover that was interrupted
        if left is not None:
            left.remove(force=True)
        current.rename(retiring)
        self.client.containers.run(**spec)
        return "replaced", current

    def runs(self, spec: dict) -> bool:
        """The container of `spec` runs, made from this very spec."""
        current = self.container(spec["name"])
        return current is not None and current.status == "running" \
            and current.labels.get("paas.spec") == spec["labels"]["paas.spec"]

    def stop(self, name: str) -> bool:
        """docker stop: the restart policy `unless-stopped` then keeps it stopped, across
        dockerd restarts and reboots too."""
        current = self.container(name)
        if current is None or current.status != "running":
            return False
        current.stop(timeout=30)
        return True

    def signal(self, name: str, sig: str) -> bool:
        current = self.container(name)
        if current is None or current.status != "running":
            return False
        current.kill(signal=sig)
        return True

    def remove_images(self, labels: dict[str, str], keep: str) -> list[str]:
        """Remove the images with `labels` but the one tagged `keep` (older inputs)."""
        removed = []
        flt = [f"{k}={v}" for k, v in labels.items()]
        for image in self.client.images.list(filters={"label": flt}):
            if keep in image.tags:
                continue
            try:
                self.client.images.remove(image.id, force=True)
                removed.extend(image.tags)
            except APIError:
                pass  # in use by a container, or a parent of another: the next make up retries
        return removed

    def remove_volume(self, name: str) -> bool:
        """Remove one volume; False when there is none or a container still uses it."""
        try:
            self.client.volumes.get(name).remove()
        except NotFound:
            return False
        except APIError as exc:
            if exc.status_code == 409:  # in use
                return False
            raise
        return True

    def wait_running(self, name: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            current = self.container(name)
            if current is not None and current.status == "running":
                return True
            time.sleep(0.2)
        return False

    def logs(self, name: str, tail: int = 15) -> str:
        current = self.container(name)
        return current.logs(tail=tail).decode(errors="replace") if current else ""

    def remove_instance(self, instance: str) -> dict[str, int]:
        """Every container, image, volume and network labelled with `instance` (and the volumes
        named after it), the control plane's included. Counts of what went."""
        label = f"paas.instance={instance}"
        counts = {"containers": 0, "images": 0, "volumes": 0, "networks": 0}
        # The API first: its convergence loop would start the app containers removed under it.
        api = {"label": [label, "paas.role=control-api"]}
        for filters in (api, {"label": label}, {"label": label}):
            for container in self.client.containers.list(all=True, filters=filters, sparse=True):
                try:
                    container.remove(force=True, v=True)
                    counts["containers"] += 1
                except NotFound:
                    pass
        for _ in range(3):  # children first: Docker keeps an image others are built on
            for image in self.client.images.list(filters={"label": label}):
                try:
                    self.client.images.remove(image.id, force=True)
                    counts["images"] += 1
                except APIError as exc:
                    if exc.status_code not in (404, 409):
                        raise
        for volume in self.client.volumes.list():
            if (volume.attrs.get("Labels") or {}).get("paas.instance") == instance \
                    or volume.name.startswith(f"paas-{instance}-"):
                volume.remove(force=True)
                counts["volumes"] += 1
        for network in self.client.networks.list(filters={"label": label}):
            network.reload()
            for attached in (network.attrs.get("Containers") or {}):
                try:  # a container of another instance attached by hand: off the network only
                    network.disconnect(attached, force=True)
                except (NotFound, APIError):
                    pass
            network.remove()
            counts["networks"] += 1
        return counts
