"""apps:destroy removes everything the app had, proved by listing it before and after: Docker
objects (containers, images, network, volumes with the build cache), files under PAAS_HOME
(repository, nginx file, event log) and database rows; another app keeps serving throughout.
On the way, the API's streamed operations (builds:create, config:set, ps:scale) run for real."""
from __future__ import annotations

import sqlite3

import docker

from tests.support import http_get

TABLES = ("apps", "builds", "releases", "config_vars", "resources", "domains", "formation")


def docker_objects(platform, app: str) -> dict[str, list[str]]:
    client = docker.from_env()
    label = [f"paas.instance={platform.instance}", f"paas.app={app}"]
    cache = f"paas-{platform.instance}-{app}-build-cache"
    return {
        "containers": [c.name for c in client.containers.list(all=True, filters={"label": label})],
        "images": sorted(t for i in client.images.list(filters={"label": label}) for t in i.tags or [i.id]),
        "networks": [n.name for n in client.networks.list(filters={"label": label})],
        "volumes": sorted({v.name for v in client.volumes.list(filters={"label": label})}
                          | {v.name for v in client.volumes.list() if v.name == cache}),
    }


def files_naming(platform, app: str) -> list[str]:
    user = platform.home / "user"  # the test's own HOME, not the platform's state
    return sorted(str(p.relative_to(platform.home)) for p in platform.home.rglob(f"*{app}*")
                  if user not in p.parents)


def rows_of(platform, app: str) -> dict[str, int]:
    db = sqlite3.connect(platform.home / "paas.db")
    try:
        return {t: db.execute(f"SELECT count(*) FROM {t} WHERE {'name' if t == 'apps' else 'app'} = ?",
                              (app,)).fetchone()[0] for t in TABLES}
    finally:
        db.close()


def ok(platform, *argv, cwd=None):
    result = platform.paas(*argv, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return result


def test_destroy_removes_everything_the_app_had(platform, tmp_path):
    keeper = "bystander"
    platform.deploy(keeper, "flask-hello", tmp_path)
    app = "doomed"
    repo = platform.deploy(app, "flask-worker", tmp_path)                     # v1
    built = ok(platform, "builds:create", cwd=repo)                             # v2, streamed
    assert built.stdout.startswith("Built ") and built.stdout.endswith(f"released {app} v2\n")
    assert "-----> Launching v2 (web, worker)" in built.stderr.splitlines()
    assert ok(platform, "config:set", "GREETING=bye", cwd=repo).stdout.endswith("done, v3\n")
    ok(platform, "ps:scale", "worker=1", cwd=repo)
    ok(platform, "resources:set", "memory=256m", cwd=repo)
    ok(platform, "domains:add", "www.doomed.test", cwd=repo)
    assert http_get(platform.router_url, host="www.doomed.test")[0] == 200

    before = docker_objects(platform, app)
    client = docker.from_env()
    running = client.containers.list(filters={"label": [f"paas.instance={platform.instance}",
                                                        f"paas.app={app}"]})
    assert {c.labels.get("paas.process") for c in running} >= {"web", "worker"}, before
    assert before["images"] and before["networks"] == [f"paas-{platform.instance}-{app}"]
    assert f"paas-{platform.instance}-{app}-build-cache" in before["volumes"]
    files = files_naming(platform, app)
    for expected in (f"repos/{app}.git", f"nginx/apps/{app}.conf", f"logs/apps/{app}.log"):
        assert expected in files, files
    rows = rows_of(platform, app)
    assert all(rows[t] for t in ("apps", "builds", "releases", "config_vars", "resources",
                                 "domains", "formation")), rows
    keeper_before = docker_objects(platform, keeper)
    print(f"\nbefore destroy: {before}\nfiles: {files}\nrows: {rows}")

    refused = platform.paas("apps:destroy", cwd=repo)
    assert refused.returncode == 1 and f"--confirm {app}" in refused.stderr
    assert docker_objects(platform, app) == before
    destroyed = ok(platform, "apps:destroy", "-a", app, "--confirm", app)
    assert destroyed.stdout.startswith(f"Destroying {app} ")

    assert docker_objects(platform, app) == {"containers": [], "images": [], "networks": [], "volumes": []}
    assert files_naming(platform, app) == []
    assert rows_of(platform, app) == dict.fromkeys(TABLES, 0)
    assert http_get(platform.router_url, host="www.doomed.test")[0] == 404
    assert platform.get(app)[0] == 404
    gone = platform.paas("apps:info", "-a", app)
    assert (gone.returncode, gone.stderr) == (1, f"paas: no such app: {app}\n")
    assert docker_objects(platform, keeper) == keeper_before
    status, body = platform.get(keeper)
    assert status == 200 and "hello from v1" in body
