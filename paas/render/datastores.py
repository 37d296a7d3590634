"""Datastores (Postgres, Redis; `paas services:*` to users) as Docker objects: the image built
on the stack, the hardened server container, the commands that back up and restore. Pure.

The image is Debian's own `postgresql` / `redis-server` installed on the stack image, the way
the stack is built; its version is pinned per datastore by tag (`paas/postgres:17`), so a newer
stack never swaps a running server's major version.
"""
from __future__ import annotations

from dataclasses import dataclass

DATA_DIR = "/var/lib/paas"  # in the image, owned by the server's user: a new volume inherits it
RESTORE_FILE = "/tmp/paas-restore"


@dataclass(frozen=True)
class Kind:
    name: str
    packages: tuple[str, ...]
    user: str          # uid:gid of the server's user in the image (Debian's package makes it)
    port: int
    env_var: str       # what a link sets by default
    memory: str
    version_cmd: str   # prints the version the image holds
    backup_ext: str


POSTGRES = Kind("postgres", ("postgresql", "openssl"), "postgres", 5432, "DATABASE_URL", "512m",
                "ls /usr/lib/postgresql | sort -n | tail -n 1", "dump")
REDIS = Kind("redis", ("redis-server",), "redis", 6379, "REDIS_URL", "256m",
             "redis-server --version | sed -E 's/.* v=([0-9]+\\.[0-9]+).*/\\1/'", "rdb")
KINDS = {k.name: k for k in (POSTGRES, REDIS)}

POSTGRES_ENTRY = r"""#!/bin/sh
# The server's first start makes the cluster (its own TLS certificate, the app's role and
# database); every start then runs postgres in the foreground.
set -eu
PGDATA=/var/lib/paas/pg
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  umask 077
  head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > /tmp/pw
  "$BIN/initdb" -D "$PGDATA" -U postgres --auth-local=peer --auth-host=scram-sha-256 \
    --pwfile=/tmp/pw -E UTF8 --locale=C.UTF-8 >/dev/null
  rm -f /tmp/pw
  openssl req -new -x509 -days 3650 -nodes -subj "/CN=$(hostname)" \
    -keyout "$PGDATA/server.key" -out "$PGDATA/server.crt" 2>/dev/null
  cat >> "$PGDATA/postgresql.conf" <<EOF
listen_addresses = '*'
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
unix_socket_directories = '/var/run/postgresql'
EOF
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  # A private socket while it is set up: nothing sees this server as ready.
  "$BIN/pg_ctl" -D "$PGDATA" -o "-c listen_addresses='' -c unix_socket_directories=/tmp" \
    -w start >/dev/null
  "$BIN/psql" -q -h /tmp -v ON_ERROR_STOP=1 -U postgres -d postgres \
    -v pw="$PAAS_DB_PASSWORD" -v db="$PAAS_DB_NAME" <<'EOF'
CREATE ROLE paas LOGIN PASSWORD :'pw';
CREATE DATABASE :"db" OWNER paas;
EOF
  "$BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec "$BIN/postgres" -D "$PGDATA"
"""

REDIS_ENTRY = r"""#!/bin/sh
# RDB snapshots only: a restore is one file, and no append-only log can take precedence over it.
set -eu
exec redis-server --bind 0.0.0.0 --port 6379 --dir /var/lib/paas --dbfilename dump.rdb \
  --appendonly no --save "10 1" --requirepass "$PAAS_DB_PASSWORD"
"""


def image_repo(kind: str) -> str:
    return f"paas/{kind}"


def build_tag(kind: str) -> str:
    """What a fresh build is tagged; `pinned_ref` names it by its version afterwards."""
    return f"{image_repo(kind)}:build"


def pinned_ref(kind: str, version: str) -> str:
    return f"{image_repo(kind)}:{version}"


def build_context(kind: str, stack_image: str) -> dict[str, str]:
    """The files of the image's build context: its Dockerfile and the server's entry script."""
    k = KINDS[kind]
    entry = POSTGRES_ENTRY if kind == "postgres" else REDIS_ENTRY
    dockerfile = "\n".join([
        f"FROM {stack_image}",
        # No daemon starts during the install, and Debian's own cluster is not made.
        "RUN printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d \\",
        " && mkdir -p /etc/postgresql-common \\",
        " && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf \\",
        " && apt-get -q update \\",
        " && DEBIAN_FRONTEND=noninteractive apt-get -q install -y --no-install-recommends "
        + " ".join(k.packages) + " \\",
        " && apt-get clean && rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d",
        f"RUN install -d -m 0700 -o {k.user} -g {k.user} {DATA_DIR}",
        "COPY entry.sh /usr/local/bin/paas-datastore",
        "RUN chmod 0755 /usr/local/bin/paas-datastore",
        f"USER {k.user}",
        f"EXPOSE {k.port}",
        'CMD ["/usr/local/bin/paas-datastore"]',
        "",
    ])
    return {"Dockerfile": dockerfile, "entry.sh": entry}


