"""Datastores and their backups against fakes: create, link (a release), unlink, destroy,
backups (0600, never partial), restore, the schedule; bad input changes nothing."""
import os
import stat
from types import SimpleNamespace

import pytest

from paas.domain.models import Link
from paas.errors import Conflict, InvalidInput, NotFound
from paas.render import datastores as r
from paas.services.datastores import DatastoreFailed, credentials_visible
from tests.fakes import fake_services
from tests.fakes_data import FakeData, NamedEngine

SHA1 = "1" * 40
quiet = lambda _: None  # noqa: E731


@pytest.fixture
def world(tmp_path):
    engine = NamedEngine()
    data = FakeData(engine)
    services = fake_services(tmp_path / "home", engine=engine, data=data)
    services.apps.create("hello")
    services.deployer.deploy_push("hello", SHA1, quiet)
    return SimpleNamespace(s=services, engine=engine, data=data, store=services.store,
                           ds=services.datastores, backups=services.backups,
                           home=tmp_path / "home")


def test_create_builds_the_image_once_and_pins_its_version(world):
    lines = []
    made = world.ds.create("postgres", "db", lines.append)
    assert (made.kind, made.version, made.image) == ("postgres", "17", "paas/postgres:17")
    assert world.data.built == ["paas/postgres:build"]
    assert lines[0] == "-----> Building the postgres image on paas/stack:trixie"
    assert lines[-1] == "-----> postgres 17 service db is ready"
    world.ds.create("postgres", "db2", quiet)
    assert world.data.built == ["paas/postgres:build"]
    [server] = [c for c in world.engine.containers.values() if c.name == "paas-t1-db-db"]
    assert server.spec == r.server_spec(instance="t1", name="db", kind="postgres",
                                        image="paas/postgres:17", password=made.password)
    assert world.engine.networks["paas-t1-db-db"]["labels"]["internal"] == "true"
    assert "paas-t1-db-db-data" in world.data.volumes
    assert len(made.password) == 48


@pytest.mark.parametrize("kind,name,error,message", [
    ("mysql", "db", InvalidInput, "unknown service kind 'mysql': use one of postgres, redis"),
    ("postgres", "Bad_Name", InvalidInput, "invalid service name 'Bad_Name'"),
    ("postgres", "", InvalidInput, "invalid service name"),
])
def test_bad_creates_change_nothing(world, kind, name, error, message):
    with pytest.raises(error, match=message):
        world.ds.create(kind, name, quiet)
    assert world.store.list_datastores() == [] and world.data.built == []


def test_a_name_in_use_is_refused(world):
    world.ds.create("redis", "cache", quiet)
    with pytest.raises(Conflict, match="a service named 'cache' already exists"):
        world.ds.create("postgres", "cache", quiet)
    assert [d.kind for d in world.store.list_datastores()] == ["redis"]


@pytest.fixture
def fast_ready(monkeypatch):
    from paas.services import datastores
    monkeypatch.setattr(datastores, "READY_TIMEOUT", 0.05)


def test_a_server_that_never_gets_ready_is_removed(world, monkeypatch, fast_ready):
    monkeypatch.setattr(world.data, "exec_status", lambda *a, **k: (1, "not yet"))
    with pytest.raises(DatastoreFailed, match="did not become ready"):
        world.ds.create("redis", "cache", quiet)
    assert world.store.list_datastores() == []
    assert not [c for c in world.engine.containers.values() if c.name == "paas-t1-db-cache"]
    assert "paas-t1-db-cache-data" not in world.data.volumes


def test_link_sets_the_url_as_a_release_and_joins_the_app_network_only(world):
    db = world.ds.create("postgres", "db", quiet)
    link, release = world.ds.link("db", "hello", None, "admin", quiet)
    assert link == Link("db", "hello", "DATABASE_URL")
    url = f"postgres://paas:{db.password}@paas-t1-db-db:5432/db"
    assert release.config["DATABASE_URL"] == url and release.description == \
        "Set DATABASE_URL config vars"
    assert world.data.connections == {("paas-t1-hello", "paas-t1-db-db")}
    second, _ = world.ds.link(world.ds.create("postgres", "reports", quiet).name, "hello", None,
                              "admin", quiet)
    assert second.var == "REPORTS_DATABASE_URL"
    third, _ = world.ds.link(world.ds.create("redis", "cache", quiet).name, "hello", "CACHE",
                             "admin", quiet)
    assert third.var == "CACHE"
    assert world.store.get_config("hello")["CACHE"].startswith("redis://:")


