"""`paas storage:*` and `paas services:*`: the real CLI against the real Flask app in process,
fakes below the use cases."""
import json

import httpx
import pytest

from paas.cli.main import main
from paas.server.app import create_app
from tests.fakes import fake_services
from tests.fakes_data import FakeData, NamedEngine

quiet = lambda _: None  # noqa: E731


@pytest.fixture
def api(tmp_path):
    engine = NamedEngine()
    services = fake_services(tmp_path / "home", engine=engine, data=FakeData(engine))
    token = services.tokens.ensure_admin(services.settings.token_file)
    app = create_app(services.settings, services)
    env = {"HOME": str(tmp_path / "user"), "PAAS_API_URL": "http://paas.test", "PAAS_TOKEN": token,
           "PATH": "/usr/bin:/bin"}
    services.apps.create("hello")
    services.deployer.deploy_push("hello", "1" * 40, quiet)
    return app, env, services


def run(api, argv, capsys):
    app, env, _ = api
    code = main(argv, env=env, transport=httpx.WSGITransport(app=app))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_storage_mount_list_unmount_destroy(api, capsys):
    code, out, err = run(api, ["storage:mount", "uploads:/app/uploads", "-a", "hello"], capsys)
    assert (code, out) == (0, "Mounting uploads:/app/uploads and restarting hello... done, v2\n")
    assert "starting web.1" in err
    code, out, _ = run(api, ["storage", "-a", "hello"], capsys)
    lines = out.splitlines()
    assert lines[0] == "=== hello Volumes" and lines[2].startswith("uploads  /app/uploads  ")
    assert json.loads(run(api, ["storage", "-a", "hello", "--json"], capsys)[1])[0]["mounted"]
    assert run(api, ["storage:destroy", "uploads", "-a", "hello", "--confirm", "hello"],
               capsys)[2] == "paas: volume uploads is mounted: run storage:unmount uploads first\n"
    code, out, _ = run(api, ["storage:unmount", "uploads", "-a", "hello"], capsys)
    assert (code, out) == (0, "Unmounting uploads and restarting hello... done, v3\n")
    assert run(api, ["storage:destroy", "uploads", "-a", "hello"], capsys)[2] == \
        "paas: this deletes volume uploads's data: run again with --confirm hello\n"
    assert run(api, ["storage:destroy", "uploads", "-a", "hello", "--confirm", "hello"],
               capsys)[1] == "Destroying volume uploads of hello... done\n"
    assert run(api, ["storage:mount", "x:/etc", "-a", "hello"], capsys)[2].startswith(
        "paas: cannot mount a volume at /etc")


def test_services_create_link_backup_restore_destroy(api, capsys):
    code, out, err = run(api, ["services:create", "postgres", "db"], capsys)
    assert (code, out) == (0, "Creating postgres 17 service db... done\n"
                              "Link it to an app with: paas services:link db -a APP\n")
    assert "-----> Building the postgres image on paas/stack:trixie" in err
    code, out, _ = run(api, ["services:link", "db", "-a", "hello"], capsys)
    assert (code, out) == (0, "Linking db to hello as DATABASE_URL and restarting hello... done, v2\n")
    code, out, _ = run(api, ["services"], capsys)
    assert out.splitlines()[2].split() == ["db", "postgres", "17", "running", "4.0", "KB",
                                           "hello", "(DATABASE_URL)"]
    info = json.loads(run(api, ["services:info", "db", "--json"], capsys)[1])
    assert info["url"].startswith("postgres://paas:") and info["links"] == [
        {"app": "hello", "var": "DATABASE_URL"}]
    code, out, _ = run(api, ["services:backup", "db"], capsys)
    backup_id = out.split("done, ")[1].split(" ")[0]
    assert code == 0 and backup_id.endswith("-manual")
    code, out, _ = run(api, ["services:backups", "db", "--json"], capsys)
    assert [b["id"] for b in json.loads(out)] == [backup_id]
    code, out, _ = run(api, ["services:restore", "db", backup_id], capsys)
    assert code == 0 and out.startswith(f"Restoring {backup_id} into db... done; the data it "
                                        "replaced is backup ")
    assert run(api, ["services:restore", "db", "20200101T000000.000Z-manual"], capsys)[2] == \
        "paas: db has no backup 20200101T000000.000Z-manual\n"
    assert run(api, ["services:destroy", "db", "--confirm", "db"], capsys)[2] == \
        "paas: db is linked to hello: unlink it first, or destroy with --unlink\n"
    code, out, _ = run(api, ["services:destroy", "db", "--confirm", "db", "--unlink"], capsys)
    assert code == 0 and out.startswith("Destroying db... done (final backup ")
    assert run(api, ["services"], capsys)[1] == "=== Services\nNAME  KIND  VERSION  STATE  SIZE  LINKED APPS\n"


