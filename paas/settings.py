"""Platform settings, read once from the environment (DESIGN.md, "Settings").

Everything else receives a `Settings` object; nothing below reads `os.environ` itself.
"""
from __future__ import annotations

import hashlib
import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path

from paas.domain.names import validate_domain
from paas.domain.networks import DEFAULT_POOL, DEFAULT_SIZE, parse_pool
from paas.domain.resources import DEFAULT_MEMORY
from paas.domain.resources import validate as validate_resource
from paas.errors import InvalidInput

SCHEDULERS = ("docker", "swarm")
LETSENCRYPT = "https://acme-v02.api.letsencrypt.org/directory"
CA_BUNDLE_CANDIDATES = (
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu
    "/etc/pki/tls/certs/ca-bundle.crt",  # Fedora, RHEL
    "/etc/ssl/cert.pem",  # Alpine, macOS
)


def _default_ca_bundle() -> str:
    return next((p for p in CA_BUNDLE_CANDIDATES if os.path.isfile(p)), "")


def _instance_for(home: Path) -> str:
    # Derived from the state directory so two platforms on one daemon never share a label.
    return "p" + hashlib.sha1(str(home).encode()).hexdigest()[:10]


@dataclass(frozen=True)
class Settings:
    home: Path
    api_port: int = 7070
    http_port: int = 8080
    domain: str = "localhost"
    stack_image: str = "paas/stack:trixie"
    instance: str = ""
    ca_bundle: str = field(default_factory=_default_ca_bundle)
    nginx_bin: str = "nginx"
    bind_host: str = "127.0.0.1"
    keep_releases: int = 10
    drain_seconds: float = 10.0
    standby_seconds: float = 600.0  # replaced web containers kept paused for a rollback; 0: off
    # Stopped containers (retired, crashed, a failed deploy's) are kept this long in Docker,
    # then removed with their last lines copied to the log archive (issue 13).
    keep_stopped_seconds: float = 3600.0
    build_timeout: float = 20 * 60  # seconds
    build_memory: str = "2g"
    network_pool: str = DEFAULT_POOL  # per-app networks get subnets from here
    network_size: int = DEFAULT_SIZE
    buildpacks_dir: Path = Path(__file__).resolve().parent.parent / "buildpacks"
    https_port: int = 443
    acme_directory: str = LETSENCRYPT  # empty: no ACME, manual certificates only
    acme_email: str = ""
    acme_ca_bundle: str = ""  # a CA file trusted for the ACME server's own HTTPS
    acme_http_port: int = 80  # where the ACME server validates HTTP-01 (the self-check too)
    acme_resolver: str = ""  # "host:port" of the DNS server the self-check asks; "": the system's
    api_host: str = ""  # the host name of the dashboard, API and git through the router
    api_bind: str = "127.0.0.1"  # the address the API, git and dashboard listen on
    max_push: int = 500 * 1024 * 1024  # bytes a push may send
    api_streams: int = 64  # long-lived requests (log tails, streams, pushes) served at once
    firewall: bool = True  # PAAS_FIREWALL: the iptables chain that walls containers off the host
    default_memory: str = DEFAULT_MEMORY  # PAAS_DEFAULT_MEMORY: app containers without a limit
    # The API and router run as Docker containers with a restart policy (paas.render.supervise);
    # off: as processes on the host, started by `control up` (development, most tests).
    supervise: bool = False
    backup_hours: float = 24.0  # every datastore is backed up this often (0: never)
    backup_keep: int = 7  # scheduled backups kept per datastore
    scheduler: str = "docker"  # "docker": one host; "swarm": the Docker Swarm the engine manages
    swarm_addr: str = ""  # the address other swarm nodes reach this host at
    registry_port: int = 5000  # the swarm's image registry, at swarm_addr

    def __post_init__(self) -> None:
        object.__setattr__(self, "home", Path(self.home).resolve())
        if not self.instance:
            object.__setattr__(self, "instance", _instance_for(self.home))

    @property
    def db_path(self) -> Path:
        return self.home / "paas.db"

    @property
    def repos_dir(self) -> Path:
        return self.home / "repos"

    @property
    def nginx_dir(self) -> Path:
        return self.home / "nginx"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def token_file(self) -> Path:
        return self.home / "admin-token"

    @property
    def certs_dir(self) -> Path:
        return self.home / "certs"

    @property
    def api_local(self) -> str:
        """host:port where this host reaches the API (the router's upstream, health checks)."""
        host = self.api_bind
        if host in ("0.0.0.0", "::"):  # every address: loopback is one of them
            host = "127.0.0.1" if host == "0.0.0.0" else "::1"
        return f"[{host}]:{self.api_port}" if ":" in host else f"{host}:{self.api_port}"

    @property
    def api_listen(self) -> str:
        """gunicorn's --bind for PAAS_API_BIND."""
        bind = f"[{self.api_bind}]" if ":" in self.api_bind else self.api_bind
        return f"{bind}:{self.api_port}"

    @property
    def api_threads(self) -> int:
        """The API's threads: the long-lived requests' cap plus some kept for short ones."""
        return self.api_streams + 16

    @property
    def api_url(self) -> str:
        return f"http://{self.api_local}"

    @property
    def public_api_url(self) -> str:
        """Where users reach the dashboard, API and git: https://PAAS_API_HOST through the
        router when it is set, else the API's own address."""
        if not self.api_host:
            return self.api_url
        port = "" if self.https_port == 443 else f":{self.https_port}"
        return f"https://{self.api_host}{port}"

    @property
    def router_url(self) -> str:
        return f"http://{self.bind_host}:{self.http_port}"

    def app_url(self, app: str) -> str:
        port = "" if self.http_port == 80 else f":{self.http_port}"
        return f"http://{app}.{self.domain}{port}/"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        """Raises InvalidInput for a setting that cannot work (checked now, not at first use)."""
        env = dict(os.environ if env is None else env)
        default_home = "/var/lib/paas" if os.geteuid() == 0 else str(Path.home() / ".paas")
        settings = cls(
            home=Path(env.get("PAAS_HOME") or default_home),
            api_port=int(env.get("PAAS_API_PORT") or 7070),
            http_port=int(env.get("PAAS_HTTP_PORT") or 8080),
            domain=env.get("PAAS_DOMAIN") or "localhost",
            stack_image=env.get("PAAS_STACK_IMAGE") or "paas/stack:trixie",
            instance=env.get("PAAS_INSTANCE") or "",
            ca_bundle=env.get("PAAS_CA_BUNDLE", _default_ca_bundle()),
            nginx_bin=env.get("PAAS_NGINX") or "nginx",
            keep_releases=int(env.get("PAAS_KEEP_RELEASES") or 10),
            drain_seconds=float(env.get("PAAS_DRAIN_SECONDS") or 10),
            standby_seconds=float(env.get("PAAS_STANDBY_SECONDS") or 600),
            keep_stopped_seconds=float(env.get("PAAS_KEEP_STOPPED_SECONDS") or 3600),
            build_timeout=float(env.get("PAAS_BUILD_TIMEOUT") or 20 * 60),
            build_memory=env.get("PAAS_BUILD_MEMORY") or "2g",
            network_pool=env.get("PAAS_NETWORK_POOL") or DEFAULT_POOL,
            network_size=int(env.get("PAAS_NETWORK_SIZE") or DEFAULT_SIZE),
            https_port=int(env.get("PAAS_HTTPS_PORT") or 443),
            acme_directory=env.get("PAAS_ACME_DIRECTORY", LETSENCRYPT),
            acme_email=env.get("PAAS_ACME_EMAIL") or "",
            acme_ca_bundle=env.get("PAAS_ACME_CA_BUNDLE") or "",
            acme_http_port=int(env.get("PAAS_ACME_HTTP_PORT") or 80),
            acme_resolver=env.get("PAAS_ACME_RESOLVER") or "",
            api_host=(env.get("PAAS_API_HOST") or "").lower().rstrip("."),
            api_bind=_ip_setting("PAAS_API_BIND", env.get("PAAS_API_BIND") or "127.0.0.1"),
            max_push=_bytes_setting("PAAS_MAX_PUSH", env.get("PAAS_MAX_PUSH") or "500m"),
            api_streams=_int_setting("PAAS_API_STREAMS", env.get("PAAS_API_STREAMS") or "64",
                                     1, 1000),
            firewall=(env.get("PAAS_FIREWALL") or "on").lower() not in ("0", "off", "false", "no"),
            default_memory=(env.get("PAAS_DEFAULT_MEMORY") or DEFAULT_MEMORY).lower(),
            supervise=(env.get("PAAS_SUPERVISE") or "1") != "0",
            **({"buildpacks_dir": Path(env["PAAS_BUILDPACKS_DIR"])}
               if env.get("PAAS_BUILDPACKS_DIR") else {}),
            backup_hours=float(env.get("PAAS_BACKUP_HOURS") or 24),
            backup_keep=int(env.get("PAAS_BACKUP_KEEP") or 7),
            scheduler=env.get("PAAS_SCHEDULER") or "docker",
            # An IP: Swarm advertises it, and the registry's certificate and folder name it.
            swarm_addr=_ip_setting("PAAS_SWARM_ADDR", env["PAAS_SWARM_ADDR"])
            if env.get("PAAS_SWARM_ADDR") else "",
            registry_port=_int_setting("PAAS_REGISTRY_PORT", env.get("PAAS_REGISTRY_PORT") or "5000",
                                       1, 65535),
        )
        if settings.backup_hours < 0 or settings.backup_keep < 1:
            raise InvalidInput("PAAS_BACKUP_HOURS must be 0 (never) or more, PAAS_BACKUP_KEEP 1 or more")
        if settings.keep_stopped_seconds < 0:
            raise InvalidInput("PAAS_KEEP_STOPPED_SECONDS must be 0 or more")
        if settings.scheduler not in SCHEDULERS:
            raise InvalidInput(f"PAAS_SCHEDULER={settings.scheduler!r}: use one of "
                               f"{', '.join(SCHEDULERS)}")
        if settings.api_host:
            try:
                validate_domain(settings.api_host)
            except InvalidInput as exc:
                raise InvalidInput(f"PAAS_API_HOST: {exc.message}") from None
        parse_pool(settings.network_pool, settings.network_size)
        try:
            validate_resource("memory", settings.default_memory)
        except InvalidInput as exc:
            raise InvalidInput(f"PAAS_DEFAULT_MEMORY: {exc.message}") from None
        try:
            validate_resource("memory", settings.build_memory)
        except InvalidInput as exc:
            raise InvalidInput(f"PAAS_BUILD_MEMORY: {exc.message}") from None
        return settings

    def to_env(self) -> dict[str, str]:
        """The settings as the environment `from_env` reads back (for the server it starts)."""
        return {
            "PAAS_HOME": str(self.home), "PAAS_API_PORT": str(self.api_port),
            "PAAS_HTTP_PORT": str(self.http_port), "PAAS_DOMAIN": self.domain,
            "PAAS_STACK_IMAGE": self.stack_image, "PAAS_INSTANCE": self.instance,
            "PAAS_CA_BUNDLE": self.ca_bundle, "PAAS_NGINX": self.nginx_bin,
            "PAAS_KEEP_RELEASES": str(self.keep_releases),
            "PAAS_DRAIN_SECONDS": str(self.drain_seconds),
            "PAAS_STANDBY_SECONDS": str(self.standby_seconds),
            "PAAS_KEEP_STOPPED_SECONDS": str(self.keep_stopped_seconds),
            "PAAS_BUILD_TIMEOUT": str(self.build_timeout), "PAAS_BUILD_MEMORY": self.build_memory,
            "PAAS_NETWORK_POOL": self.network_pool, "PAAS_NETWORK_SIZE": str(self.network_size),
            "PAAS_HTTPS_PORT": str(self.https_port), "PAAS_ACME_DIRECTORY": self.acme_directory,
            "PAAS_ACME_EMAIL": self.acme_email, "PAAS_ACME_CA_BUNDLE": self.acme_ca_bundle,
            "PAAS_ACME_RESOLVER": self.acme_resolver,
            "PAAS_ACME_HTTP_PORT": str(self.acme_http_port), "PAAS_API_HOST": self.api_host,
            "PAAS_API_BIND": self.api_bind, "PAAS_MAX_PUSH": str(self.max_push),
            "PAAS_API_STREAMS": str(self.api_streams),
            "PAAS_FIREWALL": "on" if self.firewall else "off",
            "PAAS_DEFAULT_MEMORY": self.default_memory,
            "PAAS_SUPERVISE": "1" if self.supervise else "0",
            "PAAS_BUILDPACKS_DIR": str(self.buildpacks_dir),
            "PAAS_BACKUP_HOURS": str(self.backup_hours), "PAAS_BACKUP_KEEP": str(self.backup_keep),
            "PAAS_SCHEDULER": self.scheduler, "PAAS_SWARM_ADDR": self.swarm_addr,
            "PAAS_REGISTRY_PORT": str(self.registry_port),
        }


def _ip_setting(name: str, value: str) -> str:
    try:
        return str(ipaddress.ip_address(value.strip("[]")))
    except ValueError:
        raise InvalidInput(f"{name}: {value[:60]!r} is not an IP address (e.g. 127.0.0.1, "
                           "0.0.0.0 for every address)") from None


_UNITS = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}


def _bytes_setting(name: str, value: str) -> int:
    """A size in bytes, with an optional k, m or g (powers of 1024)."""
    text = value.strip().lower().removesuffix("b")
    number, unit = (text[:-1], text[-1]) if text[-1:] in "kmg" else (text, "")
    if not (number.isascii() and number.isdigit()) or int(number) == 0:
        raise InvalidInput(f"{name}: {value[:40]!r} is not a size (e.g. 500m, 2g, 1048576)")
    return int(number) * _UNITS[unit]


def _int_setting(name: str, value: str, low: int, high: int) -> int:
    if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
        raise InvalidInput(f"{name}: {value[:40]!r} is not a number from {low} to {high}")
    return int(value)
