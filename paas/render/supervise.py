"""What supervises the control plane: the images and containers of the API/git server and of
the router (nginx), rendered as data; `paas.adapters.supervisor` builds and runs them.

Why containers: Docker's restart policy (`unless-stopped`) restarts a crashed process and brings
it back after a reboot on every host that runs Docker, with or without systemd, and
`docker stop` (make down) keeps it stopped across reboots. CapRover, Coolify and kamal-proxy
supervise their control planes the same way. Both containers use the host's network (the API
and router listen on the host's ports, as before, and reach app containers on their networks)
and the host's pid namespace (the API signals nginx by the pid in its pid file). PAAS_HOME is
mounted at its own path, so every path in the state and the nginx config means the same inside
and outside.

Images are tagged by a hash of their inputs, so `make up` rebuilds and restarts only what
changed: the router's image depends only on the stack image and its Dockerfile, the API's on
the router's image and the source.
"""
from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass

ROLES = ("router", "api")
# Where the source sits in the API image (an editable install: buildpacks/ and nginx/ are read
# beside the package, as in a checkout).
SRC = "/opt/paas/src"
VENV = "/opt/paas/venv"
BUILD_CA = "/etc/paas/build-ca.crt"


def router_dockerfile(stack_image: str) -> str:
    return "\n".join([
        f"FROM {stack_image}",
        # Debian's nginx: mime.types and the modules the rendered config uses.
        "RUN apt-get -q update && DEBIAN_FRONTEND=noninteractive apt-get -q install -y "
        "--no-install-recommends nginx && rm -rf /var/lib/apt/lists/*",
        "",
    ])


def api_dockerfile(router_image: str) -> str:
    # Dependencies before the source: a code change reuses the (slow) dependency layer.
    return "\n".join([
        f"FROM {router_image}",
        f"COPY ca.crt {BUILD_CA}",
        f"RUN python3 -m venv {VENV}",
        "COPY requirements.txt /opt/paas/requirements.txt",
        # The host's CA bundle: pip must trust what the host trusts (a TLS-inspecting proxy).
        f"RUN PIP_CERT={BUILD_CA} {VENV}/bin/pip install --no-cache-dir --disable-pip-version-check"
        " -q -r /opt/paas/requirements.txt",
        f"COPY src {SRC}",
        f"RUN {VENV}/bin/pip install --no-cache-dir --disable-pip-version-check -q --no-deps "
        f"--no-build-isolation -e {SRC}",
        f"ENV PATH={VENV}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "",
    ])


def requirements(pyproject: str) -> str:
    """The API image's requirements: the project's dependencies, and setuptools for the editable
    install of the source (pip's build isolation would fetch it again each time)."""
    deps = tomllib.loads(pyproject)["project"]["dependencies"]
    build = tomllib.loads(pyproject)["build-system"]["requires"]
    return "\n".join([*deps, *build, ""])


def digest(parts: dict[str, bytes]) -> str:
    """A short hash of named inputs, independent of their order."""
    h = hashlib.sha256()
    for name in sorted(parts):
        h.update(name.encode() + b"\0" + hashlib.sha256(parts[name]).digest())
    return h.hexdigest()[:16]


def image_ref(instance: str, role: str, inputs: str) -> str:
    return f"paas-{instance}/{role}:{inputs}"


def container_name(instance: str, role: str) -> str:
    return f"paas-{instance}-{role}"


def labels(instance: str, role: str, inputs: str) -> dict[str, str]:
    return {"paas.instance": instance, "paas.role": f"control-{role}", "paas.inputs": inputs}


@dataclass(frozen=True)
class Mounts:
    """Host paths the control plane needs, each mounted at its own path."""
    home: str
    nginx_dir: str
    certs_dir: str
    docker_socket: str
    files: tuple[str, ...] = ()  # CA bundles named by settings, read-only


def with_spec_hash(spec: dict) -> dict:
    """`spec` with a label hashing all of it: a container made from another spec (new image,
    settings, mounts) is replaced by make up, an identical one left running."""
    text = json.dumps({k: v for k, v in spec.items() if k != "labels"}, sort_keys=True)
    return spec | {"labels": spec["labels"] | {"paas.spec": digest({"spec": text.encode()})}}


def router_spec(instance: str, image: str, inputs: str, mounts: Mounts) -> dict:
    """The router: nginx in the foreground with the platform's own prefix (config, pid, logs and
    temp dirs stay on the host, so a new container serves the same apps and certificates)."""
    prefix = mounts.nginx_dir
    return with_spec_hash(_common(instance, "router", image, inputs) | {
        "command": ["nginx", "-p", prefix, "-c", f"{prefix}/nginx.conf",
                    "-e", f"{prefix}/logs/error.log", "-g", "daemon off;"],
        # docker stop (make down, a daemon restart) quits nginx gracefully: SIGTERM is its
        # fast shutdown, which cuts the requests in flight.
        "stop_signal": "SIGQUIT",
        "volumes": {prefix: {"bind": prefix, "mode": "rw"},
                    mounts.certs_dir: {"bind": mounts.certs_dir, "mode": "ro"}},
    })


def api_spec(instance: str, image: str, inputs: str, mounts: Mounts, env: dict[str, str],
             listen: str, logs_dir: str, threads: int = 80) -> dict:
    """The API and git server: gunicorn in the foreground on `listen` (PAAS_API_BIND's
    host:port: loopback unless the operator says), one worker with threads (a build may run for
    minutes; per-app deploy locks live in that one process; long-lived requests are capped
    below `threads` by paas.server.limits)."""
    volumes = {mounts.home: {"bind": mounts.home, "mode": "rw"},
               mounts.docker_socket: {"bind": "/var/run/docker.sock", "mode": "rw"}}
    for path in mounts.files:
        volumes.setdefault(path, {"bind": path, "mode": "ro"})
    return with_spec_hash(_common(instance, "api", image, inputs) | {
        "command": ["gunicorn", "--bind", listen,
                    "--worker-class", "gthread", "--workers", "1", "--threads", str(threads),
                    "--timeout", "3600", "--graceful-timeout", "20",
                    "--error-logfile", f"{logs_dir}/api.log",
                    "--access-logfile", f"{logs_dir}/api-access.log",
                    "paas.server.wsgi:application()"],
        # The image's nginx runs `nginx -t`; the host's PAAS_NGINX names the host's binary.
        "environment": {**env, "PAAS_NGINX": "nginx", "PAAS_SUPERVISE": "1",
                        "DOCKER_HOST": "unix:///var/run/docker.sock"},
        "volumes": volumes,
        "working_dir": SRC,
    })


def _common(instance: str, role: str, image: str, inputs: str) -> dict:
    return {
        "image": image,
        "name": container_name(instance, role),
        "labels": labels(instance, role, inputs),
        "network_mode": "host",
        "pid_mode": "host",
        "restart_policy": {"Name": "unless-stopped"},
        "detach": True,
        # Bounded logs: the processes log to files under PAAS_HOME anyway.
        "log_config": {"Type": "json-file", "Config": {"max-size": "10m", "max-file": "2"}},
    }


def docker_socket(docker_host: str) -> str:
    """The host path of the daemon's socket (DOCKER_HOST=unix://..., else the default)."""
    match = re.fullmatch(r"unix://(/.+)", docker_host or "")
    return match.group(1) if match else "/var/run/docker.sock"
