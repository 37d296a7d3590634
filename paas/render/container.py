"""Container specs, decided here and run by the Docker adapter: pure functions, no I/O.

A spec is a dict of docker SDK `containers.create` keyword arguments, so tests assert it exactly
and the adapter only translates it into API calls.
"""
from __future__ import annotations

from dataclasses import dataclass

from paas.domain.models import Release
from paas.domain.resources import docker_args
from paas.render.build import ENV_DIR, RESULT_DIR
from paas.render.volumes import mount_volumes

APP_PORT = 5000
APP_USER = "1000:1000"
APP_OWNER = (1000, 1000)
CA_PATH_IN_CONTAINER = "/etc/ssl/certs/paas-ca.crt"
CA_ENV_VARS = ("SSL_CERT_FILE", "PIP_CERT", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS")

# Heroku semantics: every .profile.d script is sourced, then the Procfile command runs in bash.
LAUNCHER = 'for f in /app/.profile.d/*.sh; do [ -r "$f" ] && . "$f"; done; exec bash -c "$1"'
LOG_CONFIG = {"type": "json-file", "config": {"max-size": "10m", "max-file": "3"}}


@dataclass(frozen=True)
class ImageFacts:
    """What a container spec needs to know about its image. Buildpack images all look alike;
    an image built from the app's Dockerfile brings its own command, port and user."""
    dockerfile: bool = False
    port: int = APP_PORT
    user: str = APP_USER


def image_facts(config: dict) -> ImageFacts:
    """From the image's labels, exposed ports and user (see `Engine.image_config`)."""
    if (config.get("labels") or {}).get("paas.builder") != "dockerfile":
        return ImageFacts()
    tcp = sorted(int(p.split("/")[0]) for p in config.get("exposed") or [] if p.endswith("/tcp"))
    # One EXPOSEd port is where the app listens; otherwise it is told $PORT, as on Heroku.
    port = tcp[0] if len(tcp) == 1 else APP_PORT
    return ImageFacts(dockerfile=True, port=port, user=run_user(config.get("user") or ""))


def _is_root(part: str) -> bool:
    return part == "root" or (part.isdigit() and int(part) == 0)


def run_user(image_user: str) -> str:
    """The user an image's containers run as. Root in the image is not root in paas: no user,
    `root` or uid 0 (with any group) runs as the platform's unprivileged user, and group 0 is
    swapped for its group. A named user is kept: the build refused it if the image's
    /etc/passwd makes it uid 0 (`passwd_uid`)."""
    user, _, group = image_user.partition(":")
    if not user or _is_root(user):
        return APP_USER
    if group and _is_root(group):
        return f"{user}:{APP_OWNER[1]}"
    return image_user


def passwd_uid(passwd: str, name: str) -> int | None:
    """The uid of `name` in an /etc/passwd text (untrusted: an image's), or None."""
    for line in passwd.splitlines():
        fields = line.split(":")
        if len(fields) >= 3 and fields[0] == name:
            return int(fields[2]) if fields[2].isdigit() else None
    return None


def labels(instance: str, app: str | None = None, **extra: str) -> dict[str, str]:
    out = {"paas.instance": instance}
    if app is not None:
        out["paas.app"] = app
    out.update({f"paas.{k}": str(v) for k, v in extra.items()})
    return out


def image_ref(app: str, instance: str, build_id: int) -> tuple[str, str]:
    """Repository and tag of a build's image; the instance in the tag keeps two platforms on
    one daemon from overwriting each other's `paas/<app>` images."""
    return f"paas/{app}", f"{instance}-{build_id}"


def cache_volume(instance: str, app: str) -> str:
    """The app's build cache (pip's, npm's): a named volume, owned by the build user."""
    return f"paas-{instance}-{app}-build-cache"


def legacy_cache_volume(instance: str, app: str) -> str:
    """Where builds that ran as root kept their cache (removed with the app)."""
    return f"paas-{instance}-{app}-cache"


def build_network_name(instance: str, build_id: int) -> str:
    """Each build gets a bridge of its own: no build sees another build or any app."""
    return f"paas-{instance}-build-{build_id}"


BUILD_PIDS = 1024  # a fork bomb in a build stops here instead of starving the host
BUILD_TMPFS = "rw,nosuid,nodev,size=1g,mode=1777"


def launch_command(command: str, facts: ImageFacts = ImageFacts()) -> list[str] | None:
    """Buildpack images: .profile.d, then the command in bash. Dockerfile images may have no
    bash: a Procfile command runs in sh, and no command at all leaves the image's CMD."""
    if facts.dockerfile:
        return ["/bin/sh", "-c", command] if command else None
    return ["/bin/bash", "-c", LAUNCHER, "paas-launch", command]


def network_name(instance: str, app: str) -> str:
    return f"paas-{instance}-{app}"


def process_spec(*, instance: str, release: Release, process: str, index: int, nonce: str,
                 resources: dict[str, str] | None = None, facts: ImageFacts = ImageFacts()) -> dict:
    """The container of one process of a release. `web` gets PORT, and no port on the host:
    nginx reaches it at its address on the app network (one hop fewer, nothing exposed).
    Hardened by default: not root, no capabilities, no privilege gain, an init, its app's own
    network, rotated logs, restarted by Docker (with its backoff) when it crashes."""
    env = dict(release.config)
    spec: dict = {
        "image": release.image,
        "name": f"paas-{instance}-{release.app}-{process}.{index}-v{release.version}-{nonce}",
        "command": launch_command(release.processes[process], facts),
        "environment": env,
        "labels": labels(instance, release.app, kind="process", release=release.version,
                         process=process, index=index),
        "working_dir": "/app",
        "init": True,
        "detach": True,
        "log_config": LOG_CONFIG,
        "hostname": f"{release.app}-{process}-{index}",
        "user": facts.user,
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "network": network_name(instance, release.app),
        "restart_policy": {"Name": "unless-stopped"},
        **docker_args(resources or {}),
    }
    if facts.dockerfile:
        del spec["working_dir"]  # the image's WORKDIR
        if spec["command"] is None:
            del spec["command"]
    if release.mounts:
        spec["volumes"] = mount_volumes(instance, release.app, release.mounts)
    env["DYNO"] = f"{process}.{index}"
    if process == "web":
        env["PORT"] = str(facts.port)
    return spec


def oneoff_spec(*, instance: str, release: Release, command: str, nonce: str,
                resources: dict[str, str] | None = None, facts: ImageFacts = ImageFacts()) -> dict:
    """`paas run`: a container of the release with its config, running `command` once."""
    spec = process_spec(instance=instance, release=release, process="web", index=1, nonce=nonce,
                        resources=resources, facts=facts)
    spec.pop("restart_policy")
    del spec["environment"]["PORT"]
    spec["environment"]["DYNO"] = "run.1"
    spec.update(
        name=f"paas-{instance}-{release.app}-run-{nonce}",
        command=launch_command(command, facts),
        labels=labels(instance, release.app, kind="run", release=release.version),
        hostname=f"{release.app}-run",
    )
    return spec


def build_spec(*, instance: str, app: str, build_id: int, image: str, buildpacks_dir: str,
               ca_bundle: str, script: str, network: str, memory: str = "2g") -> dict:
    """The build container: from the build base image (or, to finalize a build whose dependency
    layer is reused, from that layer), buildpacks read-only, per-app cache, host CA bundle, a
    memory limit without extra swap (so a runaway build is OOM-killed, and says so).

    Hardened like an app container: the unprivileged user, no capabilities, no privilege gain,
    a pids limit, a read-only root file system and a network of its own. What it writes goes to
    volumes (/app, the config in ENV_DIR, RESULT_DIR, /cache) and /tmp (a tmpfs); the code, the
    config and the results go in and out through the Docker API, never through a host path,
    and no host directory is mounted writable."""
    volumes = {buildpacks_dir: {"bind": "/buildpacks", "mode": "ro"}}
    env = {"STACK": "trixie", "HOME": "/app", "PYTHONUNBUFFERED": "1"}
    if ca_bundle:
        volumes[ca_bundle] = {"bind": CA_PATH_IN_CONTAINER, "mode": "ro"}
        env.update({name: CA_PATH_IN_CONTAINER for name in CA_ENV_VARS})
    return {
        "image": image,
        "name": f"paas-{instance}-{app}-build-{build_id}",
        "command": ["/bin/bash", "-c", script],
        "environment": env,
        "labels": labels(instance, app, kind="build", build=build_id),
        "volumes": volumes,
        # Anonymous volumes go with the container (removed with v=True); the cache stays.
        "mounts": [
            {"Target": "/app", "Source": "", "Type": "volume", "ReadOnly": False},
            {"Target": ENV_DIR, "Source": "", "Type": "volume", "ReadOnly": False},
            {"Target": RESULT_DIR, "Source": "", "Type": "volume", "ReadOnly": False},
            {"Target": "/cache", "Source": cache_volume(instance, app), "Type": "volume",
             "ReadOnly": False,
             "VolumeOptions": {"Labels": labels(instance, app, kind="build-cache")}},
        ],
        "tmpfs": {"/tmp": BUILD_TMPFS},
        "working_dir": "/app",
        "user": APP_USER,
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "pids_limit": BUILD_PIDS,
        "read_only": True,
        "network": network,
        "detach": True,
        "log_config": LOG_CONFIG,
        "mem_limit": memory,
        "memswap_limit": memory,
        "nano_cpus": 2_000_000_000,
    }
