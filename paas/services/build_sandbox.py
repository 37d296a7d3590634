"""What a build container stands on and is walled in by: the build base image, the build's own
network, and the reading of what the build leaves behind.

Code in a push runs in the build container, so everything it writes is untrusted data: the
results come out through the Docker API as a tar (capped in size), and only regular files are
taken from it; a link is refused, never followed. The build base image is the stack with the
directories a build writes (BUILD_DIRS) owned by the unprivileged build user, so that the
volumes mounted there are writable by that user without any root step.
"""
from __future__ import annotations

from paas.errors import DeployFailed, InvalidInput
from paas.domain.networks import free_subnet
from paas.ports import Engine
from paas.render.archive import files_tar, regular_files
from paas.render.build import BUILD_DIRS, RESULT_DIR
from paas.render.container import APP_OWNER, build_network_name, labels
from paas.settings import Settings

RESULTS_LIMIT = 1024 * 1024  # the whole results tar
RESULT_FILE_LIMIT = 256 * 1024  # one result file (a release YAML is a few hundred bytes)
NETWORK_ATTEMPTS = 5


class BuildSandbox:
    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine

    def base_image(self) -> str:
        """The build base image of the current stack, made once per stack image."""
        stack_id = self.engine.image_id(self.settings.stack_image)
        mine = labels(self.settings.instance, kind="build-base", stack=stack_id)
        found = self.engine.find_images(mine)
        if found:
            return found[0][0]
        repository, tag = "paas/build-base", f"{self.settings.instance}-{_short(stack_id)}"
        self.engine.layer_image(self.settings.stack_image, files_tar({}, APP_OWNER, dirs=BUILD_DIRS),
                                repository=repository, tag=tag, labels=mine, workdir="/app",
                                env={"HOME": "/app"})
        return f"{repository}:{tag}"

    def open_network(self, build_id: int) -> str:
        """A bridge of the build's own, on a free subnet of the platform's pool (so the
        firewall's rules for the pool cover it)."""
        name = build_network_name(self.settings.instance, build_id)
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


def _short(image_id: str) -> str:
    return image_id.split(":")[-1][:12]
