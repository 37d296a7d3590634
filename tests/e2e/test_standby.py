"""Hot standby on the real daemon (issue 14): after a push the replaced web container is
paused (cgroup freezer), `ps` shows it as standby, and a rollback to that release thaws,
checks and routes to the very same container, starting none."""
from __future__ import annotations

import json
import time

import docker

from tests.support import commit_all


def web_containers(platform, app) -> dict[str, str]:
    """Container id -> Docker status of the app's web containers."""
    found = docker.from_env().containers.list(all=True, filters={"label": [
        f"paas.instance={platform.instance}", f"paas.app={app}", "paas.process=web"]})
    return {c.id: c.status for c in found}


def wait_paused(platform, app, timeout=30.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        paused = [cid for cid, status in web_containers(platform, app).items() if status == "paused"]
        if paused:
            return paused[0]
        time.sleep(0.1)
    raise AssertionError(f"no web container of {app} was paused within {timeout}s")


def test_rollback_resumes_the_paused_release(platform, tmp_path):
    app = "standby"
    repo = platform.deploy(app, "flask-hello", tmp_path)
    platform.wait_for(app, "hello from v1")
    [v1] = web_containers(platform, app)
    (repo / "app.py").write_text((repo / "app.py").read_text().replace("v1", "v2"))
    commit_all(repo, platform.env, "v2")
    pushed = platform.push(repo)
    assert "keeping 1 old web container(s) in standby" in pushed.stderr
    platform.wait_for(app, "hello from v2")
    assert wait_paused(platform, app) == v1  # after the drain (2 s here)
    ps = json.loads(platform.paas("ps", "--json", "-a", app).stdout)["processes"]
    assert sorted((p["release"], p["state"]) for p in ps) == [(1, "standby"), (2, "running")]

    before = set(web_containers(platform, app))
    back = platform.paas("releases:rollback", "v1", "-a", app)
    assert back.returncode == 0, back.stderr
    assert "resuming web.1 from standby" in back.stdout + back.stderr
    assert "hello from v1" in platform.get(app)[1]
    after = web_containers(platform, app)
    assert set(after) == before and after[v1] == "running"  # the same container, none started
    # The release it replaced is the one in standby now.
    assert wait_paused(platform, app) != v1
