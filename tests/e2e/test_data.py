"""Data that outlives containers, through the real flow (issue 12): a volume written by web
survives deploys and rollbacks and a worker sees it; a Redis counter and Postgres rows (over
TLS) survive pushes, config changes, restarts, scaling and rollbacks; a backup restores dropped
rows; another app cannot reach the service; bad input is refused with one line."""
from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request

from tests.support import PAAS, commit_all, copy_app


def call(platform, app, method, path, body=None):
    req = urllib.request.Request(f"{platform.router_url}{path}", method=method, data=body,
                                 headers={"Host": f"{app}.localhost"})
    try:
        with urllib.request.urlopen(req, timeout=15) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def ok(result):
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def poll(fn, want, timeout=15.0):
    deadline = time.monotonic() + timeout
    got = None
    while time.monotonic() < deadline:
        got = fn()
        if want(got):
            return got
        time.sleep(0.2)
    raise AssertionError(f"never got there; last: {got!r}")


def test_volumes_services_and_backups_through_the_real_flow(platform, tmp_path):
    app = "keeper"
    repo = platform.deploy(app, "data-app", tmp_path)                                  # v1
    ok(platform.paas("services:create", "redis", "kcache"))
    ok(platform.paas("services:create", "postgres", "kdb"))
    ok(platform.paas("storage:mount", "files:/data", "-a", app))                       # v2
    ok(platform.paas("ps:scale", "worker=1", "-a", app))
    ok(platform.paas("services:link", "kcache", "-a", app))                            # v3
    out = ok(platform.paas("services:link", "kdb", "-a", app))                         # v4
    assert "as DATABASE_URL" in out and "v4" in out

    assert call(platform, app, "POST", "/files/hello.txt", b"kept")[0] == 200
    assert call(platform, app, "POST", "/counter", b"")[1] == "1\n"
    assert call(platform, app, "POST", "/rows/3", b"")[0] == 200
    assert call(platform, app, "GET", "/rows")[1] == "3 ssl=True\n"
    poll(lambda: call(platform, app, "GET", "/files/worker-view")[1], lambda t: "hello.txt" in t)

    (repo / "app.py").write_text((repo / "app.py").read_text().replace('"v1"', '"v2"'))
    commit_all(repo, platform.env, "v2")
    platform.push(repo)                                                                  # v5
    ok(platform.paas("config:set", "X=1", "-a", app))                                  # v6
    ok(platform.paas("ps:restart", "-a", app))
    ok(platform.paas("ps:scale", "web=2", "-a", app))
    assert platform.wait_for(app, "data app v2")
    assert call(platform, app, "GET", "/files/hello.txt")[1] == "kept"
    assert call(platform, app, "POST", "/counter", b"")[1] == "2\n"
    assert call(platform, app, "GET", "/rows")[1] == "3 ssl=True\n"

    # Rolling back to v1 takes the mount (and the links) away; forward again brings them back.
    ok(platform.paas("releases:rollback", "v1", "-a", app))                            # v7
    assert call(platform, app, "GET", "/files/hello.txt")[0] == 404
    ok(platform.paas("releases:rollback", "v6", "-a", app))                            # v8
    assert call(platform, app, "GET", "/files/hello.txt")[1] == "kept"
    assert call(platform, app, "GET", "/rows")[1] == "3 ssl=True\n"
    assert json.loads(ok(platform.paas("storage", "-a", app, "--json")))[0]["path"] == "/data"

    # Backup, drop the table, restore: the rows are back.
    backup_id = ok(platform.paas("services:backup", "kdb")).split("done, ")[1].split(" ")[0]
    assert call(platform, app, "DELETE", "/rows")[1] == "dropped\n"
    assert call(platform, app, "GET", "/rows")[1] == "no table ssl=True\n"
    out = ok(platform.paas("services:restore", "kdb", backup_id))
    assert "the data it replaced is backup" in out
    assert call(platform, app, "GET", "/rows")[1] == "3 ssl=True\n"
    listed = json.loads(ok(platform.paas("services:backups", "kdb", "--json")))
    assert {b["id"] for b in listed} >= {backup_id} and len(listed) == 2

    # A backup moves out and in: export, import, restore the imported one.
    exported = subprocess.run([PAAS, "services:export", "kdb", backup_id], env=platform.env,
                              capture_output=True, timeout=120)
    assert exported.returncode == 0 and exported.stdout[:5] == b"PGDMP", exported.stderr
    imported = subprocess.run([PAAS, "services:import", "kdb"], input=exported.stdout,
                              env=platform.env, capture_output=True, timeout=120)
    assert imported.returncode == 0, imported.stderr
    imported_id = imported.stdout.decode().split("done, ")[1].split(" ")[0]
    assert call(platform, app, "DELETE", "/rows")[1] == "dropped\n"
    ok(platform.paas("services:restore", "kdb", imported_id))
    assert call(platform, app, "GET", "/rows")[1] == "3 ssl=True\n"

    # Isolation: the service answers on its app's network only.
    host = f"paas-{platform.instance}-db-kdb"
    assert call(platform, app, "GET", f"/reach?host={host}&port=5432")[1] == "open\n"
    platform.deploy("outsider", "data-app", tmp_path)
    assert call(platform, "outsider", "GET", f"/reach?host={host}&port=5432")[1].startswith("closed")

    services = json.loads(ok(platform.paas("services", "--json")))
    kdb = next(s for s in services if s["name"] == "kdb")
    assert kdb["state"] == "running" and kdb["links"] == [{"app": app, "var": "DATABASE_URL"}]
    assert kdb["size_bytes"] > 1_000_000 and kdb["version"] == "17"
    assert "ready to accept connections" in ok(platform.paas("services:logs", "kdb"))


