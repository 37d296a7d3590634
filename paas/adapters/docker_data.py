"""Docker objects that hold data: named volumes (and the datastores' containers, images and
backups). Executes what `paas.render.volumes` and `paas.render.datastores` decide."""
from __future__ import annotations

import docker
from docker.errors import APIError, NotFound


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
