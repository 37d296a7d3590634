"""What a build container stands on and is walled in by: the build base image, the build's own
network, and the reading of what the build leaves behind.

Code in a push runs in the build container, so everything it writes is untrusted data: the
results come out through the Docker API as a tar (capped in size), and only regular files are
taken from it; a link is refused, never followed. The build base image is the stack with the
directories a build writes (BUILD_DIRS) owned by the unprivileged build user, so that the
volumes mounted there are writable by that user without any root step. It also carries uv,
the platform's Python installer (a dependency of paas, from PyPI), as a root-owned tool the
build may run but not replace: a first build then downloads the app's packages, not uv itself.
"""
from __future__ import annotations

import functools
from importlib import metadata
from pathlib import Path

from paas.errors import DeployFailed, InvalidInput
from paas.domain.networks import free_subnet
from paas.ports import Engine
from paas.render.archive import files_tar, regular_files
from paas.render.build import BUILD_DIRS, RESULT_DIR, ROOT_DIRS
from paas.render.container import (APP_OWNER, APP_USER, build_network_name, labels, passwd_uid,
                                   run_user)
from paas.services import subnets
from paas.settings import Settings

RESULTS_LIMIT = 1024 * 1024  # the whole results tar
RESULT_FILE_LIMIT = 256 * 1024  # one result file (a release YAML is a few hundred bytes)
NETWORK_ATTEMPTS = 5
BASE_LAYOUT = "3"  # 2: ENV_DIR is root's; 3: uv at UV_IN_BUILD
# Where the python buildpack finds uv (buildpacks/python/bin/compile); outside every volume.
UV_IN_BUILD = "/opt/paas/bin/uv"
TOOL_DIRS = ("opt", "opt/paas", "opt/paas/bin")


class BuildSandbox:
    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine

    def base_image(self) -> str:
        """The build base image of the current stack, made once per stack image."""
        stack_id = self.engine.image_id(self.settings.stack_image)
        # `layout` changes whenever the directories' owners do: an older base is not reused.
        uv = uv_binary()
        # A new uv makes a new base (and so new dependency layers, keyed on the base's id).
        mine = labels(self.settings.instance, kind="build-base", stack=stack_id, layout=BASE_LAYOUT,
                      uv=uv[0] if uv else "none")
        found = self.engine.find_images(mine)
        if found:
            return found[0][0]
        repository = "paas/build-base"
        tag = f"{self.settings.instance}-{_short(stack_id)}-uv{uv[0] if uv else 'none'}"
        tools = {UV_IN_BUILD.lstrip("/"): Path(uv[1]).read_bytes()} if uv else {}
        self.engine.layer_image(self.settings.stack_image,
                                files_tar({}, APP_OWNER, dirs=BUILD_DIRS,
                                          root_dirs=ROOT_DIRS + (TOOL_DIRS if uv else ()),
                                          tools=tools),
                                repository=repository, tag=tag, labels=mine, workdir="/app",
                                env={"HOME": "/app"})
        return f"{repository}:{tag}"

    def open_network(self, build_id: int) -> str:
        """A bridge of the build's own, on a free subnet of the platform's pool (so the
        firewall's rules for the pool cover it)."""
        with subnets.PICKING:
            return self._open_network(build_network_name(self.settings.instance, build_id), build_id)

    def _open_network(self, name: str, build_id: int) -> str:
        pool, size = self.settings.network_pool, self.settings.network_size
        for _ in range(NETWORK_ATTEMPTS):
            subnet = free_subnet(pool, size, self.engine.subnets_in_use())
            if subnet is None:
                raise DeployFailed(f"no free /{size} subnet left in PAAS_NETWORK_POOL={pool} "
                                   "for the build's network: give paas a larger pool")
            if self.engine.create_network(name, labels(self.settings.instance, kind="build-network",
                                                       build=build_id), subnet):
                return name
        raise DeployFailed(f"could not create the build's network: its subnet was taken "
                           f"{NETWORK_ATTEMPTS} times in a row")

    def close_network(self, name: str) -> None:
        self.engine.remove_network(name)

    def results(self, container_id: str) -> dict[str, str]:
        """The regular files the build left in RESULT_DIR, as text."""
        data = self.engine.read_tree(container_id, RESULT_DIR, limit=RESULTS_LIMIT)
        if data is None:
            raise DeployFailed(f"the build's results are larger than {RESULTS_LIMIT // 1024} KiB; "
                               "refused")
        try:
            files = regular_files(data, RESULT_DIR.lstrip("/") + "/", RESULT_FILE_LIMIT)
        except InvalidInput as exc:
            raise DeployFailed(exc.message) from None
        return {name: body.decode("utf-8", "replace") for name, body in files.items()}


    def check_image_user(self, app: str, ref: str, emit) -> None:
        """No process of a Dockerfile app runs as uid 0: root (USER root, USER 0, no USER) runs
        as the platform's unprivileged user, and a named user that the image's own /etc/passwd
        makes uid 0 fails the build, saying how to fix it."""
        user = (self.engine.image_config(ref).get("user") or "")
        runs_as = run_user(user)
        name = runs_as.partition(":")[0]
        if runs_as == APP_USER and user not in ("", APP_USER):
            emit(f"       USER {user} in the Dockerfile: paas runs the app as uid "
                 f"{APP_OWNER[0]} instead (no app process runs as root)")
        if name.isdigit():
            return
        data = self.engine.read_image_file(ref, "/etc/passwd",
                                           labels(self.settings.instance, app, kind="probe"),
                                           limit=RESULTS_LIMIT)
        passwd: str | None = None
        if data is not None:
            try:
                passwd = regular_files(data, "", RESULTS_LIMIT).get("passwd", b"").decode(
                    "utf-8", "replace")
            except InvalidInput:
                passwd = None  # a link or a special file: not read, not trusted
        uid = passwd_uid(passwd, name) if passwd is not None else None
        if uid == 0 or passwd is None:
            why = ("is uid 0 in the image's /etc/passwd" if uid == 0 else
                   "cannot be checked: the image has no regular file /etc/passwd")
            raise DeployFailed(f"USER {user} {why}; paas runs no app process as root. Use a "
                               f"numeric USER (e.g. USER {APP_OWNER[0]}) or a user with a uid "
                               "other than 0")


@functools.cache
def uv_binary() -> tuple[str, str] | None:
    """(version, path) of the uv that paas depends on, or None where it is missing (the python
    buildpack then installs uv from PyPI into the app's own build cache, as it did before)."""
    try:
        from uv import find_uv_bin
        return metadata.version("uv"), find_uv_bin()
    except (ImportError, FileNotFoundError, metadata.PackageNotFoundError):
        return None


def _short(image_id: str) -> str:
    return image_id.split(":")[-1][:12]