def test_bad_data_input_is_one_line_and_changes_nothing(platform, tmp_path):
    ok(platform.paas("services:create", "redis", "bcache"))
    before = ok(platform.paas("services", "--json"))
    for argv, message in [
        (["services:create", "mysql", "x"], "Invalid value for '{postgres|redis}'"),
        (["services:create", "postgres", "bcache"], "a service named 'bcache' already exists"),
        (["services:link", "bcache", "-a", "ghost"], "no such app: ghost"),
        (["services:restore", "bcache", "20200101T000000.000Z-manual"],
         "bcache has no backup 20200101T000000.000Z-manual"),
    ]:
        result = platform.paas(*argv)
        assert result.returncode == 1 and message in result.stderr, (argv, result.stderr)
        assert result.stderr.count("\n") == 1
    ok(platform.paas("apps:create", "blinked"))
    ok(platform.paas("services:link", "bcache", "-a", "blinked"))
    result = platform.paas("services:destroy", "bcache", "--confirm", "bcache")
    assert result.returncode == 1 and "bcache is linked to blinked" in result.stderr
    assert json.loads(ok(platform.paas("services", "--json"))) != [] and before
    out = ok(platform.paas("apps:destroy", "--confirm", "blinked", "-a", "blinked"))
    assert "Unlinked services that remain: bcache" in out
    after = json.loads(ok(platform.paas("services", "--json")))
    assert next(s for s in after if s["name"] == "bcache")["links"] == []  # kept, unlinked
    out = ok(platform.paas("services:destroy", "bcache", "--confirm", "bcache"))
    assert "final backup" in out


def test_a_django_apps_rows_survive_pushes_config_restarts_scaling_and_rollback(platform, tmp_path):
    """dj-database-url reads the DATABASE_URL a link sets; `release: manage.py migrate` makes
    the schema before traffic moves."""
    app = "notes"
    ok(platform.paas("services:create", "postgres", "notesdb"))
    ok(platform.paas("apps:create", app))
    assert "saved for notes's first deploy" in ok(platform.paas("services:link", "notesdb", "-a", app))
    repo = copy_app("django-postgres", tmp_path / app, platform.env)
    ok(platform.paas("git:remote", "-a", app, cwd=repo))
    pushed = platform.push(repo)
    assert "Running release command: python manage.py migrate --noinput" in pushed.stderr
    for n, body in enumerate((b"a", b"b", b"c"), start=1):
        assert call(platform, app, "POST", "/notes", body) == (200, f"{n} notes\n")
    (repo / "mysite" / "urls.py").write_text(
        (repo / "mysite" / "urls.py").read_text().replace('"v1"', '"v2"'))
    commit_all(repo, platform.env, "v2")
    platform.push(repo)
    assert platform.wait_for(app, "notes v2")
    for argv in (["config:set", "GREETING=hi"], ["ps:restart"], ["ps:scale", "web=2"],
                 ["releases:rollback"]):
        ok(platform.paas(*argv, "-a", app))
        assert call(platform, app, "GET", "/notes") == (200, "3 notes\n"), argv
