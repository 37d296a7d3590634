"""The platform's records: apps, builds and releases. Plain data, no I/O."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class App:
    name: str
    created_at: float


@dataclass(frozen=True)
class Build:
    id: int
    app: str
    status: str  # pending, succeeded, failed
    commit: str
    image: str | None
    buildpack: str | None
    started_at: float
    finished_at: float | None
    output: str = ""


@dataclass(frozen=True)
class Release:
    app: str
    version: int
    image: str
    config: dict[str, str]
    processes: dict[str, str]
    commit: str
    description: str
    status: str  # pending, succeeded, failed
    created_by: str
    created_at: float
    build_id: int | None = None
    healthchecks: dict = field(default_factory=dict)  # app.json checks, as domain.healthchecks.to_json
    mounts: dict[str, str] = field(default_factory=dict)  # volume name -> path in every process

    @property
    def name(self) -> str:
        return f"v{self.version}"


@dataclass(frozen=True)
class Datastore:
    """A Postgres or Redis server (`paas services:*`); its password never leaves the platform
    except in the URL a link sets."""
    name: str
    kind: str  # postgres, redis
    version: str  # the server's major version, pinned by the image tag
    image: str
    password: str = field(repr=False)
    created_at: float = 0.0


@dataclass(frozen=True)
class Link:
    datastore: str
    app: str
    var: str  # the config var it set: DATABASE_URL, REDIS_URL or the one asked for
