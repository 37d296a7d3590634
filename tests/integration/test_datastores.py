"""Datastores on the real daemon: the images built on the stack, hardened servers, backups that
restore (Postgres and Redis), a server killed with -9 coming back, volumes an unprivileged app
user can write to."""
import os
import signal
import time
from types import SimpleNamespace

import pytest

from paas.adapters.docker_data import DockerData
from paas.adapters.docker_engine import DockerEngine
from paas.adapters.event_log import EventLog
from paas.adapters.sqlite_store import SqliteStore
from paas.bootstrap import wire
from paas.render import datastores as r
from paas.settings import Settings
from tests.fakes import FakeProbe, FakeProxy, FakeRepos
from tests.support import remove_docker_objects

quiet = lambda _: None  # noqa: E731


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    home = tmp_path_factory.mktemp("datastores")
    settings = Settings(home=home, instance="tdata1", network_pool="10.202.0.0/16",
                        network_size=26, drain_seconds=0)
    engine, data = DockerEngine(), DockerData()
    services = wire(settings, store=SqliteStore(settings.db_path), engine=engine,
                    repos=FakeRepos(home), proxy=FakeProxy(), probe=FakeProbe(),
                    events=EventLog(home / "events"), data=data)
    yield SimpleNamespace(s=services, engine=engine, data=data, settings=settings,
                          ds=services.datastores, backups=services.backups)
    remove_docker_objects(settings.instance)


def sql(world, name, query):
    ds = world.ds.get(name)
    code, out = world.data.exec_status(world.ds.container(ds), [
        "psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-U", "postgres",
        "-d", r.database_name(name), "-c", query], "postgres")
    assert code == 0, out
    return out.strip()


def redis(world, name, *argv):
    ds = world.ds.get(name)
    code, out = world.data.exec_status(world.ds.container(ds), ["redis-cli", *argv], "redis",
                                       r.exec_env("redis", ds.password))
    assert code == 0, out
    return out.strip()


@pytest.fixture(scope="module")
def pg(world):
    world.ds.create("postgres", "db", quiet)
    return world.ds.get("db")


def test_postgres_runs_hardened_with_tls_and_its_own_password(world, pg):
    attrs = world.engine.client.containers.get(world.ds.container(pg)).attrs
    host = attrs["HostConfig"]
    assert attrs["Config"]["User"] == "postgres" and host["CapDrop"] == ["ALL"]
    assert host["PortBindings"] in (None, {}) and host["Memory"] == 512 * 1024**2
    assert list(attrs["NetworkSettings"]["Networks"]) == [r.network_name("tdata1", "db")]
    assert attrs["Config"]["Labels"]["paas.instance"] == "tdata1"
    assert pg.version == "17" and pg.image == "paas/postgres:17"
    url = f"postgres://paas:{pg.password}@localhost:5432/db?sslmode=require"
    code, out = world.data.exec_status(world.ds.container(pg), [
        "psql", "-X", "-t", "-A", url, "-c", "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"],
        "postgres")
    assert (code, out.strip()) == (0, "t")
    wrong = url.replace(pg.password, "nope")
    assert world.data.exec_status(world.ds.container(pg), ["psql", wrong, "-c", "SELECT 1"],
                                  "postgres")[0] != 0


def test_a_postgres_backup_restores_the_dropped_rows(world, pg):
    sql(world, "db", "CREATE TABLE notes (id serial PRIMARY KEY, body text);"
                     "INSERT INTO notes (body) SELECT 'n' || g FROM generate_series(1, 500) g")
    made = world.backups.backup("db")
    assert made.path.stat().st_mode & 0o777 == 0o600 and made.size > 1000
    assert made.path.read_bytes()[:5] == b"PGDMP"
    sql(world, "db", "DROP TABLE notes")
    lines = []
    result = world.backups.restore("db", made.id, lines.append)
    assert sql(world, "db", "SELECT count(*) FROM notes") == "500"
    assert result["restored"] == made.id and result["replaced"].endswith("-pre-restore")
    assert [b.id for b in world.backups.list("db")][:2] == [result["replaced"], made.id]
    assert not list(made.path.parent.glob("*.partial"))


def test_a_postgres_server_killed_with_9_comes_back(world, pg):
    container = world.engine.client.containers.get(world.ds.container(pg))
    before = container.attrs["RestartCount"]
    top = container.top(ps_args="-o pid,args")
    postmaster = next(p for p in top["Processes"] if "postgres -D" in p[-1])
    os.kill(int(postmaster[0]), signal.SIGKILL)  # from the host, as an OOM killer or admin would
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        container.reload()
        if container.attrs["RestartCount"] > before and container.status == "running":
            break
        time.sleep(0.2)
    assert container.attrs["RestartCount"] > before
    world.ds.wait_ready(pg)
    assert sql(world, "db", "SELECT 1") == "1"


def test_a_redis_backup_restores_the_counter(world):
    world.ds.create("redis", "cache", quiet)
    assert redis(world, "cache", "INCRBY", "hits", "41") == "41"
    made = world.backups.backup("cache")
    assert made.path.read_bytes()[:5] == b"REDIS"
    redis(world, "cache", "FLUSHALL")
    world.backups.restore("cache", made.id, quiet)
    assert redis(world, "cache", "GET", "hits") == "41"


def test_destroy_takes_a_final_backup_and_removes_the_server(world):
    world.ds.create("redis", "gone", quiet)
    redis(world, "gone", "SET", "k", "v")
    lines = []
    final = world.ds.destroy("gone", "gone", False, "admin", lines.append, world.backups.final)
    assert final.endswith("-final")
    assert (world.settings.home / "backups" / "services" / "gone").iterdir()
    assert world.engine.inspect(r.container_name("tdata1", "gone")) is None
    assert world.s.store.get_datastore("gone") is None
    assert not world.engine.client.volumes.list(filters={"name": r.volume_name("tdata1", "gone")})


def test_a_new_volume_is_writable_by_the_unprivileged_app_user(world):
    from paas.domain.models import Release
    from paas.render.container import ImageFacts
    release = Release(app="vol", version=1, image=world.settings.stack_image, config={},
                      processes={}, commit="", description="", status="pending",
                      created_by="t", created_at=0, mounts={"up": "/data"})
    world.s.storage.ensure(release, ImageFacts())
    out = world.engine.client.containers.run(
        world.settings.stack_image, ["sh", "-c", "echo hi > /data/f && id -u && stat -c %u /data"],
        user="1000:1000", remove=True, network_mode="none", cap_drop=["ALL"],
        labels={"paas.instance": "tdata1"},
        volumes={"paas-tdata1-vol-vol-up": {"bind": "/data", "mode": "rw"}})
    assert out.decode().split() == ["1000", "1000"]
