"""apps:export / apps:import as a use case against fakes: two platforms (two homes, two
instances, one daemon); the app arrives with the same release numbers, its image relabelled for
the new platform, its volume filled, its service recreated from the backup and linked with the
new URL, and the current release deployed. A refused import leaves nothing behind."""
from types import SimpleNamespace

import pytest

from paas.errors import Conflict, InvalidInput
from paas.render import app_archive
from tests.fakes import fake_services
from tests.fakes_data import FakeData, NamedEngine
from tests.unit.test_render_app_move import volume_archive

SHA1 = "1" * 40
quiet = lambda _: None  # noqa: E731


def platform(tmp_path, name):
    engine = NamedEngine()
    data = FakeData(engine)
    s = fake_services(tmp_path / name, engine=engine, data=data)
    return SimpleNamespace(s=s, engine=engine, data=data, store=s.store)


@pytest.fixture
def source(tmp_path):
    src = platform(tmp_path, "one")
    src.s.apps.create("web")
    src.s.deployer.deploy_push("web", SHA1, quiet)                       # v1
    src.s.storage.mount("web", "files:/data", "admin", quiet)           # v2
    src.data.contents = {"paas-t1-web-vol-files": volume_archive({"hello.txt": b"kept"})}
    src.s.datastores.create("postgres", "db", quiet)
    src.s.datastores.link("db", "web", None, "admin", quiet)            # v3
    return src


def test_an_app_moves_whole_to_another_platform(source, tmp_path):
    archive = source.s.moves.export("web")
    names = set(app_archive.read(archive).members)
    assert {"app.json", "images.tar", "volumes/files.tar", "services/db.backup"} <= names
    assert any(b.reason == "export" for b in source.s.backups.list("db"))

    dest = platform(tmp_path, "two")
    lines = []
    made = dest.s.moves.import_app("moved", archive, lines.append)
    assert (made.app, made.releases, made.current_release) == ("moved", 3, 3)
    assert made.services == ["db"] and made.volumes == ["files"] and made.images == 1
    current = dest.store.current_release("moved")
    assert current.version == 3 and current.image == "paas/moved:t1-import-1"
    assert dest.engine.images["paas/moved:t1-import-1"]["paas.app"] == "moved"
    ds = dest.store.get_datastore("db")
    assert current.config["DATABASE_URL"] == dest.s.datastores.url(ds)
    assert ds.password != source.store.get_datastore("db").password
    assert dest.store.get_config("moved")["DATABASE_URL"] == dest.s.datastores.url(ds)
    assert [(l.datastore, l.var) for l in dest.store.list_links(app="moved")] == \
        [("db", "DATABASE_URL")]
    assert dest.data.contents["paas-t1-moved-vol-files"] == \
        source.data.contents["paas-t1-web-vol-files"]
    assert dest.store.get_mounts("moved") == {"files": "/data"}
    assert {c.spec["image"] for c in dest.engine.containers.values()
            if c.spec.get("labels", {}).get("paas.app") == "moved"} == {"paas/moved:t1-import-1"}
    assert "-----> Deploying v3 of moved" in lines
    assert any(b.reason == "import" for b in dest.s.backups.list("db"))


def test_a_refused_import_creates_nothing(source, tmp_path):
    archive = source.s.moves.export("web")
    dest = platform(tmp_path, "two")
    dest.s.datastores.create("redis", "db", quiet)  # same name, other kind
    with pytest.raises(Conflict, match="a redis service named 'db' exists here"):
        dest.s.moves.import_app("moved", archive, quiet)
    assert dest.store.get_app("moved") is None and dest.data.volumes.keys() == \
        {"paas-t1-db-db-data"}
    with pytest.raises(InvalidInput):
        dest.s.moves.import_app("moved", archive[:len(archive) // 2], quiet)
    assert dest.store.get_app("moved") is None


def test_a_failed_deploy_removes_the_app_and_the_services_it_made(source, tmp_path, monkeypatch):
    archive = source.s.moves.export("web")
    dest = platform(tmp_path, "two")

    def broken(*_a, **_k):
        raise RuntimeError("no containers today")
    monkeypatch.setattr(dest.s.deployer, "apply", broken)
    with pytest.raises(RuntimeError):
        dest.s.moves.import_app("moved", archive, quiet)
    assert dest.store.get_app("moved") is None and dest.store.list_datastores() == []
    assert not [n for n in dest.data.volumes if "moved" in n]


def test_a_manual_certificate_and_tls_options_move_with_the_app(source, tmp_path):
    from tests.fakes import self_signed

    source.s.domains.add("web", "www.web.test")
    cert, key = self_signed(["www.web.test"])
    assert source.s.certs.add_manual("web", cert, key) == ["www.web.test"]
    source.s.certs.set_options("web", hsts=True)
    archive = source.s.moves.export("web")
    assert {"certs/1.pem", "certs/1.key"} <= set(app_archive.read(archive).members)

    dest = platform(tmp_path, "two")
    lines = []
    dest.s.moves.import_app("moved", archive, lines.append)
    [installed] = [c for c in dest.store.list_certs("moved") if c.source == "manual"]
    assert installed.domain == "www.web.test" and installed.state == "valid"
    assert dest.store.get_tls("moved").hsts is True
    assert "-----> Installed the certificate for www.web.test" in lines
