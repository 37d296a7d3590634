"""paas platform:backup / platform:restore through the real CLI and API in process, fakes below
the use cases: the backup holds every app's export; a restore onto a platform without apps
imports and deploys each; onto one with apps it is refused; `make restore` (the file restore)
skips the apps' exports."""
import io

import httpx
import pytest

from paas.cli.main import main
from paas.render import app_archive
from paas.server.app import create_app
from paas.services import platform_backup
from tests.fakes import fake_services
from tests.fakes_data import FakeData, NamedEngine
from tests.unit.test_render_app_move import volume_archive

quiet = lambda _: None  # noqa: E731


def platform(home):
    engine = NamedEngine()
    data = FakeData(engine)
    services = fake_services(home, engine=engine, data=data)
    token = services.tokens.ensure_admin(services.settings.token_file)
    env = {"HOME": str(home.parent / "user"), "PAAS_API_URL": "http://paas.test",
           "PAAS_TOKEN": token, "PATH": "/usr/bin:/bin"}
    return services, data, create_app(services.settings, services), env


def run(target, argv, capsys):
    _, _, app, env = target
    code = main(argv, env=env, transport=httpx.WSGITransport(app=app))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def source(tmp_path):
    found = platform(tmp_path / "one" / "home")
    services, data, _, _ = found
    services.apps.create("web")
    services.deployer.deploy_push("web", "1" * 40, quiet)
    services.storage.mount("web", "files:/data", "admin", quiet)
    data.contents = {"paas-t1-web-vol-files": volume_archive({"a.txt": b"kept"})}
    data.backup_bytes = b"REDIS0011 a fake snapshot"
    services.datastores.create("redis", "cache", quiet)
    services.datastores.link("cache", "web", None, "admin", quiet)
    services.apps.create("empty")
    return found


def test_a_platform_moves_whole_through_backup_and_restore(source, tmp_path, capsys):
    target = tmp_path / "platform.tar"
    code, _, err = run(source, ["platform:backup", "-o", str(target)], capsys)
    assert code == 0 and err == f"Backed up the platform to {target}\n"
    members = app_archive.read(target.read_bytes()).members
    assert {"paas.db", "apps/web.tar", "apps/empty.tar"} <= set(members)
    assert "volumes/files.tar" in app_archive.read(members["apps/web.tar"]).members

    fresh = platform(tmp_path / "two" / "home")
    code, out, err = run(fresh, ["platform:restore", str(target)], capsys)
    assert (code, out) == (0, "Restoring the platform... done, 2 apps: empty, web\n"), err
    assert "=====> Importing web" in err
    store = fresh[0].store
    assert store.current_release("web").version == 3 and store.get_app("empty") is not None
    assert [l.var for l in store.list_links(app="web")] == ["REDIS_URL"]
    assert fresh[1].contents["paas-t1-web-vol-files"] == volume_archive({"a.txt": b"kept"})

    code, _, err = run(fresh, ["platform:restore", str(target)], capsys)
    assert code == 1 and "already has apps (empty, web)" in err and err.count("\n") == 1


def test_the_file_restore_skips_the_apps_exports(source, tmp_path):
    services = source[0]
    data = services.platform.snapshot()
    home = tmp_path / "fresh"
    settings = services.settings.__class__(home=home)
    count = platform_backup.restore(settings, data)
    assert count == len(app_archive.read(data).members) - 2
    assert not (home / "apps").exists() and (home / "paas.db").exists()


def test_garbage_is_refused_with_one_line(source, tmp_path, capsys, monkeypatch):
    fresh = platform(tmp_path / "two" / "home")
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"junk")))
    code, _, err = run(fresh, ["platform:restore"], capsys)
    assert code == 1 and err.count("\n") == 1 and "not a paas app archive" in err