def container_name(instance: str, name: str) -> str:
    """Also its host name on the networks it joins: what DATABASE_URL names."""
    return f"paas-{instance}-db-{name}"


def network_name(instance: str, name: str) -> str:
    return f"paas-{instance}-db-{name}"


def volume_name(instance: str, name: str) -> str:
    return f"paas-{instance}-db-{name}-data"


def labels(instance: str, name: str, kind: str, **extra: str) -> dict[str, str]:
    return {"paas.instance": instance, "paas.kind": "datastore", "paas.datastore": name,
            "paas.datastore-kind": kind, **{f"paas.{k}": v for k, v in extra.items()}}


def database_name(name: str) -> str:
    return name.replace("-", "_")


def server_spec(*, instance: str, name: str, kind: str, image: str, password: str) -> dict:
    """Not root (the package's own user), no capabilities, no privilege gain, no host port,
    a memory limit, its data in a labelled volume, restarted by Docker (with its backoff)."""
    k = KINDS[kind]
    return {
        "image": image,
        "name": container_name(instance, name),
        "hostname": container_name(instance, name),
        "environment": {"PAAS_DB_PASSWORD": password, "PAAS_DB_NAME": database_name(name)},
        "labels": labels(instance, name, kind),
        "user": k.user,
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "init": True,
        "detach": True,
        "network": network_name(instance, name),
        "volumes": {volume_name(instance, name): {"bind": DATA_DIR, "mode": "rw"}},
        "mem_limit": k.memory,
        "memswap_limit": k.memory,
        "restart_policy": {"Name": "unless-stopped"},
        "log_config": {"type": "json-file", "config": {"max-size": "10m", "max-file": "3"}},
    }


def url(instance: str, name: str, kind: str, password: str) -> str:
    host = container_name(instance, name)
    if kind == "postgres":
        return f"postgres://paas:{password}@{host}:5432/{database_name(name)}"
    return f"redis://:{password}@{host}:6379/0"


def exec_env(kind: str, password: str) -> dict[str, str]:
    """redis-cli reads the password from its environment, never from its argv (ps shows it)."""
    return {"REDISCLI_AUTH": password} if kind == "redis" else {}


def backup_argv(kind: str, name: str) -> list[str]:
    """Run in the server's container as its user; the backup goes to stdout."""
    if kind == "postgres":
        return ["pg_dump", "-Fc", "-U", "postgres", "-d", database_name(name)]
    return ["redis-cli", "--rdb", "-"]


def restore_argv(kind: str, name: str) -> list[str]:
    """Postgres only (Redis restores by replacing its RDB file with the server stopped)."""
    return ["pg_restore", "--clean", "--if-exists", "--no-owner", "--role=paas", "--exit-on-error",
            "--single-transaction", "-U", "postgres", "-d", database_name(name), RESTORE_FILE]


def ready_argv(kind: str) -> list[str]:
    if kind == "postgres":
        return ["pg_isready", "-q", "-h", "/var/run/postgresql", "-U", "postgres"]
    return ["redis-cli", "ping"]


def client_spec(*, instance: str, name: str, kind: str, image: str, password: str,
                nonce: str) -> dict:
    """`services:connect`: a one-off psql / redis-cli in the service's own image, on the
    service's network only (no host port, no way out), as the app would connect: the app's
    role over TLS for Postgres. The password travels in the environment, never in argv."""
    k = KINDS[kind]
    host = container_name(instance, name)
    if kind == "postgres":
        argv = ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-h", host, "-U", "paas",
                "-d", database_name(name)]
        env = {"PGPASSWORD": password, "PGSSLMODE": "require"}
    else:
        argv = ["redis-cli", "-h", host, "-p", str(k.port)]
        env = {"REDISCLI_AUTH": password}
    return {
        "image": image,
        "name": f"{host}-connect-{nonce}",
        "command": argv,
        "environment": env,
        "labels": labels(instance, name, kind, role="connect"),
        "user": k.user,
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "network": network_name(instance, name),
        "mem_limit": "128m",
        "stdin_open": True,
        "stdin_once": True,
    }


def connect_argv(kind: str, name: str) -> list[str]:
    if kind == "postgres":
        return ["psql", "-U", "postgres", "-d", database_name(name)]
    return ["redis-cli"]
