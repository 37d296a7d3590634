"""Upgrades from real old state (issue 10): a platform started from a pinned earlier commit of
this repository, with an app that has config, several releases, a domain and a token, is
upgraded by running `make up` with the current code (supervised). Everything is kept, a release
from before the upgrade can be rolled back to, and an older paas refuses the newer state.

c09d8e2 is the last commit before versioned migrations (its state has no schema version) and
before supervision (its API and nginx are host processes); 4c95208 is the first with
migrations (two steps), old enough to be refused by the current state.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from paas.adapters.migrations import code_version
from tests.load import Load
from tests.support import (ROOT, Platform, commit_all, free_port, http_get,
                           remove_docker_objects, remove_host_rules)

BEFORE_MIGRATIONS = "c09d8e2"
FIRST_MIGRATIONS = "4c95208"
SUPERVISED = {"PAAS_SUPERVISE": "1", "PAAS_ACME_DIRECTORY": ""}


def checkout(commit: str, where: Path) -> Path:
    known = subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", f"{commit}^{{commit}}"],
                           capture_output=True)
    if known.returncode != 0:  # a shallow clone (CI): fetch the pinned commit's history
        subprocess.run(["git", "-C", str(ROOT), "fetch", "--unshallow", "origin"],
                       check=True, capture_output=True)
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(where), commit],
                   check=True, capture_output=True)
    return where


def drop_checkout(where: Path) -> None:
    subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(where)],
                   capture_output=True)
    subprocess.run(["git", "-C", str(ROOT), "worktree", "prune"], capture_output=True)


def control(p: Platform, verb: str, code: Path = ROOT, **env) -> subprocess.CompletedProcess:
    """`make up`/`down` of the code at `code` (an old checkout runs its own package: PYTHONPATH
    goes before the installed one, and gunicorn inherits it)."""
    extra = {"PYTHONPATH": str(code)} if code != ROOT else {}
    return subprocess.run([sys.executable, "-m", "paas.server.control", verb],
                          env={**p.env, **extra, **env}, capture_output=True, text=True,
                          timeout=900, cwd=code)


@pytest.fixture
def old(tmp_path):
    code = checkout(BEFORE_MIGRATIONS, tmp_path / "old-code")
    home = tmp_path / "home"
    (home / "user").mkdir(parents=True)
    p = Platform(home=home, api_port=free_port(), http_port=free_port(),
                 instance=f"t{os.getpid()}upgrade", drain_seconds=1,
                 settings={"PAAS_HTTPS_PORT": str(free_port())})
    up = control(p, "up", code)
    assert up.returncode == 0, up.stdout + up.stderr
    yield p, code
    control(p, "down", code)
    control(p, "down", **SUPERVISED)
    remove_docker_objects(p.instance)
    remove_host_rules(p.instance)
    drop_checkout(code)


def ok(p: Platform, *argv, cwd=None) -> str:
    result = p.paas(*argv, cwd=cwd)
    assert result.returncode == 0, (argv, result.stderr)
    return result.stdout


def test_upgrade_from_state_before_migrations_keeps_everything(old, tmp_path):
    p, code = old
    repo = p.deploy("keep", "flask-hello", tmp_path / "work")  # v1
    p.wait_for("keep", "hello from v1", timeout=30)
    ok(p, "config:set", "GREETING=kept", "-a", "keep")  # v2
    app_py = repo / "app.py"
    app_py.write_text(app_py.read_text().replace('"v1"', '"v3"'))
    commit_all(repo, p.env, "v3")
    p.push(repo)  # v3
    p.wait_for("keep", "hello from v3", timeout=30)
    ok(p, "domains:add", "www.keep.test", "-a", "keep")
    # The old API's way (today's CLI asks for a role the old API does not know).
    made = subprocess.run(["curl", "-sf", "-X", "POST", "-H", f"Authorization: Bearer {p.token}",
                           "-H", "Content-Type: application/json", "-d", '{"name": "ci"}',
                           f"{p.api_url}/api/v1/tokens"], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    ci_token = json.loads(made.stdout)["token"]
    releases_before = json.loads(ok(p, "releases", "-a", "keep", "--json"))
    old_cache = f"paas-{p.instance}-keep-cache"  # where builds kept their cache, as root
    assert _volume_exists(old_cache)
    assert [r["version"] for r in releases_before][:3] == [3, 2, 1]

    with Load(p.http_port, "keep.localhost", clients=10) as load:
        up = control(p, "up", **SUPERVISED)
        assert up.returncode == 0, up.stdout + up.stderr
        p.wait_for("keep", "hello from v3", timeout=30)
        result = load.stop()
    print(f"upgrade from {BEFORE_MIGRATIONS}: {result.ok} requests served, {result.failed} "
          f"failed (the router moving from a host process into its container)")
    # The host nginx handed its ports to the router container (both listen with SO_REUSEPORT)
    # and quit only once the container accepted: not one request failed.
    assert "router: ports handed over (from nginx" in up.stdout, up.stdout
    assert result.failed == 0, result.errors[:5]
    assert result.ok > 0
    assert "Migrated the state" in up.stdout and "pre-upgrade-" in up.stdout

    health = json.loads(http_get(f"{p.api_url}/api/v1/health")[1])
    assert health["state_version"] == code_version() and health["version"]
    backups = list((p.home / "backups").glob("pre-upgrade-*-v0-to-v*"))
    assert len(backups) == 1 and (backups[0] / "paas.db").exists()
    assert json.loads((backups[0] / "VERSION.json").read_text())["state_version"] == 0
    assert not _volume_exists(old_cache)  # a layout change is a migration too

    # Everything is there: releases, config, domain, token.
    releases = json.loads(ok(p, "releases", "-a", "keep", "--json"))
    assert [(r["version"], r["status"]) for r in releases] == \
        [(r["version"], r["status"]) for r in releases_before]
    assert json.loads(ok(p, "config", "-a", "keep", "--json"))["GREETING"] == "kept"
    assert "www.keep.test" in ok(p, "domains", "-a", "keep")
    assert "ci" in ok(p, "tokens")
    assert http_get_auth(f"{p.api_url}/api/v1/apps", ci_token) == 200  # and it still works
    assert http_get(p.router_url + "/", host="www.keep.test")[1] == "hello from v3\n"
    assert http_get(p.router_url + "/env/GREETING", host="keep.localhost")[1] == "kept"

    # A release from before the upgrade comes back.
    ok(p, "releases:rollback", "v2", "-a", "keep")
    p.wait_for("keep", "hello from v1", timeout=30)
    assert http_get(p.router_url + "/env/GREETING", host="keep.localhost")[1] == "kept"

    # A later make up that only changes the API (a setting here; a git pull likewise) restarts
    # the API alone: the router and the apps keep serving, no request fails.
    router = _container_id(p, "router")
    with Load(p.http_port, "keep.localhost", clients=20) as load:
        again = control(p, "up", PAAS_DRAIN_SECONDS="2", **SUPERVISED)
        assert again.returncode == 0, again.stdout + again.stderr
        result = load.stop()
    assert "router: running, api: replaced" in again.stdout
    assert _container_id(p, "router") == router
    assert result.failed == 0, result.errors[:5]
    assert result.ok > 0

    # A router container of an older spec (the previous version's: it stopped with SIGTERM)
    # hands its ports to the new one the same way: both bind, then the old one quits.
    before = _router_as_before(p)
    with Load(p.http_port, "keep.localhost", clients=20) as load:
        again = control(p, "up", PAAS_DRAIN_SECONDS="2", **SUPERVISED)
        assert again.returncode == 0, again.stdout + again.stderr
        p.wait_for("keep", "hello from v1", timeout=30)
        result = load.stop()
    print(f"router container replaced: {result.ok} requests served, {result.failed} failed")
    assert f"router: ports handed over (from nginx {before})" in again.stdout, again.stdout
    assert result.failed == 0, result.errors[:5]
    import docker

    client = docker.from_env()
    router = client.containers.get(f"paas-{p.instance}-router")
    assert router.attrs["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
    assert not client.containers.list(all=True, filters={"name": f"paas-{p.instance}-router-"})
    pid = int((p.home / "nginx" / "nginx.pid").read_text())
    assert pid == router.attrs["State"]["Pid"] != before  # the API reloads the new one

    # And an older paas (with migrations, two steps) refuses this state, saying how to go back.
    older = checkout(FIRST_MIGRATIONS, tmp_path / "older-code")
    try:
        assert control(p, "down", **SUPERVISED).returncode == 0
        refused = control(p, "up", older)
        assert refused.returncode == 1
        assert f"(state version {code_version()})" in refused.stderr
        assert "state version 2" in refused.stderr and "backups" in refused.stderr
        assert not (p.home / "gunicorn.pid").exists() or \
            http_get(f"{p.api_url}/api/v1/health")[0] == 0  # never started half-working
    finally:
        drop_checkout(older)


def http_get_auth(url: str, token: str) -> int:
    result = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                             "-H", f"Authorization: Bearer {token}", url],
                            capture_output=True, text=True)
    return int(result.stdout or 0)


def _container_id(p: Platform, role: str) -> str:
    import docker

    return docker.from_env().containers.get(f"paas-{p.instance}-{role}").id


def _router_as_before(p: Platform) -> int:
    """Put the router container back as the version before this one made it (no stop signal
    of its own); the host pid of its nginx master once it serves."""
    import time

    import docker

    from paas.adapters.nginx_proxy import serving
    from paas.render import supervise as render

    client = docker.from_env()
    current = client.containers.get(f"paas-{p.instance}-router")
    mounts = render.Mounts(home=str(p.home), nginx_dir=str(p.home / "nginx"),
                           certs_dir=str(p.home / "certs"), docker_socket="",
                           nginx_temp_dir=f"/var/cache/paas/{p.instance}/nginx")
    spec = render.router_spec(p.instance, current.attrs["Config"]["Image"],
                              current.labels["paas.inputs"], mounts)
    assert spec["labels"]["paas.spec"] == current.labels["paas.spec"]  # the same mounts
    spec.pop("stop_signal")
    current.stop(timeout=30)
    current.remove(force=True)
    client.containers.run(**render.with_spec_hash(spec))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        router = client.containers.get(spec["name"])
        pid = router.attrs["State"]["Pid"]
        if pid and serving(pid):
            return pid
        time.sleep(0.1)
    raise AssertionError("the older router container did not serve")


def _volume_exists(name: str) -> bool:
    import docker

    return name in {v.name for v in docker.from_env().volumes.list()}