def test_bad_links_change_nothing(world):
    world.ds.create("postgres", "db", quiet)
    before = world.store.current_release("hello").version
    with pytest.raises(NotFound, match="no such app: ghost"):
        world.ds.link("db", "ghost", None, "admin", quiet)
    with pytest.raises(NotFound, match="no such service: nope"):
        world.ds.link("nope", "hello", None, "admin", quiet)
    with pytest.raises(InvalidInput, match="invalid variable name"):
        world.ds.link("db", "hello", "lower", "admin", quiet)
    world.s.releases.change_config("hello", {"TAKEN": "1"}, [], "admin", quiet)
    with pytest.raises(Conflict, match="hello already has TAKEN"):
        world.ds.link("db", "hello", "TAKEN", "admin", quiet)
    assert world.store.list_links() == [] and world.data.connections == set()
    assert world.store.current_release("hello").version == before + 1
    world.ds.link("db", "hello", None, "admin", quiet)
    with pytest.raises(Conflict, match="db is already linked to hello"):
        world.ds.link("db", "hello", "OTHER", "admin", quiet)


def test_a_failed_link_release_undoes_the_link(world):
    world.ds.create("postgres", "db", quiet)
    world.engine.crash_processes.add("web")
    with pytest.raises(Exception, match="crashed on boot"):
        world.ds.link("db", "hello", None, "admin", quiet)
    assert world.store.list_links() == [] and world.data.connections == set()
    assert "DATABASE_URL" not in world.store.get_config("hello")


def test_unlink_unsets_the_var_in_a_release_and_leaves_the_network(world):
    world.ds.create("postgres", "db", quiet)
    world.ds.link("db", "hello", None, "admin", quiet)
    release = world.ds.unlink("db", "hello", "admin", quiet)
    assert "DATABASE_URL" not in release.config and world.data.connections == set()
    with pytest.raises(NotFound, match="db is not linked to hello"):
        world.ds.unlink("db", "hello", "admin", quiet)
    rolled = world.s.releases.rollback("hello", None, "admin", quiet)
    assert "DATABASE_URL" in rolled.config  # it rolls back like any config change


def test_destroy_refuses_while_linked_unless_unlink_and_keeps_a_final_backup(world):
    world.ds.create("postgres", "db", quiet)
    world.ds.link("db", "hello", None, "admin", quiet)
    with pytest.raises(InvalidInput, match="confirm with --confirm db"):
        world.ds.destroy("db", "hello", False, "admin", quiet, world.backups.final)
    with pytest.raises(Conflict, match="db is linked to hello: unlink it first, or destroy with --unlink"):
        world.ds.destroy("db", "db", False, "admin", quiet, world.backups.final)
    assert world.store.get_datastore("db") is not None
    final = world.ds.destroy("db", "db", True, "admin", quiet, world.backups.final)
    assert final.endswith("-final")
    assert world.store.get_datastore("db") is None and world.store.list_links() == []
    assert "DATABASE_URL" not in world.store.get_config("hello")
    assert "paas-t1-db-db-data" not in world.data.volumes
    assert "paas-t1-db-db" not in world.engine.networks
    assert [p.name for p in (world.home / "backups" / "services" / "db").iterdir()] == [f"{final}.dump"]


def test_destroying_an_app_unlinks_but_never_destroys_a_datastore(world):
    world.ds.create("postgres", "db", quiet)
    world.ds.link("db", "hello", None, "admin", quiet)
    world.s.apps.destroy("hello")
    assert world.store.get_datastore("db") is not None and world.store.list_links() == []
    assert world.data.connections == set()


