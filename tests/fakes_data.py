"""An in-memory fake of the DataEngine port (volumes, datastores), for unit tests."""
from __future__ import annotations


class FakeData:
    def __init__(self) -> None:
        self.volumes: dict[str, dict[str, str]] = {}
        self.in_use: set[str] = set()  # volume names Docker refuses to remove

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