def test_services_export_writes_the_backup_to_stdout(api, capsysbinary):
    _, _, services = api
    services.datastores.create("redis", "cache", quiet)
    made = services.backups.backup("cache")
    app, env, _ = api
    code = main(["services:export", "cache", made.id], env=env,
                transport=httpx.WSGITransport(app=app))
    assert code == 0
    assert capsysbinary.readouterr().out == made.path.read_bytes()


@pytest.mark.parametrize("argv,message", [
    (["services:create", "mysql", "db"], "Invalid value for '{postgres|redis}'"),
    (["services:create", "redis", "Bad"], "paas: invalid service name 'Bad'"),
    (["services:link", "nope", "-a", "hello"], "paas: no such service: nope"),
    (["services:info", "nope"], "paas: no such service: nope"),
])
def test_bad_service_input_is_one_line(api, capsys, argv, message):
    code, out, err = run(api, argv, capsys)
    assert code == 1 and out == "" and message in err and err.count("\n") == 1


def test_linking_to_a_missing_app(api, capsys):
    run(api, ["services:create", "redis", "cache"], capsys)
    code, _, err = run(api, ["services:link", "cache", "-a", "ghost"], capsys)
    assert (code, err) == (1, "paas: no such app: ghost\n")


def test_apps_destroy_says_which_services_remain(api, capsys):
    run(api, ["services:create", "redis", "cache"], capsys)
    run(api, ["services:link", "cache", "-a", "hello"], capsys)
    code, out, _ = run(api, ["apps:destroy", "-a", "hello", "--confirm", "hello"], capsys)
    assert code == 0 and out.splitlines()[-1] == (
        "Unlinked services that remain: cache (paas services:destroy NAME removes one)")
    assert run(api, ["services:info", "cache", "--json"], capsys)[0] == 0


def test_services_import_keeps_a_backup_and_refuses_what_is_not_one(api, capsys, monkeypatch):
    import io
    import sys
    _, _, services = api
    services.datastores.create("postgres", "db", quiet)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"PGDMP" + b"x" * 200_000)))
    code, out, err = run(api, ["services:import", "db"], capsys)
    assert code == 0, err
    [made] = services.backups.list("db")
    assert made.reason == "import" and made.size == 200_005
    assert out == (f"Importing into db... done, {made.id} (195.3 KB); restore it with: "
                   f"paas services:restore db {made.id}\n")
    for data in (b"<html>", b""):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
        code, _, err = run(api, ["services:import", "db"], capsys)
        assert code == 1 and "that is not a postgres backup" in err
    assert len(services.backups.list("db")) == 1
    assert not list(made.path.parent.glob("*.partial"))


def test_services_connect_pipes_a_script_to_psql_on_the_services_network(api, capsys,
                                                                          monkeypatch):
    import io

    _, _, services = api
    services.datastores.create("postgres", "db", quiet)
    monkeypatch.setattr("sys.stdin", io.StringIO("SELECT 1;\n"))
    code, out, err = run(api, ["services:connect", "db"], capsys)
    assert (code, out) == (0, " ?column? \n        1\n"), err
    [(spec, stdin)] = services.datastores.data.runs
    assert stdin == b"SELECT 1;\n"
    assert spec["network"] == "paas-t1-db-db" and "ports" not in spec
    assert spec["environment"]["PGPASSWORD"] == services.store.get_datastore("db").password
    assert spec["environment"]["PGPASSWORD"] not in " ".join(spec["command"])
    monkeypatch.setattr("sys.stdin", io.StringIO("PING\n"))
    code, _, err = run(api, ["services:connect", "ghost"], capsys)
    assert code == 1 and err == "paas: no such service: ghost\n"


def test_a_typed_statement_is_sent_when_complete():
    from paas.cli.commands.services import _complete

    assert not _complete("SELECT 1\n") and _complete("SELECT 1\nFROM t;\n")
    assert _complete("\\dt\n") and _complete("INCR hits\n") and not _complete("  \n")


def test_on_swarm_storage_and_services_say_which_node_holds_them(api, capsys):
    """The scheduler names the node volumes and datastores live on (swarm: the manager's);
    on one host it names none and the listings keep their columns."""
    _, _, services = api
    services.deployer.scheduler.data_node = lambda: "10.0.0.1"
    run(api, ["storage:mount", "uploads:/app/uploads", "-a", "hello"], capsys)
    run(api, ["services:create", "redis", "cache"], capsys)
    lines = run(api, ["storage", "-a", "hello"], capsys)[1].splitlines()
    assert lines[1].split() == ["NAME", "MOUNTED", "AT", "CREATED", "NODE"]
    assert lines[2].split()[-1] == "10.0.0.1"
    assert json.loads(run(api, ["storage", "-a", "hello", "--json"], capsys)[1])[0]["node"] == "10.0.0.1"
    lines = run(api, ["services"], capsys)[1].splitlines()
    assert lines[1].split()[-1] == "NODE" and lines[2].split()[-1] == "10.0.0.1"
    assert "Node" in run(api, ["services:info", "cache"], capsys)[1]
    assert json.loads(run(api, ["services", "--json"], capsys)[1])[0]["node"] == "10.0.0.1"