def test_credentials_only_for_tokens_allowed_on_a_linked_app(world):
    world.ds.create("redis", "cache", quiet)
    world.ds.link("cache", "hello", None, "admin", quiet)
    links = world.store.list_links(datastore="cache")
    assert credentials_visible(None, links) and credentials_visible({"hello"}, links)
    assert not credentials_visible({"other"}, links) and not credentials_visible(set(), links)
    assert world.ds.info("cache", {"other"}).url is None
    info = world.ds.info("cache", {"hello"})
    assert info.url.startswith("redis://:") and info.state == "running" and info.size_bytes == 4096


def test_backups_are_0600_listed_newest_first_and_restore_says_what_it_replaced(world):
    world.ds.create("postgres", "db", quiet)
    first = world.backups.backup("db")
    folder = world.home / "backups" / "services" / "db"
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(first.path).st_mode) == 0o600
    assert first.path.read_bytes() == b"PGDMP fake dump" and first.reason == "manual"
    lines = []
    result = world.backups.restore("db", first.id, lines.append)
    assert result["restored"] == first.id and result["replaced"].endswith("-pre-restore")
    assert [b.id for b in world.backups.list("db")] == [result["replaced"], first.id]
    [(container, path, data, owner)] = world.data.put
    assert (container, path, data, owner) == ("paas-t1-db-db", r.RESTORE_FILE, b"PGDMP fake dump",
                                              "101:103")
    assert world.data.execs[-1][1] == ["rm", "-f", r.RESTORE_FILE]
    assert lines == [f"-----> Backed up the current data of db as {result['replaced']}",
                     f"-----> Restoring {first.id} into db"]


def test_a_failed_backup_leaves_no_file(world):
    world.ds.create("postgres", "db", quiet)
    world.data.backup_status = 1
    with pytest.raises(DatastoreFailed, match="backup of db failed"):
        world.backups.backup("db")
    assert list((world.home / "backups" / "services" / "db").iterdir()) == []


def test_restoring_what_is_not_there(world):
    world.ds.create("postgres", "db", quiet)
    with pytest.raises(NotFound, match="db has no backup 20200101T000000.000Z-manual"):
        world.backups.restore("db", "20200101T000000.000Z-manual", quiet)
    with pytest.raises(InvalidInput, match="invalid backup id '../../paas.db'"):
        world.backups.restore("db", "../../paas.db", quiet)
    with pytest.raises(NotFound, match="no such service: nope"):
        world.backups.restore("nope", "20200101T000000.000Z-manual", quiet)
    assert world.backups.list("db") == [] and world.data.put == []


def test_redis_restores_by_replacing_its_file_with_the_server_stopped(world):
    world.ds.create("redis", "cache", quiet)
    world.data.backup_bytes = b"REDIS0012 fake"
    made = world.backups.backup("cache")
    assert made.path.suffix == ".rdb"
    world.backups.restore("cache", made.id, quiet)
    assert world.data.put[-1][1] == "/var/lib/paas/dump.rdb"
    assert world.engine.inspect("paas-t1-db-cache").status == "running"
    dump = next(e for e in world.data.execs if e[1][:2] == ["redis-cli", "--rdb"])
    assert dump[3] == {"REDISCLI_AUTH": world.store.get_datastore("cache").password}


def test_the_schedule_backs_up_what_is_due_and_keeps_the_newest(world, monkeypatch):
    world.ds.create("redis", "cache", quiet)
    created = world.store.get_datastore("cache").created_at
    assert world.backups.due(created + 3600) == []
    assert world.backups.due(created + 24 * 3600) == ["cache"]
    object.__setattr__(world.s.settings, "backup_keep", 2)
    for _ in range(3):
        world.backups.backup("cache", "scheduled")
    world.backups.backup("cache")
    assert world.backups.prune("cache")  # the oldest scheduled one went
    reasons = [b.reason for b in world.backups.list("cache")]
    assert reasons.count("scheduled") == 2 and reasons.count("manual") == 1
    object.__setattr__(world.s.settings, "backup_hours", 0)
    assert world.backups.due(created + 10 ** 9) == []
