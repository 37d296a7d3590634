"""Docker volumes of an app's named volumes, and the one-shot container that gives a new volume
to the app's unprivileged user. Pure: specs as docker SDK keyword arguments."""
from __future__ import annotations

import re

VOLUME_MOUNT_IN_HELPER = "/volume"


def volume_name(instance: str, app: str, name: str) -> str:
    return f"paas-{instance}-{app}-vol-{name}"


def volume_labels(instance: str, app: str, name: str) -> dict[str, str]:
    return {"paas.instance": instance, "paas.app": app, "paas.kind": "volume", "paas.volume": name}


def mount_volumes(instance: str, app: str, mounts: dict[str, str]) -> dict[str, dict]:
    """The `volumes` argument of a process container: each named volume at its path."""
    return {volume_name(instance, app, n): {"bind": p, "mode": "rw"}
            for n, p in sorted(mounts.items())}


def owner_of(user: str) -> str:
    """The numeric owner a volume gets: the container's user when numeric, else paas's app user."""
    return user if re.fullmatch(r"[1-9][0-9]{0,9}(:[0-9]{1,10})?", user or "") else "1000:1000"


def owner_spec(*, instance: str, app: str, name: str, image: str, owner: str, nonce: str) -> dict:
    """Root, but with CHOWN as its only capability, no network, and nothing of the app's: it
    changes the owner of the new (empty) volume's root once, then exits."""
    return {
        "image": image,
        "name": f"paas-{instance}-{app}-vol-{name}-owner-{nonce}",
        "command": ["chown", owner_of(owner), VOLUME_MOUNT_IN_HELPER],
        "user": "0:0",
        "cap_drop": ["ALL"],
        "cap_add": ["CHOWN"],
        "security_opt": ["no-new-privileges"],
        "network_mode": "none",
        "labels": {**volume_labels(instance, app, name), "paas.kind": "volume-owner"},
        "volumes": {volume_name(instance, app, name): {"bind": VOLUME_MOUNT_IN_HELPER, "mode": "rw"}},
        "mem_limit": "64m",
    }
