"""Platform settings, read once from the environment (DESIGN.md, "Settings").

Everything else receives a `Settings` object; nothing below reads `os.environ` itself.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from paas.domain.names import validate_domain
from paas.domain.networks import DEFAULT_POOL, DEFAULT_SIZE, parse_pool
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
    def api_url(self) -> str:
        return f"http://{self.bind_host}:{self.api_port}"

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
            scheduler=env.get("PAAS_SCHEDULER") or "docker",
            swarm_addr=env.get("PAAS_SWARM_ADDR") or "",
            registry_port=int(env.get("PAAS_REGISTRY_PORT") or 5000),
        )
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
            "PAAS_BUILD_TIMEOUT": str(self.build_timeout), "PAAS_BUILD_MEMORY": self.build_memory,
            "PAAS_NETWORK_POOL": self.network_pool, "PAAS_NETWORK_SIZE": str(self.network_size),
            "PAAS_HTTPS_PORT": str(self.https_port), "PAAS_ACME_DIRECTORY": self.acme_directory,
            "PAAS_ACME_EMAIL": self.acme_email, "PAAS_ACME_CA_BUNDLE": self.acme_ca_bundle,
            "PAAS_ACME_RESOLVER": self.acme_resolver,
            "PAAS_ACME_HTTP_PORT": str(self.acme_http_port), "PAAS_API_HOST": self.api_host,
            "PAAS_SCHEDULER": self.scheduler, "PAAS_SWARM_ADDR": self.swarm_addr,
            "PAAS_REGISTRY_PORT": str(self.registry_port),
        }
